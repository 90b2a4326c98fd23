"""The talent scheduling problem: order scenes so that cast pay, holds included, is least.

Every actor is paid from the first day of their first scene to the last day of their last scene
(Garcia de la Banda, Stuckey & Chu, INFORMS J. Computing 2011; CSPLib prob039). This module
reads the research instances (MiniZinc ``.dzn`` and Stuckey's plain ``.dat`` text format) and
solves them exactly with a dynamic program over the set of scenes already shot:

    f(S) = min over i not in S of  d_i * cost(actors on set while i shoots | S) + f(S + {i})

where the actors on set while scene i shoots after the scenes S are those in i, plus those
already started (in S) and not yet finished (in a scene after i). Scenes with the same cast are
merged first (the paper's first preprocessing step; order inside a merged group is free), and
the DP runs layer by layer over subsets with NumPy, so a 20-scene board takes well under a
second. Larger boards go to :func:`solve_bounded`, the same DP over reachable subsets only, pruned
by a local-search upper bound and a lower bound on the rest.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common.errors import Invalid


class InstanceError(Invalid):
    """A talent-scheduling file that cannot be read; names the file and what is wrong."""


@dataclass(frozen=True)
class TalentInstance:
    """Scenes x actors: ``cast[a][i]`` is 1 if actor a is in scene i; ``cost[a]`` is pay per day;
    ``duration[i]`` is scene i's length in days."""

    name: str
    cast: tuple[tuple[int, ...], ...]
    cost: tuple[int, ...]
    duration: tuple[int, ...]

    @property
    def scenes(self) -> int:
        return len(self.duration)

    @property
    def actors(self) -> int:
        return len(self.cost)

    def scene_actors(self, i: int) -> frozenset[int]:
        return frozenset(a for a in range(self.actors) if self.cast[a][i])

    def fixed_cost(self) -> int:
        """Pay for the days each actor actually works: a constant of every order."""
        return sum(self.cost[a] * sum(d for d, x in zip(self.duration, self.cast[a], strict=True) if x)
                   for a in range(self.actors))


def order_cost(inst: TalentInstance, order: list[int]) -> int:
    """Total pay of a scene order (0-based scene indexes): the talent model's objective."""
    if sorted(order) != list(range(inst.scenes)):
        raise Invalid(f"order must be a permutation of 0..{inst.scenes - 1}")
    start = np.cumsum([0] + [inst.duration[i] for i in order])
    total = 0
    for a in range(inst.actors):
        days = [k for k, i in enumerate(order) if inst.cast[a][i]]
        if days:
            total += inst.cost[a] * int(start[days[-1] + 1] - start[days[0]])
    return total


# -- readers ---------------------------------------------------------------------------------

_DZN_ASSIGN = re.compile(r"(\w+)\s*=\s*(.*?);", re.S)


def read_instance(path: str | Path) -> TalentInstance:
    """Read a MiniZinc ``.dzn`` or a Stuckey-format text instance (``.dat`` or no suffix)."""
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise InstanceError(f"{p}: file not found") from None
    except UnicodeDecodeError:
        raise InstanceError(f"{p}: not a text file") from None
    if p.suffix == ".dzn" or "numScenes" in text:
        return _read_dzn(text, p)
    return _read_dat(text, p)


def _read_dzn(text: str, p: Path) -> TalentInstance:
    text = re.sub(r"%[^\n]*", "", text)
    values = {k: v for k, v in _DZN_ASSIGN.findall(text)}
    if "rehearsal" in values and "ia" not in values:  # the rehearsal variant: players paid 1 per time unit
        values["ia"] = values["rehearsal"].split("[", 1)[-1]
        values["d"] = values.get("duration", "")
        players = int(values.get("num_players", "0"))
        values["c"] = "[" + ",".join(["1"] * players) + "]"
        values["numScenes"] = values.get("num_pieces", "0")
        values["numActors"] = str(players)
    missing = [k for k in ("ia", "c", "d") if k not in values]
    if missing:
        raise InstanceError(f"{p}: missing {', '.join(missing)} (a talent .dzn needs ia, c and d)")

    def ints(s: str) -> list[int]:
        return [int(x) for x in re.findall(r"-?\d+", s)]

    cost, dur = ints(values["c"]), ints(values["d"])
    n = int(values.get("numScenes", len(dur)))
    m = int(values.get("numActors", len(cost)))
    if "|" in values["ia"]:
        rows = [ints(r) for r in values["ia"].split("|") if re.search(r"\d", r)]
    else:  # array2d(1..m, 1..n, [flat list])
        flat = ints(values["ia"])
        rows = [flat[j * n : (j + 1) * n] for j in range(m)] if len(flat) == n * m else [flat]
    return _validate_instance(p, p.stem, rows, cost, dur, n, m)


def _read_dat(text: str, p: Path) -> TalentInstance:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) < 4:
        raise InstanceError(f"{p}: too short for a talent instance (name, scenes, actors, rows, durations)")
    name = lines[0]
    head = lines[1].split()
    if len(head) == 2:  # "n m" on one line (Shaw2020, Warwick1201)
        n, m, k = int(head[0]), int(head[1]), 2
    else:
        try:
            n, m, k = int(lines[1]), int(lines[2]), 3
        except ValueError:
            raise InstanceError(f"{p}:2: expected the number of scenes and actors") from None
    rows, cost = [], []
    for j in range(m):
        if k + j >= len(lines):
            raise InstanceError(f"{p}: expected {m} actor rows, found {j}")
        vals = [int(x) for x in lines[k + j].split()]
        if len(vals) != n + 1:
            raise InstanceError(f"{p}: actor row {j + 1} has {len(vals)} numbers, expected {n} flags and a cost")
        rows.append(vals[:n])
        cost.append(vals[n])
    dur = [int(x) for x in " ".join(lines[k + m :]).split()]
    return _validate_instance(p, name, rows, cost, dur, n, m)


def _validate_instance(p: Path, name: str, rows: list[list[int]], cost: list[int], dur: list[int], n: int, m: int) -> TalentInstance:
    if len(rows) != m or any(len(r) != n for r in rows):
        raise InstanceError(f"{p}: cast matrix is not {m} actors x {n} scenes")
    if len(cost) != m or len(dur) != n:
        raise InstanceError(f"{p}: expected {m} costs and {n} durations, found {len(cost)} and {len(dur)}")
    if any(x not in (0, 1) for r in rows for x in r):
        raise InstanceError(f"{p}: the cast matrix may hold only 0 and 1")
    if any(c < 0 for c in cost) or any(d <= 0 for d in dur):
        raise InstanceError(f"{p}: costs must be >= 0 and durations > 0")
    return TalentInstance(name, tuple(map(tuple, rows)), tuple(cost), tuple(dur))


# -- exact dynamic program ---------------------------------------------------------------------

@dataclass
class TalentSolution:
    order: list[int]  # 0-based scene indexes, in shooting order
    cost: int
    lower_bound: int
    optimal: bool
    seconds: float
    merged_scenes: int
    method: str
    stats: dict = field(default_factory=dict)

    @property
    def gap(self) -> float:
        return 0.0 if self.cost == 0 else (self.cost - self.lower_bound) / self.cost


#: Subset DP memory grows as 2^n; above this many merged scenes use the bounded search.
DP_MAX_SCENES = 23

#: Actors (best paid first) in the on-set hold bound of :func:`solve_bounded` (2^this work per state).
HOLD_ACTORS = 8


def merge_identical(inst: TalentInstance) -> list[list[int]]:
    """Groups of scenes with the same cast (shooting a group back to back is always optimal)."""
    groups: dict[frozenset[int], list[int]] = {}
    for i in range(inst.scenes):
        groups.setdefault(inst.scene_actors(i), []).append(i)
    return list(groups.values())


def solve_dp(inst: TalentInstance) -> TalentSolution:
    """Proven optimum by subset DP over merged scenes (NumPy, layer by popcount)."""
    t0 = time.perf_counter()
    groups = merge_identical(inst)
    n = len(groups)
    if n > DP_MAX_SCENES:
        raise Invalid(f"{n} distinct scenes after merging: too many for the subset DP (max {DP_MAX_SCENES})")
    m = inst.actors
    g_mask = np.zeros(n, dtype=np.int64)
    g_dur = np.zeros(n, dtype=np.int64)
    for k, g in enumerate(groups):
        acts = inst.scene_actors(g[0])
        g_mask[k] = sum(1 << a for a in acts)
        g_dur[k] = sum(inst.duration[i] for i in g)
    # Actors' daily pay summed over any actor set, by doubling (m <= ~25 actors).
    if m <= 22:
        pay = np.zeros(1 << m, dtype=np.int64)
        for a in range(m):
            pay[1 << a : 1 << (a + 1)] = pay[: 1 << a] + inst.cost[a]

        def pay_of(masks: np.ndarray) -> np.ndarray:
            return pay[masks]
    else:
        costs = np.array(inst.cost, dtype=np.int64)

        def pay_of(masks: np.ndarray) -> np.ndarray:
            bits = (masks[:, None] >> np.arange(m)) & 1
            return bits @ costs

    size = 1 << n
    actors_in = np.zeros(size, dtype=np.int64)  # union of actors over the groups in a subset
    for k in range(n):
        actors_in[1 << k : 1 << (k + 1)] = actors_in[: 1 << k] | g_mask[k]
    full = size - 1
    popcount = np.zeros(size, dtype=np.int8)
    for k in range(n):
        popcount[1 << k : 1 << (k + 1)] = popcount[: 1 << k] + 1
    INF = np.iinfo(np.int64).max // 4
    f = np.full(size, INF, dtype=np.int64)
    choice = np.full(size, -1, dtype=np.int8)
    f[full] = 0
    layers = [np.flatnonzero(popcount == c) for c in range(n + 1)]
    for c in range(n - 1, -1, -1):
        S = layers[c]
        for k in range(n):
            bit = 1 << k
            sel = S[(S & bit) == 0]
            if sel.size == 0:
                continue
            after = actors_in[(full ^ sel) ^ bit]  # actors still needed after group k
            on_set = g_mask[k] | (actors_in[sel] & after)
            cand = g_dur[k] * pay_of(on_set) + f[sel | bit]
            better = cand < f[sel]
            f[sel[better]] = cand[better]
            choice[sel[better]] = k
    order: list[int] = []
    S = 0
    while S != full:
        k = int(choice[S])
        order.extend(groups[k])
        S |= 1 << k
    cost = int(f[0])
    return TalentSolution(order, cost, cost, True, time.perf_counter() - t0, n, "subset-dp",
                          {"states": size})


# -- large boards: local search for the order, a relaxation DP for the bound --------------------

def _order_costs(inst: TalentInstance):
    """A fast cost function for many orders of one instance (NumPy over actors)."""
    cast = np.array(inst.cast, dtype=bool)  # actors x scenes
    cost = np.array(inst.cost, dtype=np.int64)
    dur = np.array(inst.duration, dtype=np.int64)
    present = cast.any(axis=1)

    def total(order: np.ndarray) -> int:
        c = cast[:, order]
        start = np.concatenate(([0], np.cumsum(dur[order])))
        first = c.argmax(axis=1)
        last = c.shape[1] - 1 - c[:, ::-1].argmax(axis=1)
        span = start[last + 1] - start[first]
        return int((cost * span)[present].sum())

    return total


def lower_bound(inst: TalentInstance, max_groups: int = 20) -> int:
    """A proven lower bound: the exact optimum over a subset of actors (dropping actors can only
    lower the cost of every order) plus the dropped actors' own work days, which every order pays."""
    order = sorted(range(inst.actors), key=lambda a: -inst.cost[a] * sum(inst.cast[a]))
    keep: list[int] = []
    for a in order:
        trial = keep + [a]
        casts = {tuple(inst.cast[b][i] for b in trial) for i in range(inst.scenes)}
        if len(casts) <= max_groups:
            keep = trial
    dropped = [a for a in range(inst.actors) if a not in keep]
    sub = TalentInstance(inst.name, tuple(inst.cast[a] for a in keep), tuple(inst.cost[a] for a in keep),
                         inst.duration)
    fixed_dropped = sum(inst.cost[a] * sum(d for d, x in zip(inst.duration, inst.cast[a], strict=True) if x)
                        for a in dropped)
    return (solve_dp(sub).cost if keep else 0) + fixed_dropped


def solve_local(inst: TalentInstance, time_limit: float = 10.0, seed: int = 0) -> TalentSolution:
    """A good order within ``time_limit`` seconds (greedy start, then moves of one scene), with a
    proven lower bound and the gap between them."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    total = _order_costs(inst)
    groups = merge_identical(inst)
    # Greedy start: shoot first the group whose cast is most expensive, then keep adding the
    # group that shares most pay with what is already on set.
    cast_pay = [sum(inst.cost[a] for a in inst.scene_actors(g[0])) for g in groups]
    remaining = list(range(len(groups)))
    seq = [max(remaining, key=lambda k: cast_pay[k])]
    remaining.remove(seq[0])
    on_set = set(inst.scene_actors(groups[seq[0]][0]))
    while remaining:
        k = max(remaining, key=lambda k: (sum(inst.cost[a] for a in inst.scene_actors(groups[k][0]) & on_set),
                                          -cast_pay[k]))
        seq.append(k)
        remaining.remove(k)
        on_set |= inst.scene_actors(groups[k][0])

    def expand(s: list[int]) -> np.ndarray:
        return np.array([i for k in s for i in groups[k]], dtype=np.int64)

    best = list(seq)
    best_cost = total(expand(best))
    cur, cur_cost = list(best), best_cost
    n = len(groups)
    budget = time_limit * 0.7  # the rest is for the bound
    moves = 0
    while n > 1 and time.perf_counter() - t0 < budget:
        i, j = rng.integers(0, n, size=2)
        if i == j:
            continue
        cand = list(cur)
        g = cand.pop(int(i))
        cand.insert(int(j), g)
        c = total(expand(cand))
        moves += 1
        # Accept improvements, and now and then an equal move to drift across plateaus.
        if c < cur_cost or (c == cur_cost and rng.random() < 0.3):
            cur, cur_cost = cand, c
            if c < best_cost:
                best, best_cost = list(cand), c
    lb = max(inst.fixed_cost(), lower_bound(inst))
    return TalentSolution(expand(best).tolist(), best_cost, lb, lb == best_cost, time.perf_counter() - t0, n,
                          "local-search+relaxation-bound", {"moves": moves})


def solve(inst: TalentInstance, time_limit: float = 10.0) -> TalentSolution:
    """The one entry point: the array DP while 2^n states fit (proof in a second or so), past
    that the bounded DP seeded by local search (proof, or the best order and a valid bound)."""
    if len(merge_identical(inst)) <= DP_MAX_SCENES:
        return solve_dp(inst)
    return solve_bounded(inst, time_limit=time_limit)


# -- exact search past the array DP: bounded forward DP over reachable subsets -------------------

def _chunk_tables(values: np.ndarray, combine: str, bits: int = 10) -> list[np.ndarray]:
    """Lookup tables over ``bits``-wide chunks of a bitmask: f(mask) = f(chunk0) op f(chunk1) ...
    for an additive (``sum``) or bitwise-or (``or``) function of the set bits."""
    tables = []
    for lo in range(0, max(len(values), 1), bits):
        part = values[lo : lo + bits]
        t = np.zeros(1 << len(part), dtype=np.int64)
        for k, v in enumerate(part):
            t[1 << k : 1 << (k + 1)] = (t[: 1 << k] + v) if combine == "sum" else (t[: 1 << k] | v)
        tables.append(t)
    return tables


def _lookup(tables: list[np.ndarray], masks: np.ndarray, combine: str, bits: int = 10) -> np.ndarray:
    out = np.zeros(masks.shape, dtype=np.int64)
    for c, t in enumerate(tables):
        part = t[(masks >> (c * bits)) & ((1 << bits) - 1)]
        out = out + part if combine == "sum" else out | part
    return out


def solve_bounded(inst: TalentInstance, time_limit: float = 30.0, max_states: int = 3_000_000,
                  upper: TalentSolution | None = None, beam: int = 0) -> TalentSolution:
    """Proven optimum for boards past the array DP (about 30 merged scenes): the subset DP run
    forward over the sets of scenes already shot, keeping only states whose cost so far plus a lower
    bound on the rest beats the best known order (local search), with the Garcia de la Banda,
    Stuckey & Chu preprocessing and dominance:

    * actors in one (merged) scene only are paid a constant; they leave the search, and scenes
      whose remaining casts coincide merge again; a scene left with no cast goes last for free;
    * a scene whose cast is exactly the actors on set (started, still needed) is shot next: moving it
      forward holds nobody longer and can only shorten the holds of actors not yet started;
    * bound on the rest: every actor's own work, plus the least holds of the actors already on set
      over every order in which they wrap (a DP over subsets of them, :func:`holds` inside): each is
      paid from now until the remaining scenes of everyone who wrapped before them are shot;
    * mirror symmetry: an order reversed costs the same, so the two longest scene groups are taken
      in one fixed relative order (every order or its reverse obeys it).

    The incumbent comes from local search sharpened by beam runs of this same search (``beam``: keep
    only the most promising states of each layer, a heuristic). When the time or state budget runs
    out the answer is the best order with a valid lower bound (the least bound over the frontier)
    instead of a proof."""
    t0 = time.perf_counter()
    if upper is None:
        upper = solve_local(inst, time_limit=min(1.0, time_limit / 8), seed=0)
        if not beam:  # sharpen the incumbent with widening beams of the same search
            for width in (100, 1_000, 10_000):
                if time.perf_counter() - t0 > time_limit / 10:
                    break
                trial = solve_bounded(inst, time_limit, max_states, upper, beam=width)
                if trial.cost < upper.cost:
                    upper = trial
    best_order, best_cost = list(upper.order), upper.cost
    groups = merge_identical(inst)
    casts = [inst.scene_actors(g[0]) for g in groups]
    # Actors in one group only cost the same in every order.
    count = [sum(a in c for c in casts) for a in range(inst.actors)]
    lonely = {a for a in range(inst.actors) if count[a] == 1}
    fixed = sum(inst.cost[a] * sum(inst.duration[i] for i in g) for a in lonely
                for g, c in zip(groups, casts, strict=True) if a in c)
    keep_actors = [a for a in range(inst.actors) if count[a] > 1]
    merged: dict[frozenset[int], list[int]] = {}
    for g, c in zip(groups, casts, strict=True):
        merged.setdefault(frozenset(c - lonely), []).extend(g)
    free = merged.pop(frozenset(), [])  # no shared cast left: shot at the end, nobody is held
    # (each original group stays contiguous inside a merged one: its lonely actors work once)
    keys = list(merged)
    n = len(keys)
    if n > 62:
        raise Invalid(f"{n} distinct scenes after preprocessing: too many for the bounded DP (max 62)")
    a_index = {a: j for j, a in enumerate(keep_actors)}
    m = len(keep_actors)
    cost = np.array([inst.cost[a] for a in keep_actors], dtype=np.int64)
    g_act = np.array([sum(1 << a_index[a] for a in k) for k in keys], dtype=np.int64)
    g_dur = np.array([sum(inst.duration[i] for i in merged[k]) for k in keys], dtype=np.int64)
    actor_groups = np.array([sum(1 << k for k in range(n) if (int(g_act[k]) >> j) & 1) for j in range(m)],
                            dtype=np.int64)
    act_t = _chunk_tables(g_act, "or")
    pay_t = _chunk_tables(cost, "sum")
    own_t = _chunk_tables(g_dur * _lookup(pay_t, g_act, "sum"), "sum")
    full = (1 << n) - 1
    const = fixed  # pay of the lonely actors; the free scenes cost nothing more
    ub = best_cost - const  # search cost of the incumbent on the reduced board

    # The on-set hold bound runs over the (at most HOLD_ACTORS) best-paid actors; leaving actors out
    # of it only drops non-negative hold terms, so it stays a lower bound.
    hold = sorted(range(m), key=lambda j: -int(cost[j]))[:HOLD_ACTORS]
    hold_mask = sum(1 << j for j in hold)
    # Per number of actors k and subset size p: the subsets T, each one's members x and T without x.
    levels: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for k in range(2, len(hold) + 1):
        levels[k] = []
        for p in range(1, k + 1):
            Ts = [t for t in range(1 << k) if t.bit_count() == p]
            mem = [[x for x in range(k) if (t >> x) & 1] for t in Ts]
            levels[k].append((np.array(Ts, dtype=np.int64), np.array(mem, dtype=np.int64),
                              np.array([[t ^ (1 << x) for x in xs] for t, xs in zip(Ts, mem, strict=True)],
                                       dtype=np.int64)))
    dur16 = _chunk_tables(g_dur, "sum", bits=16)  # day sums of scene sets, 16 groups a lookup

    def holds(Q: np.ndarray, on_set: np.ndarray) -> np.ndarray:
        """Least pay of on-set actors held on days they do not work, over every order in which they
        wrap. If on-set actors wrap in the order a1, a2, ..., then when a_j wraps every remaining
        scene of a1..a_j is shot, so a_j is paid at least the days of all those scenes; a DP over
        the subsets of on-set actors takes the least such sum over all wrap orders."""
        out = np.zeros(Q.shape, dtype=np.int64)
        sets, inv = np.unique(on_set & hold_mask, return_inverse=True)
        for u, on_mask in enumerate(sets.tolist()):
            acts = [j for j in hold if (on_mask >> j) & 1]
            if len(acts) < 2:  # one on-set actor alone is never held for the others
                continue
            k = len(acts)
            idx = np.flatnonzero(inv == u)
            pay = np.array([int(cost[j]) for j in acts], dtype=np.int64)
            for lo in range(0, idx.size, 16384):
                part = idx[lo : lo + 16384]
                q = Q[part]
                ag = [actor_groups[j] & q for j in acts]
                own = np.stack([pay[x] * _lookup(dur16, ag[x], "sum", bits=16) for x in range(k)])
                gm = np.zeros((1 << k, q.size), dtype=np.int64)  # remaining scenes of each subset
                for x in range(k):
                    gm[1 << x : 1 << (x + 1)] = gm[: 1 << x] | ag[x][None, :]
                D = _lookup(dur16, gm, "sum", bits=16)
                G = np.zeros((1 << k, q.size), dtype=np.int64)  # least holds, members of T wrap first
                for Ts, mem, sub in levels[k]:  # x in T wraps last of T: held through D[T] - own
                    G[Ts] = (G[sub] + pay[mem][:, :, None] * D[Ts][:, None, :] - own[mem]).min(axis=1)
                out[part] = G[-1]
        return out

    def bound(S: np.ndarray, g: np.ndarray) -> np.ndarray:
        """g + own work of the rest + the least holds of the on-set actors (:func:`holds`)."""
        Q = full ^ S
        on_set = _lookup(act_t, S, "or") & _lookup(act_t, Q, "or")
        return g + _lookup(own_t, Q, "sum") + holds(Q, on_set)

    # An order and its reverse cost the same, so some optimum shoots group sym_a before sym_b. The
    # dominance above keeps this: it only moves a scene earlier, and it is not applied to sym_b
    # while sym_a is unshot (open_ excludes sym_b then), so the moved order keeps sym_a first.
    sym_a, sym_b = (int(k) for k in np.argsort(-g_dur, kind="stable")[:2]) if n > 1 else (0, 0)
    layers_S: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
    layers_k: list[np.ndarray] = [np.full(1, -1, dtype=np.int64)]
    g = np.zeros(1, dtype=np.int64)
    states = 0
    frontier_lb = ub
    stopped = ""
    found = False
    bits = np.int64(1) << np.arange(n, dtype=np.int64)
    for _layer in range(n):
        S = layers_S[-1]
        if S.size == 0:
            break
        if time.perf_counter() - t0 > time_limit or states > max_states:
            stopped = "time" if time.perf_counter() - t0 > time_limit else "states"
            frontier_lb = int(min(ub, bound(S, g).min()))
            break
        a_S = _lookup(act_t, S, "or")
        Q = full ^ S
        on_set = a_S & _lookup(act_t, Q, "or")
        open_ = (Q[:, None] & bits[None, :]) != 0  # states x groups not yet shot
        if sym_a != sym_b:  # mirror symmetry: scene group sym_b only after sym_a
            open_[:, sym_b] &= (S >> sym_a) & 1 == 1
        forced = open_ & (g_act[None, :] == on_set[:, None])
        has_forced = forced.any(axis=1)
        first_forced = forced.argmax(axis=1)
        allowed = np.where(has_forced[:, None], np.arange(n)[None, :] == first_forced[:, None], open_)
        si, ki = np.nonzero(allowed)
        S2 = S[si] | bits[ki]
        after = _lookup(act_t, full ^ S2, "or")
        on = g_act[ki] | (a_S[si] & after)
        g2 = g[si] + g_dur[ki] * _lookup(pay_t, on, "sum")
        order = np.lexsort((g2, S2))
        S2, g2, ki = S2[order], g2[order], ki[order]
        first = np.ones(S2.size, dtype=bool)
        first[1:] = S2[1:] != S2[:-1]
        S2, g2, ki = S2[first], g2[first], ki[first]
        lb2 = bound(S2, g2)
        keep = lb2 < ub
        S2, g2, ki, lb2 = S2[keep], g2[keep], ki[keep], lb2[keep]
        if beam and S2.size > beam:  # heuristic mode: the most promising states only
            best_k = np.sort(np.argpartition(lb2, beam)[:beam])
            S2, g2, ki = S2[best_k], g2[best_k], ki[best_k]
        states += int(S2.size)
        layers_S.append(S2)
        layers_k.append(ki)
        g = g2
    else:
        if layers_S[-1].size:  # the full set survived: a better order than the incumbent
            found = True
    if found:
        seq = []
        mask = full
        for layer in range(n, 0, -1):
            pos = int(np.searchsorted(layers_S[layer], mask))
            k = int(layers_k[layer][pos])
            seq.append(k)
            mask ^= 1 << k
        seq.reverse()
        best_order = [i for k in seq for i in merged[keys[k]]] + free
        best_cost = order_cost(inst, best_order)
        lb = best_cost
    elif stopped:
        lb = frontier_lb + const
    elif beam:
        lb = inst.fixed_cost()  # the beam proves nothing
    else:
        lb = best_cost  # nothing beats the incumbent: it is optimal
    lb = max(lb, inst.fixed_cost())
    return TalentSolution(best_order, best_cost, lb, lb == best_cost, time.perf_counter() - t0, len(groups),
                          "bounded-dp", {"states": states, "search_scenes": n, "stopped": stopped or None})

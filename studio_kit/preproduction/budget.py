"""Film budget in the Movie Magic style: top sheet -> accounts -> detail lines.

A detail line is ``amount x multiplier x rate`` (Movie Magic's Amount, X and Rate; ``units`` names
what the amount counts). ``multiplier`` is the number of people (or items) on the line, so a fringe
cap, which is a per-person wage base, applies to ``amount x rate`` per person. Amount, multiplier and
rate may be formulas over *globals* (SHOOT_DAYS, PREP_WEEKS, ...) so a schedule change flows into
every line that depends on it. Fringes and rates are data files with effective dates, never code
constants: the newest row in force at the budget's date wins.

Totals: each account's total is its lines plus their fringes (Movie Magic's default of fringes
inside the account). Contingency is a percentage of above- plus below-the-line (or below only),
overhead a percentage of the direct cost, and the completion bond a percentage of everything
before the bond.

:func:`plan_budget` turns a plan (:class:`BudgetInputs`: schedule length, DOOD paid days, location
days, background counts, metered GPU-seconds) into globals and generated lines merged with a
template; :func:`compute` is pure; ``write_*`` are the edges and write atomically.
"""

from __future__ import annotations

import ast
import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..common.errors import Invalid
from ..common.files import atomic_write
from .options import BudgetOptions

#: The budget's defaults, shared with every door (preproduction.options).
_DEFAULTS = BudgetOptions()

if TYPE_CHECKING:
    from .dood import DayOutOfDays
    from .schedule import Strip

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CHART_PATH = DATA_DIR / "budget" / "chart_of_accounts.csv"
TEMPLATE_PATH = DATA_DIR / "budget" / "template.csv"
FRINGES_PATH = DATA_DIR / "rates" / "fringes.csv"
RATES_PATH = DATA_DIR / "rates" / "budget_rates.csv"

SECTIONS = ("ATL", "production", "post", "other")
SECTION_TITLES = {"ATL": "Above-The-Line", "production": "Production", "post": "Post Production",
                  "other": "Other"}
UNITS = ("days", "weeks", "hours", "allow", "flat", "each", "gpu_seconds")
PAYROLL_FRINGES = ("FICA", "MEDI", "FUTA", "SUI", "WC", "PAYROLL")
CAST_FRINGES = ("SAG", *PAYROLL_FRINGES)
BACKGROUND_FRINGES = ("SAGBG", *PAYROLL_FRINGES)
CAST_ACCOUNT, BACKGROUND_ACCOUNT, LOCATION_ACCOUNT, COMPUTE_ACCOUNT = "1400", "2100", "3600", "9000"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class BudgetError(Invalid):
    """A budget that cannot be computed or a data file that cannot be read: names the line/file."""


# -- model -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    number: str
    name: str
    section: str


@dataclass(frozen=True)
class Fringe:
    """A payroll add-on: ``percent`` of wages (capped per person at ``cap``) or ``flat`` per unit."""

    code: str
    name: str
    kind: str
    rate: float
    cap: float | None = None
    effective_date: date = date(1900, 1, 1)
    note: str = ""


@dataclass(frozen=True)
class Rate:
    """One rate-card row: crew, equipment, location, service or GPU rate with its effective date."""

    code: str
    kind: str
    name: str
    unit: str
    rate: float
    currency: str = "USD"
    effective_date: date = date(1900, 1, 1)
    note: str = ""


@dataclass(frozen=True)
class DetailLine:
    account: str
    description: str
    amount: str | float
    units: str
    multiplier: str | float
    rate: str | float
    fringes: tuple[str, ...] = ()
    source: str = ""

    @property
    def label(self) -> str:
        return f"line {self.account} {self.description!r}"


@dataclass
class Budget:
    """Everything :func:`compute` needs: accounts, lines, globals, fringes in force, percentages."""

    title: str
    on: date
    accounts: Sequence[Account]
    lines: Sequence[DetailLine]
    globals: Mapping[str, str | float] = field(default_factory=dict)
    fringes: Mapping[str, Fringe] = field(default_factory=dict)
    contingency_pct: float = _DEFAULTS.contingency_pct
    contingency_base: str = "all"      # "all": ATL + BTL; "btl": below the line only
    overhead_pct: float = _DEFAULTS.overhead_pct
    bond_pct: float = _DEFAULTS.bond_pct


@dataclass(frozen=True)
class BudgetResult:
    budget: Budget
    globals: dict[str, float]
    detail: pl.DataFrame
    top_sheet: pl.DataFrame
    section_totals: dict[str, float]
    atl: float
    btl: float
    direct: float
    contingency: float
    overhead: float
    bond: float
    grand_total: float

    def summary(self) -> pl.DataFrame:
        """Section totals then the bottom of the top sheet, one (label, amount) row each."""
        rows = [(f"Total {SECTION_TITLES[s]}", self.section_totals.get(s, 0.0)) for s in SECTIONS]
        rows += [("Total Below-The-Line", self.btl),
                 ("Total Above and Below-The-Line", self.direct),
                 (f"Contingency {_pct(self.budget.contingency_pct)}", self.contingency),
                 (f"Overhead {_pct(self.budget.overhead_pct)}", self.overhead),
                 (f"Completion Bond {_pct(self.budget.bond_pct)}", self.bond),
                 ("Grand Total", self.grand_total)]
        return pl.DataFrame(rows, schema={"label": pl.Utf8, "amount": pl.Float64}, orient="row")


def _pct(p: float) -> str:
    return f"{p:g}%"


# -- safe formulas -------------------------------------------------------------------------------

_FUNCS = {"min": min, "max": max, "ceil": math.ceil}
_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b}


def _parse(text: str, where: str) -> ast.Expression:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise BudgetError(f"{where}: cannot parse formula {text!r} ({e.msg})") from None
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Call,
                               ast.UAdd, ast.USub, *_BINOPS))
        if isinstance(node, ast.Constant):
            ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.Call):
            ok = isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords
        if not ok:
            raise BudgetError(f"{where}: formula {text!r} uses {type(node).__name__}; only numbers, "
                              "+ - * / ( ), min/max/ceil and global names are allowed")
    return tree


def _names(tree: ast.Expression) -> set[str]:
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


def _eval(tree: ast.AST, env: Mapping[str, float], where: str) -> float:
    def ev(n: ast.AST) -> float:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant):
            return float(n.value)
        if isinstance(n, ast.Name):
            if n.id not in env:
                raise BudgetError(f"{where}: unknown global {n.id!r}; define it or fix the name")
            return env[n.id]
        if isinstance(n, ast.UnaryOp):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            if isinstance(n.op, ast.Div) and b == 0:
                raise BudgetError(f"{where}: division by zero")
            return _BINOPS[type(n.op)](a, b)
        if isinstance(n, ast.Call):
            args = [ev(a) for a in n.args]
            if not args or (n.func.id == "ceil" and len(args) != 1):
                raise BudgetError(f"{where}: {n.func.id}() needs {'one argument' if n.func.id == 'ceil' else 'arguments'}")
            return float(_FUNCS[n.func.id](*args) if n.func.id != "ceil" else math.ceil(args[0]))
        raise BudgetError(f"{where}: unsupported expression")  # unreachable after _parse
    return ev(tree)


def evaluate(value: str | float, env: Mapping[str, float], where: str = "formula") -> float:
    """A number, or a formula over ``env`` (numbers, + - * / ( ), min/max/ceil, names)."""
    if isinstance(value, bool):
        raise BudgetError(f"{where}: {value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise BudgetError(f"{where}: empty or non-text value {value!r}")
    return _eval(_parse(value, where), env, where)


def resolve_globals(globals_: Mapping[str, str | float]) -> dict[str, float]:
    """Values for every global, formulas resolved in dependency order; cycles name their path."""
    trees: dict[str, ast.Expression | None] = {}
    for name, v in globals_.items():
        if not _NAME.match(name):
            raise BudgetError(f"global {name!r}: names are upper case letters, digits and _")
        trees[name] = _parse(v, f"global {name}") if isinstance(v, str) else None
    out: dict[str, float] = {}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cyc = path[path.index(name):]
            raise BudgetError(f"global {path[0]}: cycle {' -> '.join(cyc)}")
        state[name] = 1
        tree = trees[name]
        if tree is None:
            out[name] = evaluate(globals_[name], {}, f"global {name}")
        else:
            for dep in sorted(_names(tree)):
                if dep not in trees:
                    raise BudgetError(f"global {name}: unknown global {dep!r} in {globals_[name]!r}")
                visit(dep, path + [dep])
            out[name] = _eval(tree, out, f"global {name}")
        state[name] = 2

    for name in globals_:
        visit(name, [name])
    return out


# -- data files --------------------------------------------------------------------------------


def _rows(path: str | Path, required: Sequence[str]) -> Iterable[tuple[str, int, dict[str, str]]]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise BudgetError(f"{p}: cannot read ({e.strerror})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise BudgetError(f"{p}:1: missing column(s) {', '.join(missing)}; header needs {', '.join(required)}")
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        yield str(p), reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _num(where: str, col: str, text: str, *, negative: bool = False) -> float:
    try:
        v = float(text)
    except ValueError:
        raise BudgetError(f"{where}: {col} {text!r} is not a number") from None
    if not math.isfinite(v) or (v < 0 and not negative):
        raise BudgetError(f"{where}: {col} {text!r} must be a non-negative number")
    return v


def _date(where: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BudgetError(f"{where}: effective_date {text!r} must be YYYY-MM-DD") from None


def read_chart(path: str | Path = CHART_PATH) -> tuple[Account, ...]:
    out: dict[str, Account] = {}
    for f, n, r in _rows(path, ("account", "name", "section")):
        where = f"{f}:{n}"
        if not r["account"].isdigit():
            raise BudgetError(f"{where}: account {r['account']!r} must be digits (e.g. 1400)")
        if r["section"] not in SECTIONS:
            raise BudgetError(f"{where}: section {r['section']!r} must be one of {', '.join(SECTIONS)}")
        if r["account"] in out:
            raise BudgetError(f"{where}: account {r['account']} is listed twice")
        out[r["account"]] = Account(r["account"], r["name"], r["section"])
    return tuple(sorted(out.values(), key=lambda a: int(a.number)))


def read_fringes(path: str | Path = FRINGES_PATH) -> list[Fringe]:
    out = []
    for f, n, r in _rows(path, ("code", "name", "kind", "rate", "cap", "effective_date")):
        where = f"{f}:{n}"
        if r["kind"] not in ("percent", "flat"):
            raise BudgetError(f"{where}: kind {r['kind']!r} must be percent or flat")
        if not r["code"]:
            raise BudgetError(f"{where}: code is empty")
        cap = _num(where, "cap", r["cap"]) if r["cap"] else None
        out.append(Fringe(r["code"], r["name"], r["kind"], _num(where, "rate", r["rate"]), cap,
                          _date(where, r["effective_date"]), r.get("note", "")))
    return out


def read_rates(path: str | Path = RATES_PATH) -> list[Rate]:
    out = []
    for f, n, r in _rows(path, ("code", "kind", "name", "unit", "rate", "effective_date")):
        where = f"{f}:{n}"
        if not r["code"]:
            raise BudgetError(f"{where}: code is empty")
        out.append(Rate(r["code"], r["kind"], r["name"], r["unit"], _num(where, "rate", r["rate"]),
                        r.get("currency") or "USD", _date(where, r["effective_date"]), r.get("note", "")))
    return out


def _in_force(rows: Iterable, on: date) -> dict:
    best: dict = {}
    for r in rows:
        if r.effective_date <= on and (r.code not in best or r.effective_date >= best[r.code].effective_date):
            best[r.code] = r
    return best


def fringes_in_force(fringes: Iterable[Fringe], on: date,
                     overrides: Mapping[str, float] | None = None) -> dict[str, Fringe]:
    """The newest row per code at ``on``; ``overrides`` (code -> rate) replace a project's rates."""
    rows = list(fringes)
    best = _in_force(rows, on)
    for code, rate in (overrides or {}).items():
        if code not in best:
            known = {r.code for r in rows}
            why = "has no row in force at " + on.isoformat() if code in known else "is not a fringe code"
            raise BudgetError(f"fringe override {code!r} {why}; known: {', '.join(sorted(best))}")
        best[code] = replace(best[code], rate=_num(f"fringe override {code}", "rate", str(rate)))
    return best


def rates_in_force(rates: Iterable[Rate], on: date) -> dict[str, Rate]:
    return _in_force(rates, on)


def gpu_rate(card: Mapping[str, Rate], model: str, gpu_kind: str) -> Rate:
    """The per-GPU-second rate for a model on a GPU kind: ``GPU:<model>:<gpu>`` else ``GPU:*:<gpu>``.

    Workers report the device's own name ("NVIDIA H100 80GB HBM3"); a card kind that names part of
    it ("H100") matches, the longest such kind first."""
    for code in (f"GPU:{model}:{gpu_kind}", f"GPU:*:{gpu_kind}"):
        if code in card:
            return card[code]
    for scope in (f"GPU:{model}:", "GPU:*:"):
        kinds = sorted((c[len(scope):] for c in card if c.startswith(scope)), key=len, reverse=True)
        for kind in kinds:
            if kind and kind.lower() in gpu_kind.lower().split() + [gpu_kind.lower()]:
                return card[scope + kind]
    raise BudgetError(f"AI compute: no rate for model {model!r} on {gpu_kind!r}; add GPU:*:{gpu_kind} "
                      "or GPU:<model>:<gpu> to the rate card")


def read_template(path: str | Path = TEMPLATE_PATH) -> tuple[dict[str, str | float], list[DetailLine]]:
    """Template globals (rows with account GLOBAL: description = name, amount = value) and lines."""
    globals_: dict[str, str | float] = {}
    lines = []
    for f, n, r in _rows(path, ("account", "description", "amount", "units", "multiplier", "rate")):
        where = f"{f}:{n}"
        if r["account"] == "GLOBAL":
            globals_[r["description"]] = _cell(r["amount"])
            continue
        for col in ("amount", "multiplier", "rate"):
            if not r[col]:
                raise BudgetError(f"{where}: {col} is empty")
        lines.append(DetailLine(r["account"], r["description"], _cell(r["amount"]), r["units"],
                                _cell(r["multiplier"]), _cell(r["rate"]),
                                tuple(r.get("fringes", "").split()), r.get("source", "")))
    return globals_, lines


def _cell(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


# -- compute -------------------------------------------------------------------------------------


def _money(x: float) -> float:
    return round(x + 0.0, 2)


def compute(budget: Budget) -> BudgetResult:
    """Line totals, fringes, account and section totals, contingency, overhead, bond, grand total."""
    accounts = {a.number: a for a in budget.accounts}
    if budget.contingency_base not in ("all", "btl"):
        raise BudgetError(f"contingency_base {budget.contingency_base!r} must be 'all' or 'btl'")
    for name, p in (("contingency_pct", budget.contingency_pct), ("overhead_pct", budget.overhead_pct),
                    ("bond_pct", budget.bond_pct)):
        if not (isinstance(p, (int, float)) and math.isfinite(p) and p >= 0):
            raise BudgetError(f"{name} {p!r} must be a non-negative percentage")
    env = resolve_globals(budget.globals)
    rows = []
    for i, ln in enumerate(budget.lines, 1):
        where = f"{ln.label} (#{i})"
        if ln.account not in accounts:
            raise BudgetError(f"{where}: account {ln.account!r} is not in the chart of accounts")
        if ln.units not in UNITS:
            raise BudgetError(f"{where}: units {ln.units!r} must be one of {', '.join(UNITS)}")
        amount = evaluate(ln.amount, env, f"{where} amount")
        mult = evaluate(ln.multiplier, env, f"{where} multiplier")
        rate = evaluate(ln.rate, env, f"{where} rate")
        for col, v in (("amount", amount), ("multiplier", mult), ("rate", rate)):
            if v < 0:
                raise BudgetError(f"{where}: {col} evaluates to {v:g}; it must not be negative")
        per_person = amount * rate
        subtotal = _money(per_person * mult)
        fr = 0.0
        for code in ln.fringes:
            if code not in budget.fringes:
                raise BudgetError(f"{where}: fringe {code!r} is not in force; known: "
                                  f"{', '.join(sorted(budget.fringes)) or 'none'}")
            f = budget.fringes[code]
            if f.kind == "percent":
                base = per_person if f.cap is None else min(per_person, f.cap)
                fr += base * f.rate / 100.0 * mult
            else:
                fr += f.rate * amount * mult
        fr = _money(fr)
        a = accounts[ln.account]
        rows.append({"account": a.number, "account_name": a.name, "section": a.section,
                     "description": ln.description, "amount": amount, "units": ln.units,
                     "multiplier": mult, "rate": rate, "subtotal": subtotal, "fringes": fr,
                     "total": _money(subtotal + fr), "fringe_codes": " ".join(ln.fringes),
                     "source": ln.source})
    schema = {"account": pl.Utf8, "account_name": pl.Utf8, "section": pl.Utf8, "description": pl.Utf8,
              "amount": pl.Float64, "units": pl.Utf8, "multiplier": pl.Float64, "rate": pl.Float64,
              "subtotal": pl.Float64, "fringes": pl.Float64, "total": pl.Float64,
              "fringe_codes": pl.Utf8, "source": pl.Utf8}
    detail = pl.DataFrame(rows, schema=schema)
    sums: dict[str, list[float]] = {n: [0.0, 0.0] for n in accounts}
    for r in rows:
        sums[r["account"]][0] += r["subtotal"]
        sums[r["account"]][1] += r["fringes"]
    top = pl.DataFrame(
        [{"account": a.number, "name": a.name, "section": a.section, "subtotal": _money(sums[a.number][0]),
          "fringes": _money(sums[a.number][1]), "total": _money(sum(sums[a.number]))}
         for a in sorted(accounts.values(), key=lambda a: int(a.number))],
        schema={"account": pl.Utf8, "name": pl.Utf8, "section": pl.Utf8, "subtotal": pl.Float64,
                "fringes": pl.Float64, "total": pl.Float64})
    sections = {s: _money(sum(t for sec, t in zip(top["section"], top["total"], strict=True) if sec == s)) for s in SECTIONS}
    atl = sections["ATL"]
    btl = _money(sum(v for s, v in sections.items() if s != "ATL"))
    direct = _money(atl + btl)
    contingency = _money((direct if budget.contingency_base == "all" else btl) * budget.contingency_pct / 100)
    overhead = _money(direct * budget.overhead_pct / 100)
    before_bond = direct + contingency + overhead
    bond = _money(before_bond * budget.bond_pct / 100)
    return BudgetResult(budget, env, detail, top, sections, atl, btl, direct, contingency, overhead, bond,
                        _money(before_bond + bond))


# -- linking to the plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class CastDays:
    """One performer as the DOOD pays them."""

    cast_id: str
    character: str
    paid_days: float
    work_days: float
    hold_days: float
    daily_rate: float


@dataclass(frozen=True)
class GpuUsage:
    model: str
    gpu_kind: str
    gpu_seconds: float


@dataclass
class BudgetInputs:
    """What the plan says: the schedule length, who is paid for how long, where, how many extras."""

    shoot_days: int
    prep_weeks: float
    wrap_weeks: float
    cast: Sequence[CastDays | tuple] = ()
    location_days: Mapping[str, float] = field(default_factory=dict)
    background: Mapping[str | int, int] = field(default_factory=dict)
    gpu_usage: Sequence[GpuUsage | tuple] = ()
    location_rates: Mapping[str, float] = field(default_factory=dict)

    def cast_rows(self) -> list[CastDays]:
        return [c if isinstance(c, CastDays) else CastDays(*c) for c in self.cast]

    def gpu_rows(self) -> list[GpuUsage]:
        return [g if isinstance(g, GpuUsage) else GpuUsage(*g) for g in self.gpu_usage]


def inputs_from_plan(days: Sequence[Sequence[Strip]], dood: DayOutOfDays, day_rates: Mapping[str, float], *,
                     prep_weeks: float, wrap_weeks: float,
                     background: Mapping[str | int, int] | None = None,
                     gpu_usage: Sequence[GpuUsage | tuple] = (),
                     location_rates: Mapping[str, float] | None = None) -> BudgetInputs:
    """:class:`BudgetInputs` from a board (``Schedule.days``) and its DOOD.

    Shoot days are the board's days; a location's days are the shoot days it appears on; each cast
    row of the DOOD is paid its DOOD paid days at ``day_rates[element_id]`` (the cast number as text,
    e.g. from ``Studio.cast()``).
    """
    loc_days: dict[str, float] = {}
    for day in days:
        for loc in {s.location for s in day if s.location}:
            loc_days[loc] = loc_days.get(loc, 0.0) + 1
    cast = []
    for r in dood.rows:
        if r.element.category != "cast":
            continue
        eid = r.element.element_id
        if eid not in day_rates:
            raise BudgetError(f"cast {eid} ({r.element.name}): no day rate; set one (studio cast rate) "
                              "before budgeting")
        t = r.totals
        cast.append(CastDays(eid, r.element.name, float(t.paid_days), float(t.work), float(t.hold),
                             float(day_rates[eid])))
    return BudgetInputs(len(days), prep_weeks, wrap_weeks, cast, loc_days, dict(background or {}),
                        tuple(gpu_usage), dict(location_rates or {}))


def plan_globals(inputs: BudgetInputs) -> dict[str, float]:
    """The schedule's globals: SHOOT_DAYS, PREP_WEEKS, WRAP_WEEKS, CAST_COUNT, LOCATION_DAYS."""
    for name, v in (("shoot_days", inputs.shoot_days), ("prep_weeks", inputs.prep_weeks),
                    ("wrap_weeks", inputs.wrap_weeks)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise BudgetError(f"budget inputs: {name} {v!r} must be a non-negative number")
    return {"SHOOT_DAYS": float(inputs.shoot_days), "PREP_WEEKS": float(inputs.prep_weeks),
            "WRAP_WEEKS": float(inputs.wrap_weeks), "CAST_COUNT": float(len(inputs.cast)),
            "LOCATION_DAYS": float(sum(inputs.location_days.values()))}


def plan_lines(inputs: BudgetInputs, card: Mapping[str, Rate]) -> list[DetailLine]:
    """Generated lines: 1400 cast (DOOD paid days), 2100 background, 3600 locations, 9000 AI compute."""
    out = []
    for c in inputs.cast_rows():
        if c.paid_days < 0 or c.daily_rate < 0:
            raise BudgetError(f"cast {c.cast_id} ({c.character}): paid days and day rate must be non-negative")
        out.append(DetailLine(CAST_ACCOUNT, f"{c.cast_id} {c.character}".strip(), float(c.paid_days), "days", 1.0,
                              float(c.daily_rate), CAST_FRINGES, f"dood:{c.cast_id}"))
    if inputs.background:
        if "EXTRA_DAY" not in card:
            raise BudgetError("background: the rate card has no EXTRA_DAY rate in force")
        for key, count in inputs.background.items():
            if isinstance(count, bool) or not isinstance(count, (int, float)) or count < 0:
                raise BudgetError(f"background {key!r}: count {count!r} must be a non-negative number")
            label = f"day {key}" if isinstance(key, int) else str(key)
            out.append(DetailLine(BACKGROUND_ACCOUNT, f"Background - {label}", 1.0, "days", float(count),
                                  card["EXTRA_DAY"].rate, BACKGROUND_FRINGES, f"background:{key}"))
    for loc, days in inputs.location_days.items():
        if days < 0:
            raise BudgetError(f"location {loc!r}: {days} days must be non-negative")
        if loc in inputs.location_rates:
            rate = float(inputs.location_rates[loc])
        elif "LOCATION_DAY" in card:
            rate = card["LOCATION_DAY"].rate
        else:
            raise BudgetError(f"location {loc!r}: no fee given and no LOCATION_DAY rate in the rate card")
        out.append(DetailLine(LOCATION_ACCOUNT, f"Location fee - {loc}", float(days), "days", 1.0, rate, (),
                              f"schedule:location:{loc}"))
    secs: dict[tuple[str, str], float] = {}
    for g in inputs.gpu_rows():
        if g.gpu_seconds < 0:
            raise BudgetError(f"AI compute {g.model} on {g.gpu_kind}: {g.gpu_seconds} GPU-seconds is negative")
        secs[(g.model, g.gpu_kind)] = secs.get((g.model, g.gpu_kind), 0.0) + float(g.gpu_seconds)
    for (model, gpu), s in sorted(secs.items()):
        out.append(DetailLine(COMPUTE_ACCOUNT, f"{model} on {gpu}", s, "gpu_seconds", 1.0,
                              gpu_rate(card, model, gpu).rate, (), f"metering:{model}:{gpu}"))
    return out


def plan_budget(inputs: BudgetInputs, *, title: str, on: date,
                template: tuple[Mapping[str, str | float], Sequence[DetailLine]] | None = None,
                rates: Iterable[Rate] | None = None, fringes: Iterable[Fringe] | None = None,
                accounts: Sequence[Account] | None = None,
                fringe_overrides: Mapping[str, float] | None = None,
                extra_globals: Mapping[str, str | float] | None = None,
                contingency_pct: float = _DEFAULTS.contingency_pct, contingency_base: str = "all",
                overhead_pct: float = _DEFAULTS.overhead_pct, bond_pct: float = _DEFAULTS.bond_pct) -> Budget:
    """A :class:`Budget` from the plan merged with a template (the shipped data files by default).

    Globals, later wins: rate-card codes that are names (UPM_WEEK, ...), the template's globals,
    the plan's (SHOOT_DAYS, ...), then ``extra_globals``.
    """
    card = rates_in_force(read_rates() if rates is None else rates, on)
    t_globals, t_lines = read_template() if template is None else template
    globals_: dict[str, str | float] = {c: r.rate for c, r in card.items() if _NAME.match(c)}
    globals_.update(t_globals)
    globals_.update(plan_globals(inputs))
    globals_.update(extra_globals or {})
    return Budget(title=title, on=on, accounts=tuple(read_chart() if accounts is None else accounts),
                  lines=[*t_lines, *plan_lines(inputs, card)], globals=globals_,
                  fringes=fringes_in_force(read_fringes() if fringes is None else fringes, on, fringe_overrides),
                  contingency_pct=contingency_pct, contingency_base=contingency_base,
                  overhead_pct=overhead_pct, bond_pct=bond_pct)


# -- comparing -------------------------------------------------------------------------------------


def diff(a: BudgetResult, b: BudgetResult) -> pl.DataFrame:
    """Per account (then contingency, overhead, bond, grand total): total in a, in b, and the delta."""
    ta = {r["account"]: r for r in a.top_sheet.iter_rows(named=True)}
    tb = {r["account"]: r for r in b.top_sheet.iter_rows(named=True)}
    rows = []
    for acct in sorted(set(ta) | set(tb), key=int):
        r = ta.get(acct) or tb[acct]
        x, y = ta.get(acct, {}).get("total", 0.0), tb.get(acct, {}).get("total", 0.0)
        rows.append((acct, r["name"], r["section"], x, y, _money(y - x)))
    for key, label in (("contingency", "Contingency"), ("overhead", "Overhead"), ("bond", "Completion Bond"),
                       ("grand_total", "Grand Total")):
        x, y = getattr(a, key), getattr(b, key)
        rows.append((key.upper(), label, "total", x, y, _money(y - x)))
    return pl.DataFrame(rows, orient="row", schema={"account": pl.Utf8, "name": pl.Utf8, "section": pl.Utf8,
                                                    "total_a": pl.Float64, "total_b": pl.Float64,
                                                    "delta": pl.Float64})


def _n(v: float) -> str:
    return f"{v:g}"


def explain(d: pl.DataFrame, inputs_a: BudgetInputs, inputs_b: BudgetInputs) -> list[str]:
    """What changed in the plan (shoot days 7 -> 8, MARA paid days 7 -> 9) and which accounts moved."""
    out = []
    for label, x, y in (("shoot days", inputs_a.shoot_days, inputs_b.shoot_days),
                        ("prep weeks", inputs_a.prep_weeks, inputs_b.prep_weeks),
                        ("wrap weeks", inputs_a.wrap_weeks, inputs_b.wrap_weeks)):
        if x != y:
            out.append(f"{label} {_n(x)} -> {_n(y)}")
    ca = {c.cast_id: c for c in inputs_a.cast_rows()}
    cb = {c.cast_id: c for c in inputs_b.cast_rows()}
    for cid in sorted(set(ca) | set(cb)):
        x, y = ca.get(cid), cb.get(cid)
        if x is None or y is None:
            c = x or y
            out.append(f"{cid} ({c.character}) {'added' if x is None else 'removed'}")
            continue
        for attr, label in (("paid_days", "paid days"), ("daily_rate", "day rate")):
            if getattr(x, attr) != getattr(y, attr):
                out.append(f"{cid} {label} {_n(getattr(x, attr))} -> {_n(getattr(y, attr))}")
    for what, ma, mb in (("location", inputs_a.location_days, inputs_b.location_days),
                         ("background", inputs_a.background, inputs_b.background)):
        for k in sorted(set(ma) | set(mb), key=str):
            if ma.get(k, 0) != mb.get(k, 0):
                out.append(f"{what} {k} {_n(ma.get(k, 0))} -> {_n(mb.get(k, 0))}")
    ga: dict[tuple[str, str], float] = {}
    gb: dict[tuple[str, str], float] = {}
    for src, dst in ((inputs_a, ga), (inputs_b, gb)):
        for g in src.gpu_rows():
            dst[(g.model, g.gpu_kind)] = dst.get((g.model, g.gpu_kind), 0.0) + g.gpu_seconds
    for k in sorted(set(ga) | set(gb)):
        if ga.get(k, 0) != gb.get(k, 0):
            out.append(f"GPU-seconds {k[0]} on {k[1]} {_n(ga.get(k, 0))} -> {_n(gb.get(k, 0))}")
    for r in d.filter(pl.col("delta") != 0).iter_rows(named=True):
        out.append(f"{r['account']} {r['name']} {r['delta']:+,.2f}")
    return out


# -- exports ---------------------------------------------------------------------------------------


def write_csv(result: BudgetResult, path: str | Path) -> Path:
    """The top sheet (accounts, then section totals and the bottom lines) as CSV."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["account", "name", "section", "subtotal", "fringes", "total"])
    for r in result.top_sheet.iter_rows():
        w.writerow([*r[:3], *(f"{v:.2f}" for v in r[3:])])
    for label, amount in result.summary().iter_rows():
        w.writerow(["", label, "total", "", "", f"{amount:.2f}"])
    return atomic_write(path, buf.getvalue())


def write_detail_csv(result: BudgetResult, path: str | Path) -> Path:
    buf = io.StringIO()
    result.detail.write_csv(buf)
    return atomic_write(path, buf.getvalue())


def write_xlsx(result: BudgetResult, path: str | Path) -> Path:
    """Workbook with a Top Sheet and a Detail sheet, money formatted."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    f_title = wb.add_format({"bold": True, "font_size": 14, "font_name": "Arial"})
    f_head = wb.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1, "font_name": "Arial"})
    f_text = wb.add_format({"font_name": "Arial"})
    f_money = wb.add_format({"num_format": "#,##0.00", "font_name": "Arial"})
    f_num = wb.add_format({"num_format": "#,##0.####", "font_name": "Arial"})
    f_bold_money = wb.add_format({"num_format": "#,##0.00", "bold": True, "top": 1, "font_name": "Arial"})
    f_bold = wb.add_format({"bold": True, "font_name": "Arial"})
    ws = wb.add_worksheet("Top Sheet")
    ws.write(0, 0, result.budget.title, f_title)
    ws.write(1, 0, f"Budget date {result.budget.on.isoformat()}", f_text)
    for k, h in enumerate(("Acct#", "Category Title", "Section", "Subtotal", "Fringes", "Total")):
        ws.write(3, k, h, f_head)
    row = 4
    for r in result.top_sheet.iter_rows():
        ws.write_row(row, 0, r[:3], f_text)
        for k, v in enumerate(r[3:]):
            ws.write_number(row, 3 + k, v, f_money)
        row += 1
    row += 1
    for label, amount in result.summary().iter_rows():
        ws.write(row, 1, label, f_bold)
        ws.write_number(row, 5, amount, f_bold_money)
        row += 1
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 32)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 5, 15)
    wd = wb.add_worksheet("Detail")
    cols = ("Acct#", "Account", "Description", "Amount", "Units", "X", "Rate", "Subtotal", "Fringes", "Total",
            "Fringe codes", "Source")
    keys = ("account", "account_name", "description", "amount", "units", "multiplier", "rate", "subtotal",
            "fringes", "total", "fringe_codes", "source")
    for k, h in enumerate(cols):
        wd.write(0, k, h, f_head)
    for i, r in enumerate(result.detail.iter_rows(named=True), 1):
        for k, key in enumerate(keys):
            v = r[key]
            if isinstance(v, float):
                wd.write_number(i, k, v, f_money if key in ("rate", "subtotal", "fringes", "total") else f_num)
            else:
                wd.write(i, k, v, f_text)
    wd.set_column(0, 0, 7)
    wd.set_column(1, 2, 28)
    wd.set_column(3, 9, 13)
    wd.set_column(10, 11, 24)
    wd.freeze_panes(1, 0)
    wb.close()
    return atomic_write(path, buf.getvalue())


def write_pdf(result: BudgetResult, path: str | Path, title: str | None = None) -> Path:
    """A Movie Magic-like top sheet page, then account detail pages."""
    return atomic_write(path, _pdf_bytes(result, title or result.budget.title))


def _qty(v: float) -> str:
    return f"{v:,.4f}".rstrip("0").rstrip(".")


def _pdf_bytes(result: BudgetResult, title: str) -> bytes:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER)
    c.setTitle(f"Budget - {title}")
    width, height = LETTER
    m = 0.6 * inch
    page = [1]

    def head(sub: str) -> float:
        c.setFont("Helvetica-Bold", 14)
        c.drawString(m, height - m, title)
        c.setFont("Helvetica", 9)
        c.drawRightString(width - m, height - m, f"{sub}   page {page[0]}")
        c.drawString(m, height - m - 13, f"Budget date {result.budget.on.isoformat()}")
        c.line(m, height - m - 18, width - m, height - m - 18)
        return height - m - 34

    def newpage(sub: str) -> float:
        c.showPage()
        page[0] += 1
        return head(sub)

    # top sheet
    y = head("Top Sheet")
    xs = (m, m + 0.7 * inch, width - m - 2.6 * inch, width - m - 1.3 * inch, width - m)
    c.setFont("Helvetica-Bold", 9)
    c.drawString(xs[0], y, "Acct#")
    c.drawString(xs[1], y, "Category Title")
    for x, h in zip(xs[2:], ("Subtotal", "Fringes", "Total"), strict=True):
        c.drawRightString(x, y, h)
    y -= 14
    top = list(result.top_sheet.iter_rows(named=True))
    for s in SECTIONS:
        for r in (r for r in top if r["section"] == s):
            c.setFont("Helvetica", 9)
            c.drawString(xs[0], y, r["account"])
            c.drawString(xs[1], y, r["name"])
            for x, v in zip(xs[2:], (r["subtotal"], r["fringes"], r["total"]), strict=True):
                c.drawRightString(x, y, f"{v:,.2f}")
            y -= 12
        c.setFont("Helvetica-Bold", 9)
        c.drawString(xs[1], y, f"Total {SECTION_TITLES[s]}")
        c.drawRightString(xs[4], y, f"{result.section_totals[s]:,.2f}")
        y -= 16
    c.line(m, y + 8, width - m, y + 8)
    for label, amount in list(result.summary().iter_rows())[len(SECTIONS):]:
        c.setFont("Helvetica-Bold", 10 if label == "Grand Total" else 9)
        c.drawString(xs[1], y, label)
        c.drawRightString(xs[4], y, f"{amount:,.2f}")
        y -= 13

    # detail pages
    dx = (m, m + 2.9 * inch, m + 3.5 * inch, m + 3.9 * inch, m + 4.7 * inch, m + 5.5 * inch,
          m + 6.4 * inch, width - m)
    by_acct: dict[str, list[dict]] = {}
    for r in result.detail.iter_rows(named=True):
        by_acct.setdefault(r["account"], []).append(r)
    y = newpage("Account Detail")
    for r in top:
        lines = by_acct.get(r["account"])
        if not lines:
            continue
        if y < m + 60:
            y = newpage("Account Detail")
        c.setFont("Helvetica-Bold", 10)
        c.drawString(m, y, f"{r['account']}  {r['name']}")
        y -= 13
        c.setFont("Helvetica-Bold", 8)
        c.drawString(dx[0], y, "Description")
        for x, h in zip(dx[1:], ("Amount", "Units", "X", "Rate", "Subtotal", "Fringes", "Total"), strict=True):
            if h == "Units":
                c.drawString(x - 0.5 * inch, y, h)
            else:
                c.drawRightString(x, y, h)
        y -= 11
        c.setFont("Helvetica", 8)
        for ln in lines:
            if y < m + 20:
                y = newpage("Account Detail")
                c.setFont("Helvetica", 8)
            c.drawString(dx[0], y, ln["description"][:48])
            c.drawRightString(dx[1], y, _qty(ln["amount"]))
            c.drawString(dx[2] - 0.5 * inch, y, ln["units"])
            c.drawRightString(dx[3], y, _qty(ln["multiplier"]))
            c.drawRightString(dx[4], y, f"{ln['rate']:,.2f}" if ln["rate"] >= 0.01 else f"{ln['rate']:g}")
            for x, v in zip(dx[5:], (ln["subtotal"], ln["fringes"], ln["total"]), strict=True):
                c.drawRightString(x, y, f"{v:,.2f}")
            y -= 10
        c.setFont("Helvetica-Bold", 8)
        c.drawString(dx[0], y, f"Total {r['account']}")
        c.drawRightString(dx[7], y, f"{r['total']:,.2f}")
        y -= 18
    c.showPage()
    c.save()
    return buf.getvalue()

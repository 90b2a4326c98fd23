"""The shape of the code, checked from its source: the layering and no import cycles, one
permission idiom, one home for every default. Each test fails on the first file that breaks a rule
and names it."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from collections import defaultdict
from pathlib import Path

import pytest

from studio_kit.management import access
from studio_kit.studio import Studio

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "studio_kit"

#: The layering, ground floor first. A module may import its own package and anything on a lower
#: floor, never a peer on its floor or anything above (README, "Architecture").
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"common"}),                   # errors, UTC time, atomic files
    frozenset({"settings"}),
    frozenset({"screenplay", "store"}),      # the screenplay model; DuckDB and content-addressed files
    frozenset({"scripts"}),                  # scripts in the store, read by every engine
    frozenset({"management"}),               # roles and the one permission idiom; assets, tasks, reviews
    frozenset({"generation"}),               # model backends, jobs, the Ray runner
    frozenset({"characters", "preproduction", "platform"}),
    frozenset({"writing"}),                  # shot lists and boards draw locked characters
    frozenset({"studio"}),                   # composes every engine's facade
    frozenset({"api", "demo"}),
    frozenset({"cli"}),                      # serves the API, runs the demo
)
FLOOR = {name: k for k, names in enumerate(LAYERS) for name in names}
ENGINES = {"characters", "preproduction", "platform", "writing", "management", "generation"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that runs (module level or inside functions), skipping the
    ``if TYPE_CHECKING:`` blocks, which only name types."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                out.append(child)
            visit(child)

    visit(tree)
    return out


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The studio_kit modules an import statement loads (``from . import x`` loads module x)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".")
            if not MODULES[module].name == "__init__.py":
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        names = [target] + [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return [n for n in names if n.split(".")[0] == "studio_kit" and n in MODULES]


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _runtime_imports(tree):
            for target in _targets(module, node):
                if target != module:
                    graph[module].add(target)
    return graph


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "studio_kit"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            strong(v)
    return found


def test_every_room_has_a_floor():
    rooms = {_room(m) for m in MODULES} - {"studio_kit"}
    assert rooms <= set(FLOOR), f"add {sorted(rooms - set(FLOOR))} to LAYERS (and to the README's layering)"


def test_no_import_cycle_between_files():
    assert _cycles(import_graph()) == []


def test_no_import_cycle_between_packages():
    rooms: dict[str, set[str]] = defaultdict(set)
    for a, targets in import_graph().items():
        for b in targets:
            if _room(a) != _room(b) and "studio_kit" not in (_room(a), _room(b)):
                rooms[_room(a)].add(_room(b))
    assert _cycles(rooms) == []


def test_imports_follow_the_layering():
    wrong = []
    for a, targets in sorted(import_graph().items()):
        for b in sorted(targets):
            ra, rb = _room(a), _room(b)
            if ra == rb or rb == "studio_kit":
                continue
            if FLOOR[rb] >= FLOOR[ra]:
                wrong.append(f"{a} -> {b} ({ra} on floor {FLOOR[ra]} may not import {rb} on floor {FLOOR[rb]})")
    assert not wrong, "\n".join(wrong)


def test_ground_floor_and_engines_import_nothing_above_them():
    graph = import_graph()
    for module, targets in graph.items():
        rooms = {_room(t) for t in targets}
        if _room(module) in ("screenplay", "store", "common", "settings", "scripts"):
            assert not rooms & ENGINES, f"{module} imports an engine: {sorted(rooms & ENGINES)}"
        if _room(module) in ENGINES:
            assert not rooms & {"studio", "api", "cli", "demo"}, f"{module} imports {sorted(rooms)}"


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The rule can fail: a store module importing an engine is reported."""
    fake = tmp_path / "studio_kit" / "store"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("from ..writing import shots\n")
    monkeypatch.setitem(MODULES, "studio_kit.store.bad", fake / "bad.py")
    graph = import_graph()
    assert "studio_kit.writing.shots" in graph["studio_kit.store.bad"]
    with pytest.raises(AssertionError, match="store.bad -> studio_kit.writing.shots"):
        test_imports_follow_the_layering()


# -- one permission idiom ---------------------------------------------------------------------------

#: Public Studio members that are not operations, and why (nothing else may be public and unchecked).
NOT_OPERATIONS = {
    "open": "opens the store: who may open it is the file system's question",
    "close": "closes the Studio's own connection and runner",
    "for_project": "a Studio on another project; its operations check for themselves",
    "projects": "the list a user picks a project from, filtered by their memberships",
    "media_root": "where relative artifact paths point (no production data)",
    "analyze_file": "parses the caller's own file; reads and writes nothing of the store",
    "model_profile": "configuration (which model serves which task), not production data",
}


def test_every_public_studio_member_is_an_operation_or_says_why_not():
    ops = access.operations_of(Studio)
    public = {n for n in dir(Studio) if not n.startswith("_")}
    unchecked = sorted(public - set(ops) - set(NOT_OPERATIONS))
    assert not unchecked, f"declare these with management.access.operation: {unchecked}"
    assert not set(ops) & set(NOT_OPERATIONS)
    for name, op in ops.items():
        assert op.action in access.ACTIONS and op.name == name


def test_operation_table():
    """Every operation with its action, as the permission matrix reads them (printed with -s)."""
    ops = access.operations_of(Studio)
    table = sorted((op.action, name) for name, op in ops.items())
    by_action: dict[str, list[str]] = defaultdict(list)
    for action, name in table:
        by_action[action].append(name)
    for action, names in sorted(by_action.items()):
        print(f"{action:<18} {', '.join(names)}")
    assert len(ops) >= 100
    assert {a for a, _ in table} <= set(access.ACTIONS)


def _ops_sources() -> list[Path]:
    return sorted(PACKAGE.glob("*/ops.py")) + [PACKAGE / "studio.py"]


#: The calls that decide a permission; only management/ (the access module and the engines that
#: filter objects for a principal) may make them.
PERMISSION_CALLS = {"authorize", "may", "require_member", "refuse", "_check", "requires"}


def test_one_idiom_no_check_outside_management():
    """Only management/ decides permissions (``operation`` in access.py, object-level ``refuse``);
    nobody else calls ``authorize``, ``may`` or a ``_check``, or defines a second decorator."""
    offenders = []
    doors = [*PACKAGE.rglob("*.py"), *(REPO / "dashboards").rglob("*.py")]
    for path in doors:
        if path.parent == PACKAGE / "management":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in PERMISSION_CALLS:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} calls {name}")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in ("_check", "requires"):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} defines {node.name}")
    assert not offenders, "\n".join(offenders)


def test_object_level_refusals_name_real_actions():
    """``refuse`` / ``require_member`` inside management audit under an action of the matrix."""
    wrong = []
    for path in (PACKAGE / "management").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("refuse", "require_member")
                    and len(node.args) > 2 and isinstance(node.args[2], ast.Constant)
                    and node.args[2].value not in access.ACTIONS):
                wrong.append(f"{path.name}:{node.lineno} {node.args[2].value!r}")
    assert not wrong, "\n".join(wrong)


def _is_operation(decorator: ast.expr) -> bool:
    """``@operation(...)`` or ``@access.operation(...)``, however it is spelled."""
    return isinstance(decorator, ast.Call) and ast.unparse(decorator.func).split(".")[-1] == "operation"


def _operation_methods(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    out = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            if any(_is_operation(d) for d in fn.decorator_list):
                out[fn.name] = fn
    return out


def test_an_operation_never_calls_another_operation():
    """Statically: inside an operation, ``self.<another operation>(...)`` is a second check (the
    engine function is called instead). At run time a nested call raises NestedOperation too."""
    names = set(access.operations_of(Studio))
    nested = []
    for path in _ops_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, fn in _operation_methods(tree).items():
            for node in ast.walk(fn):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                        and node.func.attr in names):
                    nested.append(f"{path.relative_to(REPO)}: {name} calls self.{node.func.attr}")
    assert not nested, "\n".join(nested)


def test_each_operation_method_has_exactly_one_decorator():
    for path in _ops_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, fn in _operation_methods(tree).items():
            checks = [d for d in fn.decorator_list if _is_operation(d)]
            assert len(checks) == 1, f"{path.name}: {name} has {len(checks)} operation decorators"


#: What a door (router or dashboard page) may read of a Studio besides its operations.
STUDIO_ATTRIBUTES = {"tenant", "project", "user", "settings"}
#: Attributes no door touches on anything: the store, its connection, a project scope.
STORE_ATTRIBUTES = {"store", "scope", "con"}
#: Store-level engine modules a door must not import (their functions take the scope).
STORE_MODULES = ("_store", "generation.jobs", "generation.metering", "studio_kit.store", "...store")


def test_routers_and_dashboard_pages_go_through_studio_operations():
    """A door reads a Studio's operations (and its tenant, project, user, settings) only: no
    private helper, no store, no scope, no store-level engine module, whatever the names."""
    allowed = set(access.operations_of(Studio)) | set(NOT_OPERATIONS) | STUDIO_ATTRIBUTES
    doors = [*(PACKAGE / "api" / "routers").glob("*.py"), *(REPO / "dashboards" / "pages").glob("*.py")]
    assert len(doors) > 15
    offenders = []
    for path in doors:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute):
                owner = ast.unparse(node.value)
                if node.attr in STORE_ATTRIBUTES:
                    offenders.append(f"{where} uses {owner}.{node.attr}")
                elif owner.split(".")[-1] == "studio" and node.attr not in allowed:
                    offenders.append(f"{where} uses {owner}.{node.attr}, which is not an operation")
            if isinstance(node, ast.ImportFrom):
                mod = "." * node.level + (node.module or "")
                if mod.endswith(STORE_MODULES) or any(a.name.endswith("_store") for a in node.names):
                    offenders.append(f"{where} imports {mod}")
                if mod.endswith("access") and any(a.name[0].islower() for a in node.names):  # its models only
                    offenders.append(f"{where} imports functions of {mod}")
                if mod.endswith("management") and "access" in {a.name for a in node.names}:
                    offenders.append(f"{where} imports {mod}.access")
    assert not offenders, "\n".join(offenders)


def test_no_operation_writes_a_number_of_its_own_as_a_default():
    """Numbers an operation defaults to live in an options object (0 is no number)."""
    found = []
    for path in _ops_sources():
        for name, fn in _operation_methods(ast.parse(path.read_text(encoding="utf-8"))).items():
            args = fn.args
            for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
                if (isinstance(default, ast.Constant) and isinstance(default.value, int | float)
                        and not isinstance(default.value, bool) and default.value != 0):
                    found.append(f"{path.name}: {name} defaults to {default.value!r}")
    assert not found, "\n".join(found)


def test_a_nested_operation_is_refused_at_run_time(tmp_path):
    class Sloppy(Studio):
        @access.operation("project.read")
        def both(self):
            return self.scripts()  # an operation inside an operation

        @access.operation("project.read")
        def through_another_studio(self):
            return self.for_project(self.project).scripts()

    with Sloppy.open(store_path=tmp_path / "s.duckdb", project="p") as studio:
        with pytest.raises(access.NestedOperation, match="scripts was called inside both"):
            studio.both()
        with pytest.raises(access.NestedOperation, match="inside through_another_studio"):
            studio.through_another_studio()
        assert studio.scripts().is_empty()  # the failed calls left no operation running


# -- one home for every default ---------------------------------------------------------------------


def _cli_defaults(command: str) -> dict[str, object]:
    from studio_kit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {a.dest: a.default for a in sub.choices[command]._actions}


def test_cli_defaults_come_from_the_options_objects():
    from studio_kit.characters.options import LockOptions
    from studio_kit.preproduction.options import BudgetOptions, ScheduleOptions
    from studio_kit.writing.options import AnimaticOptions, BoardOptions, DevelopOptions, ShotListOptions

    s = _cli_defaults("schedule")
    o = ScheduleOptions()
    assert (s["capacity"], s["hours"], s["time_limit"], s["drop_pickup"]) == (
        o.capacity_eighths, o.capacity_hours, o.time_limit_s, o.drop_pickup)
    b, bo = _cli_defaults("budget"), BudgetOptions()
    assert (b["prep_weeks"], b["wrap_weeks"], b["contingency"], b["overhead"], b["bond"]) == (
        bo.prep_weeks, bo.wrap_weeks, bo.contingency_pct, bo.overhead_pct, bo.bond_pct)
    assert _cli_defaults("shots")["mode"] == ShotListOptions().mode
    assert _cli_defaults("boards")["size"] == "x".join(map(str, BoardOptions().size))
    a = _cli_defaults("animatic")
    assert (a["fps"], a["size"]) == (AnimaticOptions().fps, "x".join(map(str, AnimaticOptions().size)))
    d = _cli_defaults("develop")
    assert (d["pages"], d["mode"]) == (DevelopOptions().target_pages, DevelopOptions().mode)
    c = _cli_defaults("characters")
    assert (c["seed"], c["seed_policy"], c["threshold"]) == (LockOptions().seed, LockOptions().seed_policy,
                                                              LockOptions().threshold)


def test_api_defaults_come_from_the_options_objects():
    from studio_kit.api.routers.schedule import PlanIn
    from studio_kit.api.routers.writing import MakeShotLists
    from studio_kit.preproduction.options import ScheduleOptions
    from studio_kit.writing.options import ShotListOptions

    o = ScheduleOptions()
    plan = PlanIn()
    assert plan.options() == o
    assert (plan.capacity_eighths, plan.time_limit_s, plan.max_days) == (o.capacity_eighths, o.time_limit_s, o.max_days)
    assert PlanIn.model_fields["time_limit_s"].metadata  # bounded
    assert MakeShotLists().mode == ShotListOptions().mode


def test_studio_operations_default_to_the_options_objects():
    """No operation carries its own copy of a default that an options object holds."""
    option_fields = set()
    from studio_kit.characters import options as co
    from studio_kit.preproduction import options as po
    from studio_kit.writing import options as wo

    for module in (co, po, wo):
        for _, cls in inspect.getmembers(module, dataclasses.is_dataclass):
            option_fields |= {f.name for f in dataclasses.fields(cls)}
    option_fields -= {"mode"}  # develop's run mode argument of a re-run is the options' too
    for name in access.operations_of(Studio):
        params = inspect.signature(getattr(Studio, name)).parameters
        dup = sorted(set(params) & option_fields)
        assert dup == [], f"Studio.{name} takes {dup} directly; take them from its options object"

"""Scenarios: small YAML files of overrides applied to the raw tables of a base instance.

A scenario changes the *raw* tables (before validation); the variant is then read by the same
reader as the base, so a scenario value is validated exactly like a base value — and an error
caused by a scenario names the scenario file, the change number and the field::

    round2.yaml change 1, field 'share_of_parent': Input should be less than or equal to 1 ...

File format::

    name: round2                      # optional; defaults to the file name
    description: the ward's share raised to 2 400 admissions
    changes:                          # applied in order
      - table: demand
        where: {unit: WARD, planning_object: admission}   # all columns must match
        set: {share_of_parent: 0.3}                       # replace values (adds a column if new)
      - table: demand
        where: {unit: REGION}
        scale: {base_volume: 1.05}                        # multiply numeric values
      - table: staff
        where: {unit: WARD, function: rn}
        add: {fte: -2}                                    # add to numeric values
      - table: beds
        append: [{unit: WARD, resource: beds, staffed_beds: 4, period: 2026}]
      - table: improvements
        where: {improvement: triage}
        remove: true                                      # delete the matching rows
      - parameters: {acute_share: 0.9}                    # override manifest parameters
      - shortcut: demand_pct                              # a named shortcut (see below)
        unit: WARD
        pct: 10

``where`` is optional for ``set``/``scale``/``add``/``remove`` (no ``where``: every row) but a
``where`` that matches no row is an error. Values compare as text, numbers numerically
(``2026`` matches ``"2026"``), ``null`` matches a blank cell, and a list matches any of its
values (``{unit: [KIR, ORT]}``). ``scale`` and ``add`` need a
number in every matched cell; with ``skip_blank: true`` blank cells are left alone; with
``if_present: true`` a change whose table is absent or whose ``where`` matches no row does
nothing (instead of being an error).

**Shortcuts** are registered by a planning level with :func:`register_shortcut`: a function
from the change's other keys to a list of generic changes. The need level registers
``demand_pct`` and ``staff_fte`` (:mod:`pks_opt.capacity_need.shortcuts`).

Public API: :func:`load_scenario`, :func:`apply_scenario`, :func:`read_variant`,
:func:`explain`, :func:`register_shortcut`.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictStr,
    Tag,
    TypeAdapter,
    ValidationError,
)

from pks_opt.errors import InputError
from pks_opt.io import RawInstance, Table, load_yaml

T = TypeVar("T")

OPERATIONS = ("set", "scale", "add", "append", "remove")
CHANGE_KEYS = {"table", "where", "skip_blank", "if_present", *OPERATIONS}
TOP_KEYS = {"name", "description", "changes"}

Shortcut = Callable[[Mapping[str, Any]], list[dict[str, Any]]]
SHORTCUTS: dict[str, Shortcut] = {}
# Modules that register shortcuts; imported on first use so a scenario can name them even if
# the caller did not import the level (missing modules are skipped).
_SHORTCUT_MODULES = ("pks_opt.capacity_need.shortcuts", "pks_opt.balancing.shortcuts")


def register_shortcut(name: str) -> Callable[[Shortcut], Shortcut]:
    """Register ``fn(args) -> [generic change, ...]`` under ``name`` (decorator).

    The function receives the change's keys other than ``shortcut``; raise ``ValueError`` or
    ``KeyError`` for bad arguments (reported with the scenario file and change number).
    """

    def deco(fn: Shortcut) -> Shortcut:
        prev = SHORTCUTS.get(name)
        same = prev is not None and (prev.__module__, prev.__qualname__) == (
            fn.__module__,
            fn.__qualname__,
        )
        if prev is not None and not same:
            raise ValueError(f"scenario shortcut '{name}' is already registered")
        SHORTCUTS[name] = fn
        return fn

    return deco


def shortcut_number(args: Mapping[str, Any], key: str) -> float:
    """Read the number ``args[key]`` of a shortcut (ValueError, named by the caller, otherwise)."""
    v = args[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"'{key}' must be a number (got {v!r})")
    return float(v)


def shortcut_no_extra(args: Mapping[str, Any], allowed: set[str]) -> None:
    """Reject a shortcut argument outside ``allowed`` (a misspelt key would be ignored)."""
    extra = sorted(set(args) - allowed)
    if extra:
        raise ValueError(f"unknown argument '{extra[0]}' (expected {', '.join(sorted(allowed))})")


def _load_shortcut_modules() -> None:
    for mod in _SHORTCUT_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name is None or not mod.startswith(exc.name):
                raise


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario file: name, description and the list of change mappings."""

    name: str
    description: str
    path: Path
    changes: tuple[Mapping[str, Any], ...]

    def where(self, number: int) -> str:
        """Name change ``number`` of the scenario in a message (``<path> change 3``)."""
        return f"{self.path} change {number}"


def load_scenario(path: str | Path) -> Scenario:
    """Read and check the structure of a scenario YAML (values are checked when applied).

    Raises
    ------
    InputError
        Missing file, malformed YAML, unknown keys, a change without exactly one operation.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such scenario file", file=str(p))
    doc = load_yaml(p)
    if not isinstance(doc, dict):
        raise InputError("a scenario must be a YAML mapping with 'changes'", file=str(p))
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise InputError(
            f"unknown key '{sorted(unknown)[0]}' (expected name, description, changes)",
            file=str(p),
            field=str(sorted(unknown)[0]),
        )
    changes = doc.get("changes")
    if not isinstance(changes, list) or not changes:
        raise InputError("'changes' must be a non-empty list", file=str(p), field="changes")
    scenario = Scenario(
        name=str(doc.get("name") or p.stem),
        description=str(doc.get("description") or ""),
        path=p,
        changes=tuple(changes),
    )
    for n, ch in enumerate(changes, start=1):
        _check_change(scenario, n, ch)
    return scenario


def _check_change(s: Scenario, n: int, ch: Any) -> Any:
    """Validate a change as one of the change models (:data:`Change`).

    An :class:`InputError` naming the scenario file, the change number and the field
    otherwise.
    """
    try:
        return _CHANGE.validate_python(ch)
    except ValidationError as exc:
        raise _change_error(s.where(n), ch, exc) from None


# ---------------------------------------------------------------------- the change kinds
#
# One pydantic model per kind of change, told apart by the key that names the operation
# (a callable discriminator: a change has no tag field of its own). The models check the
# structure; values are checked when the variant is read, by the level's own reader.


def _finite_number(v: Any) -> Any:
    if not _is_number(v):
        raise ValueError(f"must be a number (got {v!r})")
    return v


Number = Annotated[Any, AfterValidator(_finite_number)]


def _exactly_true(v: Any) -> Any:
    if v is not True:
        raise ValueError("must be true")
    return v


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _TableChange(_Change):
    table: StrictStr
    where: dict[Any, Any] | None = None
    skip_blank: Any = None
    if_present: Any = None

    @property
    def lenient(self) -> bool:
        """``if_present: true``: an absent table or a ``where`` matching nothing is no error."""
        return self.if_present is True


class SetChange(_TableChange):
    """Replace values (a new column is added)."""

    set: Annotated[dict[Any, Any], Field(min_length=1)]


class ScaleChange(_TableChange):
    """Multiply numeric values."""

    scale: Annotated[dict[Any, Number], Field(min_length=1)]


class AddChange(_TableChange):
    """Add to numeric values."""

    add: Annotated[dict[Any, Number], Field(min_length=1)]


class RemoveChange(_TableChange):
    """Delete the matching rows."""

    remove: Annotated[Any, AfterValidator(_exactly_true)]


class AppendChange(_Change):
    """Append rows (new columns are added, blank in the other rows)."""

    table: StrictStr
    append: list[dict[Any, Any]]
    skip_blank: Any = None
    if_present: Any = None


class ParametersChange(_Change):
    """Override manifest parameters."""

    parameters: dict[Any, Any]


class ShortcutChange(BaseModel):
    """A named shortcut; its other keys are the shortcut's arguments."""

    model_config = ConfigDict(extra="allow", frozen=True)
    shortcut: StrictStr


def _change_kind(ch: Any) -> str | None:
    if not isinstance(ch, dict):
        return None
    if "shortcut" in ch:
        return "shortcut"
    if "parameters" in ch:
        return "parameters"
    ops = [op for op in OPERATIONS if op in ch]
    if len(ops) != 1 or set(ch) - CHANGE_KEYS or not isinstance(ch.get("table"), str):
        return None  # reported by _change_error in the order a reader expects
    return ops[0]


Change = Annotated[
    Annotated[SetChange, Tag("set")]
    | Annotated[ScaleChange, Tag("scale")]
    | Annotated[AddChange, Tag("add")]
    | Annotated[AppendChange, Tag("append")]
    | Annotated[RemoveChange, Tag("remove")]
    | Annotated[ParametersChange, Tag("parameters")]
    | Annotated[ShortcutChange, Tag("shortcut")],
    Discriminator(_change_kind),
]
_CHANGE: TypeAdapter[Any] = TypeAdapter(Change)
UpdateChange = SetChange | ScaleChange | AddChange


def _change_error(where: str, ch: Any, exc: ValidationError) -> InputError:
    """Word the first problem of a change for a planner.

    In the order it is looked for: not a mapping, an unknown key, the table, the operation,
    ``where``, the values.
    """
    if not isinstance(ch, dict):
        return InputError("a change must be a mapping", file=where)
    unknown = sorted(set(ch) - CHANGE_KEYS) if _change_kind(ch) != "parameters" else []
    if "shortcut" in ch:
        return InputError("must name a shortcut", file=where, field="shortcut")
    if "parameters" in ch:
        return InputError(
            "a parameters change is just {parameters: {name: value}}",
            file=where,
            field="parameters",
        )
    if unknown:
        return InputError(
            f"unknown key '{unknown[0]}' (expected table, where, one of {', '.join(OPERATIONS)};"
            " or parameters; or shortcut)",
            file=where,
            field=str(unknown[0]),
        )
    if not isinstance(ch.get("table"), str):
        return InputError("missing table name", file=where, field="table")
    ops = [op for op in OPERATIONS if op in ch]
    if len(ops) != 1:
        got = f" (got {', '.join(ops)})" if ops else ""
        return InputError(f"give exactly one of {', '.join(OPERATIONS)}{got}", file=where)
    errors = sorted(exc.errors(), key=lambda e: e["loc"][1:2] != ("where",))
    return _field_error(where, ops[0], errors[0])


def _field_error(where: str, op: str, err: Any) -> InputError:
    loc = [str(x) for x in err["loc"][1:]]  # after the tag
    key = loc[0] if loc else op
    if key == "where":
        if op == "append":
            return InputError("'append' takes no 'where'", file=where, field="where")
        return InputError("must map column names to values", file=where, field="where")
    if key == "append":
        return InputError("must be a list of rows (mappings)", file=where, field="append")
    if key == "remove":
        return InputError("must be true", file=where, field="remove")
    if len(loc) >= 2 and err["type"] == "value_error":
        return InputError(str(err["ctx"]["error"]), file=where, field=f"{op}.{loc[1]}")
    return InputError("must map column names to values", file=where, field=op)


# ---------------------------------------------------------------------- applying


@dataclass
class _TableState:
    """A table being changed: rows, and where each row and changed cell came from."""

    name: str
    where: str
    columns: list[str]
    rows: list[dict[str, Any]]
    origin_row: list[int | None]  # row number in the base file (None: appended)
    appended_by: list[tuple[str, int] | None]
    cell_by: list[dict[str, tuple[str, int]]]


@dataclass(frozen=True)
class TableTrace:
    """Provenance of a changed table: base row numbers and the changes behind cells and rows."""

    origin_row: tuple[int | None, ...]
    appended_by: tuple[tuple[str, int] | None, ...]
    cell_by: tuple[Mapping[str, tuple[str, int]], ...]


@dataclass(frozen=True)
class ScenarioInstance(RawInstance):
    """A :class:`RawInstance` with scenarios applied, remembering what each scenario changed."""

    traces: Mapping[str, TableTrace] = field(default_factory=dict)
    parameter_by: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    scenarios: tuple[str, ...] = ()


def apply_scenario(raw: RawInstance, scenario: Scenario) -> ScenarioInstance:
    """Apply the scenario's changes to the base (not yet validated: read it next).

    Raises
    ------
    InputError
        A change names a table or column the instance lacks, a ``where`` matches no row, a
        cell to scale/add is not a number, or a shortcut is unknown or given bad arguments;
        the message names the scenario file, the change number and the field.
    """
    states: dict[str, _TableState] = {}
    prev = raw if isinstance(raw, ScenarioInstance) else None

    def state(name: str) -> _TableState:
        if name not in states:
            t = raw.tables[name]
            tr = prev.traces.get(name) if prev is not None else None
            states[name] = _TableState(
                name=name,
                where=t.where,
                columns=list(t.columns),
                rows=[dict(r) for r in t.rows],
                origin_row=list(tr.origin_row)
                if tr
                else [t.row_number(i) for i in range(len(t.rows))],
                appended_by=list(tr.appended_by) if tr else [None] * len(t.rows),
                cell_by=[dict(c) for c in tr.cell_by] if tr else [{} for _ in t.rows],
            )
        return states[name]

    params = dict(raw.parameters)
    param_by = dict(prev.parameter_by) if prev is not None else {}
    sname = str(scenario.path)
    for n, change, label in _expanded(scenario):
        if isinstance(change, ParametersChange):
            for k, v in change.parameters.items():
                params[str(k)] = v
                param_by[str(k)] = (sname, n)
            continue
        _apply_change(raw, scenario, n, label, change, states, state)

    tables = dict(raw.tables)
    traces = dict(prev.traces) if prev is not None else {}
    for name, st in states.items():
        tables[name] = Table(name, st.where, tuple(st.columns), tuple(st.rows))
        traces[name] = TableTrace(tuple(st.origin_row), tuple(st.appended_by), tuple(st.cell_by))
    manifest = dict(raw.manifest)
    manifest["parameters"] = params
    manifest["name"] = f"{raw.name} + {scenario.name}"
    return ScenarioInstance(
        raw.source,
        manifest,
        tables,
        raw.manifest_where,
        traces=traces,
        parameter_by=param_by,
        scenarios=(*(prev.scenarios if prev else ()), scenario.name),
    )


def _expanded(scenario: Scenario) -> Iterator[tuple[int, Any, str]]:
    """(change number, generic change, label) with shortcuts expanded."""
    for n, raw_change in enumerate(scenario.changes, start=1):
        ch = _check_change(scenario, n, raw_change)
        if not isinstance(ch, ShortcutChange):
            yield n, ch, ""
            continue
        name = ch.shortcut
        if name not in SHORTCUTS:
            _load_shortcut_modules()
        fn = SHORTCUTS.get(name)
        where = scenario.where(n)
        if fn is None:
            known = ", ".join(sorted(SHORTCUTS)) or "none"
            raise InputError(
                f"unknown shortcut '{name}' (known: {known})", file=where, field="shortcut"
            )
        args = dict(ch.model_extra or {})
        try:
            generic = fn(args)
        except KeyError as exc:
            raise InputError(f"shortcut '{name}' needs '{exc.args[0]}'", file=where) from None
        except (ValueError, TypeError) as exc:
            raise InputError(f"shortcut '{name}': {exc}", file=where) from None
        for g in generic:
            yield n, _check_change(scenario, n, g), f" (shortcut {name})"


def _apply_change(
    raw: RawInstance,
    scenario: Scenario,
    n: int,
    label: str,
    ch: SetChange | ScaleChange | AddChange | AppendChange | RemoveChange,
    states: dict[str, _TableState],
    state: Callable[[str], _TableState],
) -> None:
    where = scenario.where(n)
    sname = str(scenario.path)
    name = ch.table
    if isinstance(ch, AppendChange):
        if name not in raw.tables and name not in states:
            states[name] = _TableState(name, f"{sname} ({name})", [], [], [], [], [])
        _append(state(name), ch.append, (sname, n))
        return
    if name not in raw.tables and name not in states:
        if ch.lenient:
            return
        raise InputError(f"the instance has no table '{name}'{label}", file=where, field="table")
    st = state(name)
    matched = _matched_rows(st, ch, where, label)
    if not matched:
        return  # if_present: nothing to change
    if isinstance(ch, RemoveChange):
        _remove(st, matched)
    else:
        _update(st, ch, matched, (sname, n), where, label)


def _append(st: _TableState, rows: list[dict[Any, Any]], by: tuple[str, int]) -> None:
    for row in rows:
        for col in row:
            _add_column(st, str(col))
        st.rows.append({c: _cell(row.get(c)) for c in st.columns})
        st.origin_row.append(None)
        st.appended_by.append(by)
        st.cell_by.append({})


def _add_column(st: _TableState, col: str) -> None:
    if col not in st.columns:
        st.columns.append(col)
        for r in st.rows:
            r[col] = None


def _matched_rows(st: _TableState, ch: _TableChange, where: str, label: str) -> list[int]:
    """Find the rows the change's ``where`` matches (every row without one).

    An error when none does, unless ``if_present``.
    """
    cond = {str(k): v for k, v in (ch.where or {}).items()}
    for col in cond:
        if col not in st.columns:
            raise InputError(
                f"table '{st.name}' has no column '{col}'{label}", file=where, field="where"
            )
    matched = [
        i for i, r in enumerate(st.rows) if all(_matches(r.get(c), v) for c, v in cond.items())
    ]
    if not matched and not ch.lenient:
        what = " and ".join(f"{c} {v!r}" for c, v in cond.items()) or "any row"
        raise InputError(
            f"no row of table '{st.name}' has {what}{label}".replace("has any row", "exists"),
            file=where,
            field="where",
        )
    return matched


def _remove(st: _TableState, matched: list[int]) -> None:
    gone = set(matched)
    keep = [i for i in range(len(st.rows)) if i not in gone]
    st.rows = [st.rows[i] for i in keep]
    st.origin_row = [st.origin_row[i] for i in keep]
    st.appended_by = [st.appended_by[i] for i in keep]
    st.cell_by = [st.cell_by[i] for i in keep]


def _update(
    st: _TableState,
    ch: UpdateChange,
    matched: list[int],
    by: tuple[str, int],
    where: str,
    label: str,
) -> None:
    """``set``, ``scale`` or ``add`` on the matched rows, remembering which change set a cell."""
    op = "set" if isinstance(ch, SetChange) else "scale" if isinstance(ch, ScaleChange) else "add"
    values = (
        ch.set if isinstance(ch, SetChange) else ch.scale if isinstance(ch, ScaleChange) else ch.add
    )
    for col, v in ((str(c), v) for c, v in values.items()):
        if col not in st.columns and op != "set":
            raise InputError(
                f"table '{st.name}' has no column '{col}'{label}", file=where, field=f"{op}.{col}"
            )
        _add_column(st, col)
        for i in matched:
            old = st.rows[i].get(col)
            if op == "set":
                new = _cell(v)
            elif old is None and ch.skip_blank is True:
                continue
            else:
                new = _combine(op, old, float(v), st, i, col, where, label)
            st.rows[i][col] = new
            st.cell_by[i][col] = by


def _combine(
    op: str, old: Any, v: float, st: _TableState, i: int, col: str, where: str, label: str
) -> float:
    x = _number(old)
    if x is None:
        row_no = st.origin_row[i]
        at = f"row {row_no}" if row_no is not None else "an appended row"
        raise InputError(
            f"cannot {op} '{col}' of table '{st.name}' {at}: "
            f"{'it is blank' if old is None else f'{old!r} is not a number'}{label}",
            file=where,
            field=f"{op}.{col}",
        )
    return x * v if op == "scale" else x + v


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v.strip() or None
    return v


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _number(v: Any) -> float | None:
    if _is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def _matches(cell: Any, value: Any) -> bool:
    """Tell whether a ``where`` value matches a cell; a list matches any of its values."""
    if isinstance(value, list):
        return any(_same(cell, v) for v in value)
    return _same(cell, value)


def _same(cell: Any, value: Any) -> bool:
    """Tell whether a raw cell equals a ``where`` value: numbers numerically; null = blank."""
    if value is None or value == "":
        return cell is None
    if cell is None:
        return False
    a, b = _number(cell), _number(value)
    if a is not None and b is not None:
        return a == b
    if isinstance(value, bool):
        return str(cell).strip().lower() == str(value).lower()
    return str(cell).strip() == str(value).strip()


# ---------------------------------------------------------------------- errors


def explain(err: InputError, variant: RawInstance) -> InputError:
    """Re-point an error found while reading a variant at the scenario change behind it.

    A bad cell set by change N becomes ``<scenario> change N, field '<col>'``; a bad appended
    row names its change; other row numbers are mapped back to the base file's rows.
    """
    if not isinstance(variant, ScenarioInstance) or getattr(err, _EXPLAINED, False):
        return err
    new = _explain(err, variant)
    setattr(new, _EXPLAINED, True)  # nested scenario_errors blocks leave it alone
    return new


_EXPLAINED = "explained_by_scenario"


def _explain(err: InputError, variant: ScenarioInstance) -> InputError:
    if err.file == variant.manifest_where and err.field and err.field.startswith("parameters."):
        key = err.field.split(".", 1)[1]
        if key in variant.parameter_by:
            path, n = variant.parameter_by[key]
            return InputError(err.message, file=f"{path} change {n}", field=err.field)
    for name, tr in variant.traces.items():
        table = variant.tables[name]
        if err.file != table.where:
            continue
        if err.row is None or err.row < 2 or err.row - 2 >= len(tr.origin_row):
            return InputError(
                f"{err.message}{_after(variant)}",
                file=err.file,
                row=err.row,
                field=err.field,
            )
        i = err.row - 2
        if err.field and err.field in tr.cell_by[i]:
            path, n = tr.cell_by[i][err.field]
            return InputError(
                f"{err.message} ({name} row {_row_label(tr, i)})",
                file=f"{path} change {n}",
                field=err.field,
            )
        if tr.appended_by[i] is not None:
            path, n = tr.appended_by[i]  # type: ignore[misc]
            return InputError(
                f"{err.message} (appended {name} row)", file=f"{path} change {n}", field=err.field
            )
        return InputError(
            f"{err.message}{_after(variant)}", file=err.file, row=tr.origin_row[i], field=err.field
        )
    return InputError(
        f"{err.message}{_after(variant)}", file=err.file, row=err.row, field=err.field
    )


def _after(variant: ScenarioInstance) -> str:
    """Say which scenarios were applied, for an unattributed error in a variant.

    They may have removed what the row refers to.
    """
    return f" (with scenario {', '.join(variant.scenarios)})" if variant.scenarios else ""


def _row_label(tr: TableTrace, i: int) -> str:
    r = tr.origin_row[i]
    return str(r) if r is not None else "appended"


@contextmanager
def scenario_errors(variant: RawInstance) -> Iterator[None]:
    """Re-point errors at scenario changes: ``with scenario_errors(v): data = read(v)``.

    Nesting is harmless: an error is re-pointed once.
    """
    try:
        yield
    except InputError as exc:
        raise explain(exc, variant) from None


def read_variant(
    raw: RawInstance, scenarios: Sequence[Scenario], reader: Callable[[RawInstance], T]
) -> T:
    """Apply ``scenarios`` in order to ``raw`` and read the variant with ``reader``.

    E.g. :func:`pks_opt.capacity_need.read_need`; any error names the scenario change.
    """
    variant: RawInstance = raw
    for s in scenarios:
        variant = apply_scenario(variant, s)
    with scenario_errors(variant):
        return reader(variant)


def read_variants(
    raw: RawInstance, paths: Sequence[Path], reader: Callable[[RawInstance], T]
) -> list[tuple[str, T]]:
    """Apply each scenario file to ``raw`` and read the variant with ``reader``.

    Each scenario applies to the base on its own (not cumulatively). Errors in a variant name
    the scenario file and change number. Names become folder names, made unique.
    """
    paths = list(paths)
    if not paths:
        return []
    import pks_opt.balancing.shortcuts  # noqa: F401  (registers the balancing shortcuts)

    out: list[tuple[str, T]] = []
    seen: set[str] = {"base"}
    for path in paths:
        sc = load_scenario(path)
        name = _folder_name(sc.name or Path(path).stem)
        while name in seen:
            name += "_2"
        seen.add(name)
        variant = apply_scenario(raw, sc)
        with scenario_errors(variant):
            out.append((name, reader(variant)))
    return out


def _folder_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip())
    return keep or "scenario"

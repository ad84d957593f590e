"""Empty, documented instances (``pks template KIND``) that the level reads back once filled.

The columns come from the readers' own row models (the pydantic classes each level validates
its tables with), never from a second list; the words describing them come from the level's
reference page in ``docs/`` (its ``| column | … | meaning |`` tables), and the example values
from the first row of the shipped example instance of the level. A workbook gets one sheet per
table (header only: a level reads every row under it as data, so the example value is in
the header's comment, not in a row), a comment on every header cell, drop-down lists for
yes/no and fixed choices and, on a column that refers to another table's key
(:func:`references`), for that key's values, and a sheet ``about`` listing every column with
its meaning and an example (``about`` is never read by a level). A folder gets
``instance.yaml`` (parameters at their defaults, one comment each), one header-only CSV per
table and a ``README.md`` with the same list.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from pks_opt.errors import InputError

#: the sheet (workbook) describing every column; no level reads it
ABOUT_SHEET = "about"
#: rows offered a drop-down list in a workbook sheet
DROPDOWN_ROWS = 1000


@dataclass(frozen=True)
class TableSpec:
    """One table of a level's instance: its name, row model and whether it is required."""

    name: str
    model: type[BaseModel]
    required: bool


@dataclass(frozen=True)
class KindSpec:
    """One level's instance: its manifest ``kind``, parameters and tables.

    Also its reference page and shipped example.
    """

    kind: str
    parameters: tuple[tuple[str, type[BaseModel]], ...]  # (manifest prefix, model)
    tables: tuple[TableSpec, ...]
    docs: tuple[str, ...]
    example: str


def _need_tables() -> tuple[TableSpec, ...]:
    from pks_opt.capacity_need import data as d

    req: list[tuple[str, type[BaseModel]]] = [
        ("units", d.UnitRow),
        ("resources", d.ResourceRow),
        ("periods", d.PeriodRow),
        ("planning_objects", d.PlanningObjectRow),
        ("demand", d.DemandRow),
    ]
    opt: list[tuple[str, type[BaseModel]]] = [
        ("activity_hours", d.ActivityHoursRow),
        ("inpatient", d.InpatientRow),
        ("staffing_keys", d.StaffingKeyRow),
        ("acute_arrivals", d.AcuteArrivalRow),
        ("staff", d.StaffRow),
        ("rooms", d.RoomRow),
        ("beds", d.BedRow),
        ("improvements", d.ImprovementRow),
    ]
    return tuple(TableSpec(n, m, True) for n, m in req) + tuple(
        TableSpec(n, m, False) for n, m in opt
    )


def _specs(req: list[tuple[str, Any]], opt: list[tuple[str, Any]]) -> tuple[TableSpec, ...]:
    return tuple(TableSpec(n, c, True) for n, c in req) + tuple(
        TableSpec(n, c, False) for n, c in opt
    )


def _strategic_kinds() -> dict[str, KindSpec]:
    from pks_opt.balancing import data as b
    from pks_opt.capacity_need.data import NeedParameters

    need = _need_tables()
    balance = need + _specs(
        [],
        [
            ("budgets", b.Budget),
            ("capabilities", b.Capability),
            ("moves", b.Move),
            ("increases", b.Increase),
            ("purchases", b.Purchase),
            ("priorities", b.PriorityRule),
            ("waiting_lists", b.WaitingList),
        ],
    )
    doc = ("docs/strategic-format.md",)
    both = (("", NeedParameters), ("balancing.", b.BalancingParameters))
    return {
        "need": KindSpec("strategic", (("", NeedParameters),), need, doc, "region-small"),
        "balance": KindSpec("strategic", both, balance, doc, "region-small"),
    }


def _plan_kind() -> KindSpec:
    from pks_opt.production_plan import data as p

    tables = _specs(
        [
            ("planning_objects", p.PlanningObjectRow),
            ("weeks", p.WeekRow),
            ("resources", p.ResourceRow),
            ("activity_hours", p.ActivityHoursRow),
        ],
        [("capacity", p.CapacityRow), ("inflow", p.InflowRow)],
    )
    params = (("", p.PlanParameters),)
    return KindSpec(p.INSTANCE_KIND, params, tables, ("docs/production-plan.md",), "clinic-plan")


def _matrix_kind() -> KindSpec:
    from pks_opt.activity_matrix import data as m

    tables = _specs(
        [
            ("sessions", m.SessionRow),
            ("rooms", m.RoomRow),
            ("activity_types", m.ActivityTypeRow),
            ("activity_staff", m.ActivityStaffRow),
            ("staff", m.StaffRow),
        ],
        [
            ("staff_availability", m.AvailabilityRow),
            ("room_closed", m.ClosedRow),
            ("same_day", m.SameDayRow),
            ("inflow_profile", m.ProfileRow),
            ("day_rules", m.DayRuleRow),
            ("pinned", m.PinnedRow),
            ("plan_mapping", m.MappingRow),
        ],
    )
    params = (("", m.MatrixParameters),)
    return KindSpec(m.INSTANCE_KIND, params, tables, ("docs/activity-matrix.md",), "clinic-matrix")


def _roster_kind() -> KindSpec:
    from pks_opt.rostering import data as r

    tables = _specs(
        [("shifts", r.ShiftRow), ("staff", r.StaffRow)],
        [
            ("demand", r.DemandRow),
            ("week_types", r.WeekTypeRow),
            ("staff_demand", r.MatrixRow),
            ("absences", r.AbsenceRow),
            ("wishes", r.WishRow),
            ("pinned", r.PinRow),
            ("acute_staffing", r.AcuteStaffingRow),
        ],
    )
    docs = ("docs/rostering.md", "docs/activity-matrix.md")  # staff_demand is the matrix's
    return KindSpec("roster", (("", r.RosterParameters),), tables, docs, "ward-roster")


def kinds() -> dict[str, KindSpec]:
    """List the template kinds: ``need``, ``balance``, ``plan``, ``matrix``, ``roster``."""
    return {
        **_strategic_kinds(),
        "plan": _plan_kind(),
        "matrix": _matrix_kind(),
        "roster": _roster_kind(),
    }


KINDS = ("need", "balance", "plan", "matrix", "roster")


# --------------------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class Column:
    """One column (or parameter) of a template, with what the planner needs to fill it."""

    table: str
    name: str
    required: bool
    kind: str  # number, whole number, text, yes/no, date, or "one of a, b"
    default: Any
    meaning: str
    example: Any
    choices: tuple[str, ...] = ()


_TICKED = re.compile(r"`([A-Za-z_][\w.]*)`")


def _doc_tables(text: str) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Read each ``| column/parameter | … | meaning |`` table of a markdown page.

    Gives the backticked names just above it (its heading and the paragraph before it) and
    ``name → meaning``.
    """
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        head = [c.strip().lower() for c in line.strip().strip("|").split("|")]
        if (
            line.startswith("|")
            and head
            and head[0] in ("column", "parameter", "key")
            and "meaning" in head
        ):
            context: list[str] = []
            for above in reversed(lines[max(0, i - 12) : i]):
                if above.startswith("|"):
                    break
                context = _TICKED.findall(above) + context
                if above.startswith("#"):
                    break
            meanings: dict[str, str] = {}
            j = i + 2
            while j < len(lines) and lines[j].startswith("|"):
                cells = [c.strip() for c in lines[j].strip().strip("|").split("|")]
                unit = cells[head.index("unit")] if "unit" in head else ""
                text_ = cells[head.index("meaning")] if len(cells) > head.index("meaning") else ""
                words = f"{unit}: {text_}" if unit not in ("—", "", "text", "id") else text_
                for name in _TICKED.findall(cells[0]):
                    meanings.setdefault(name, words.replace("`", ""))
                j += 1
            yield context, meanings
            i = j
        else:
            i += 1


def _meanings(
    docs: list[Path], tables: list[str]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Read ``table → column → meaning`` from the reference page.

    And every name's first meaning (for parameters and for tables the page describes without
    naming them above the table).
    """
    by_table: dict[str, dict[str, str]] = {}
    anywhere: dict[str, str] = {}
    text = "\n".join(d.read_text(encoding="utf-8") for d in docs if d.is_file())
    for context, meanings in _doc_tables(text):
        names = [c.removesuffix(".csv") for c in context]
        table = next((n for n in reversed(names) if n in tables), None)
        if table is not None and table not in by_table:
            by_table[table] = meanings
        for k, v in meanings.items():
            anywhere.setdefault(k, v)
    return by_table, anywhere


def _kind_of(annotation: Any) -> tuple[str, tuple[str, ...]]:
    """Describe a field's type in words and its fixed choices (enumerations, yes/no)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _kind_of(inner[0]) if len(inner) == 1 else ("text", ())
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(map(str, args)), tuple(map(str, args))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = tuple(str(e.value) for e in annotation)
        return "one of " + ", ".join(values), values
    if annotation is bool:
        return "yes/no (TRUE or FALSE)", ("TRUE", "FALSE")
    if annotation is int:
        return "whole number", ()
    if annotation is float:
        return "number", ()
    name = getattr(annotation, "__name__", "")
    return ("date (YYYY-MM-DD)", ()) if "date" in name.lower() else ("text", ())


def _default(info: Any) -> Any:
    if info.default is PydanticUndefined or info.default_factory is not None:
        return None
    value = info.default
    return value.value if isinstance(value, enum.Enum) else value


def columns(kind: str) -> tuple[list[Column], dict[str, list[Column]]]:
    """List the parameters and, per table, the columns of a template of ``kind``."""
    from pks_opt.instances import instance_path

    spec = _spec(kind)
    root = Path(__file__).resolve().parents[1]
    by_table, anywhere = _meanings([root / d for d in spec.docs], [t.name for t in spec.tables])
    example = _example_rows(instance_path(spec.example))
    params: list[Column] = []
    for prefix, model in spec.parameters:
        for name, info in model.model_fields.items():
            kind_, choices = _kind_of(info.annotation)
            meaning = anywhere.get(name) or (model.model_fields[name].description or "")
            params.append(
                Column(
                    "parameters",
                    f"{prefix}{name}",
                    info.is_required(),
                    kind_,
                    _default(info),
                    meaning,
                    None,
                    choices,
                )
            )
    tables: dict[str, list[Column]] = {}
    for t in spec.tables:
        words = by_table.get(t.name, {})
        row = example.get(t.name, {})
        tables[t.name] = [
            Column(
                t.name,
                name,
                info.is_required(),
                *_kind_of(info.annotation)[:1],
                _default(info),
                words.get(name) or anywhere.get(name, ""),
                row.get(name),
                _kind_of(info.annotation)[1],
            )
            for name, info in t.model.model_fields.items()
        ]
    return params, tables


def _spec(kind: str) -> KindSpec:
    all_ = kinds()
    if kind not in all_:
        raise InputError(f"unknown template kind '{kind}' (one of {', '.join(KINDS)})")
    return all_[kind]


def _example_rows(instance: Path) -> dict[str, dict[str, Any]]:
    """Read the first row of every table of the shipped example (nothing when it is not there)."""
    from pks_opt.io import read_raw

    try:
        raw = read_raw(instance)
    except InputError:
        return {}
    return {name: dict(t.rows[0]) for name, t in raw.tables.items() if t.rows}


def _describe(c: Column) -> str:
    need = "required" if c.required else "optional"
    if not c.required and c.default not in (None, ""):
        need += f", default {c.default}"
    text = f"{c.kind} ({need})"
    return f"{text}. {c.meaning}" if c.meaning else text


# --------------------------------------------------------------------------- references

#: the tables a strategic reader's one-letter reference codes stand for (in
#: ``capacity_need.data.OPTIONAL_CHECKS`` and ``balancing.data.TABLE_CHECKS``; ``b`` is a unit
#: or TOTAL)
_STRATEGIC_CODES = {
    "u": "units",
    "b": "units",
    "r": "resources",
    "p": "periods",
    "o": "planning_objects",
}

#: per template kind: the references its readers check in code rather than in a table
#: (``check_need``'s ``demand`` and parent loop; the plan, matrix and roster readers name
#: them one by one)
_EXPLICIT_REFERENCES: dict[str, dict[tuple[str, str], str]] = {
    "need": {
        ("units", "parent"): "units",
        ("demand", "unit"): "units",
        ("demand", "planning_object"): "planning_objects",
        ("demand", "period"): "periods",
    },
    "plan": {
        ("activity_hours", "planning_object"): "planning_objects",
        ("activity_hours", "resource"): "resources",
        ("capacity", "week"): "weeks",
        ("capacity", "resource"): "resources",
        ("inflow", "planning_object"): "planning_objects",
        ("inflow", "week"): "weeks",
    },
    "matrix": {
        ("activity_staff", "activity_type"): "activity_types",
        ("staff_availability", "staff"): "staff",
        ("staff_availability", "session"): "sessions",
        ("room_closed", "room"): "rooms",
        ("room_closed", "session"): "sessions",
        ("same_day", "activity_type"): "activity_types",
        ("day_rules", "activity_type"): "activity_types",
        ("pinned", "room"): "rooms",
        ("pinned", "session"): "sessions",
        ("pinned", "activity_type"): "activity_types",
        ("plan_mapping", "activity_type"): "activity_types",
    },
    "roster": {
        ("demand", "shift"): "shifts",
        ("absences", "staff"): "staff",
        ("wishes", "staff"): "staff",
        ("wishes", "shift"): "shifts",
        ("pinned", "staff"): "staff",
        ("pinned", "shift"): "shifts",
        ("acute_staffing", "shift"): "shifts",
    },
}


def references(kind: str) -> dict[tuple[str, str], str]:
    """List the id references of a template of ``kind``: ``(table, column) → table`` named.

    The column holds a key of the named table (its first column: ``units.unit``,
    ``shifts.id``). The strategic tables' references are read from the readers' own checks;
    the other levels' are listed here, as their readers check them one by one. A key column
    itself, a count (``demand.staff`` of a roster) and a ``;``-list refer to nothing.
    """
    from pks_opt.balancing.data import TABLE_CHECKS
    from pks_opt.capacity_need.data import OPTIONAL_CHECKS

    spec = _spec(kind)
    refs = dict(_EXPLICIT_REFERENCES[kind if spec.kind != "strategic" else "need"])
    if spec.kind == "strategic":
        checks = {t: fields for t, (fields, _, _) in OPTIONAL_CHECKS.items()}
        checks |= {t: fields for t, (_, _, fields) in TABLE_CHECKS.items()}
        present = {t.name for t in spec.tables}
        for table, fields in checks.items():
            if table in present:
                refs |= {(table, col): _STRATEGIC_CODES[code] for col, code in fields.items()}
    return refs


# --------------------------------------------------------------------------- writing


def write_template(kind: str, target: str | Path) -> Path:
    """Write an empty instance of ``kind`` to ``target``, which must not exist yet.

    A workbook when it ends in ``.xlsx``, else a folder.
    """
    spec = _spec(kind)
    out = Path(target)
    if out.exists():
        raise InputError("exists already: template writes a new file or folder", file=str(out))
    params, tables = columns(kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        _write_workbook(spec, params, tables, references(kind), out)
    else:
        _write_folder(spec, params, tables, out)
    return out


def _manifest_rows(spec: KindSpec, params: list[Column], name: str) -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = [
        ("kind", spec.kind, "the level that reads this instance (do not change)"),
        ("name", name, "a name for the instance (shown in the results)"),
    ]
    for p in params:
        rows.append((f"parameters.{p.name}", p.default, _describe(p)))
    return rows


def _yaml_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()


def _write_workbook(
    spec: KindSpec,
    params: list[Column],
    tables: dict[str, list[Column]],
    refs: dict[tuple[str, str], str],
    path: Path,
) -> None:
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.comments import Comment  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "instance"
    ws.append(["key", "value", "comment"])
    for key, value, words in _manifest_rows(spec, params, path.stem):
        ws.append([key, _yaml_value(value), words])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["C"].width = 90
    for table, cols in tables.items():
        sheet = wb.create_sheet(table)
        sheet.append([c.name for c in cols])
        for i, c in enumerate(cols, start=1):
            cell = sheet.cell(row=1, column=i)
            cell.font = Font(bold=c.required)
            cell.comment = Comment(_header_note(c), "pks template", width=360, height=160)
            sheet.column_dimensions[cell.column_letter].width = max(12, len(c.name) + 4)
            _dropdown(sheet, cell.column_letter, c, refs.get((table, c.name)))
    about = wb.create_sheet(ABOUT_SHEET)
    about.append(["table", "column", "required", "type", "default", "meaning", "example"])
    for table, cols in tables.items():
        for c in cols:
            about.append(
                [
                    table,
                    c.name,
                    "yes" if c.required else "no",
                    c.kind,
                    _yaml_value(c.default),
                    c.meaning,
                    _yaml_value(c.example),
                ]
            )
    about.column_dimensions["F"].width = 90
    wb.save(path)


def _header_note(c: Column) -> str:
    """Describe a column in its header comment, with the example value when there is one.

    The example is not written as a row: every row under the header is read as data.
    """
    if c.example in (None, ""):
        return _describe(c)
    return f"{_describe(c)}\nExample: {_yaml_value(c.example)}"


def _dropdown(sheet: Any, letter: str, c: Column, ref: str | None) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    if c.choices:
        formula = '"' + ",".join(c.choices) + '"'
    elif ref is not None:
        formula = f"='{ref}'!$A$2:$A${DROPDOWN_ROWS}"
    else:
        return
    dv = DataValidation(type="list", formula1=formula, allow_blank=not c.required)
    dv.error = f"{c.name}: {c.kind}" if c.choices else f"{c.name}: an id of the sheet {ref}"
    dv.showErrorMessage = bool(c.choices)  # an id not yet typed in its sheet only warns
    sheet.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{DROPDOWN_ROWS}")


def _write_folder(
    spec: KindSpec, params: list[Column], tables: dict[str, list[Column]], folder: Path
) -> None:
    folder.mkdir()
    lines = [f"# {spec.kind} instance: fill the CSV tables (see README.md), then run pks"]
    opened: set[str] = set()
    for key, value, words in _manifest_rows(spec, params, folder.name):
        parts = key.split(".")
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            if parent not in opened:
                opened.add(parent)
                lines.append("  " * (depth - 1) + f"{parts[depth - 1]}:")
        lines.append(_yaml_line(key, value, words))
    (folder / "instance.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for table, cols in tables.items():
        (folder / f"{table}.csv").write_text(",".join(c.name for c in cols) + "\n", "utf-8")
    readme = [f"# An empty `{spec.kind}` instance", "", "Bold = required table or column.", ""]
    for table, cols in tables.items():
        required = next(t.required for t in spec.tables if t.name == table)
        readme += [f"## {table}.csv ({'required' if required else 'optional'})", ""]
        readme += ["| column | description | example |", "|---|---|---|"]
        for c in cols:
            shown = f"**{c.name}**" if c.required else c.name
            words = _describe(c).replace("|", "/")
            example = "" if c.example is None else str(c.example).replace("|", "/")
            readme.append(f"| {shown} | {words} | {example} |")
        readme.append("")
    (folder / "README.md").write_text("\n".join(readme), encoding="utf-8")


def _yaml_line(key: str, value: Any, words: str) -> str:
    """``  name: value  # words`` (``parameters.balancing.x`` indented under its parents)."""
    parts = key.split(".")
    dumped = "" if value is None else yaml.safe_dump(value, default_flow_style=True, width=10_000)
    dumped = dumped.strip().removesuffix("...").strip()
    line = f"{'  ' * (len(parts) - 1)}{parts[-1]}: {dumped}".rstrip()
    return f"{line}  # {' '.join(words.split())}"

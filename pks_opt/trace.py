"""Traceability across the levels (``trace.csv`` in every level's output, ``pks trace``).

Every level writes ``trace.csv`` with the columns :data:`TRACE_COLUMNS`: a stable ``id`` per
row (``need:U:O:P`` and ``goal:U:O:P`` at the balance, ``plan:U:O:wN`` at the plan,
``matrix:…`` at the matrix, ``roster:…`` at the roster), what it is (level, unit, object,
period, quantity and its measure) and ``parent_ids``: the ``;``-separated ids of the rows in
the level above's ``trace.csv`` it was made from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pks_opt.errors import InputError

TRACE_FILE = "trace.csv"
TRACE_COLUMNS = (
    "id",
    "level",
    "unit",
    "object",
    "period",
    "quantity",
    "measure",
    "parent_ids",
    "note",
)

LEVEL_ORDER = ("roster", "matrix", "plan", "balance", "need")


@dataclass(frozen=True)
class TraceRow:
    """One row of a ``trace.csv``: a figure of a level and the ids of the figures it came from."""

    id: str
    level: str
    unit: str
    objects: tuple[str, ...]
    period: str
    quantity: float | None
    measure: str
    parents: tuple[str, ...]
    note: str
    file: str


def trace_files(folders: list[Path]) -> list[Path]:
    """Every ``trace.csv`` in the folders and below, in a stable order."""
    found: list[Path] = []
    for f in folders:
        f = Path(f)
        if not f.exists():
            raise InputError("no such folder", file=str(f))
        if f.is_file():
            found.append(f)
        else:
            found += sorted(f.rglob(TRACE_FILE))
    if not found:
        raise InputError(
            f"no {TRACE_FILE} here or below (run a level with --out first)",
            file=", ".join(str(f) for f in folders),
        )
    return found


def read_traces(folders: list[Path]) -> dict[str, TraceRow]:
    """All trace rows by id. An id in two files is ambiguous: name the folders to use."""
    rows: dict[str, TraceRow] = {}
    for path in trace_files(folders):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"malformed CSV: {str(exc).strip()}", file=str(path)) from None
        missing = [c for c in TRACE_COLUMNS if c not in df.columns]
        if missing:
            raise InputError(f"missing column '{missing[0]}'", file=str(path), row=1)
        for i, r in enumerate(df.to_dict("records")):
            rid = str(r["id"]).strip()
            if rid in rows:
                raise InputError(
                    f"id '{rid}' is also in {rows[rid].file}: name the result folders of one "
                    "chain (e.g. one handshake of a cycle)",
                    file=str(path),
                    row=i + 2,
                    field="id",
                )
            try:
                qty: float | None = float(r["quantity"]) if r["quantity"] != "" else None
            except ValueError:
                qty = None
            rows[rid] = TraceRow(
                rid,
                str(r["level"]),
                str(r["unit"]),
                tuple(o for o in str(r["object"]).split(";") if o),
                str(r["period"]),
                qty if qty is None or math.isfinite(qty) else None,
                str(r["measure"]),
                tuple(p for p in str(r["parent_ids"]).split(";") if p),
                str(r["note"]),
                str(path),
            )
    return rows


def _describe(r: TraceRow, obj: str) -> str:
    qty = "" if r.quantity is None else f"{r.quantity:g} {r.measure}"
    what = {
        "roster": f"roster demand on {r.period}: {qty}",
        "matrix": f"activity matrix cell {r.period}: {qty}",
        "plan": f"production plan, week {r.period.lstrip('w')}: {qty} of {obj}",
        "balance": f"balanced goal of {r.unit} for {obj} in {r.period}: {qty}",
        "need": f"production need of {r.unit} for {obj} in {r.period}: {qty}",
    }.get(r.level, f"{r.level} {r.period}: {qty}")
    return f"{what} — {r.note}" if r.note else what


def explain_chain(
    rows: dict[str, TraceRow], unit: str, obj: str, start: str | None = None
) -> list[str]:
    """Plain-language lines from the lowest row of ``unit`` and ``obj`` up to the need.

    Starts at ``start`` when given, else at the first row (in file order) of the lowest level
    present whose unit is ``unit`` and whose objects include ``obj``. At each step it follows
    the parent of the same object (the first one), saying how many other parents there are.
    """
    if start is not None:
        if start not in rows:
            raise InputError(f"id '{start}' is in no trace.csv given", field="--id")
        first = rows[start]
    else:
        first = None
        for level in LEVEL_ORDER:
            first = next(
                (
                    r
                    for r in rows.values()
                    if r.level == level and r.unit == unit and obj in r.objects
                ),
                None,
            )
            if first is not None:
                break
        if first is None:
            units = sorted({r.unit for r in rows.values()})
            raise InputError(
                f"no trace row of unit '{unit}' and object '{obj}' (units: {', '.join(units)})",
                field="--object",
            )
    lines: list[str] = []
    seen: set[str] = set()
    r: TraceRow | None = first
    depth = 0
    while r is not None and r.id not in seen:
        seen.add(r.id)
        lines.append(f"{'  ' * depth}{r.id}: {_describe(r, obj)}")
        same = [p for p in r.parents if p in rows and obj in rows[p].objects]
        known = same or [p for p in r.parents if p in rows]
        unknown = [p for p in r.parents if p not in rows]
        if len(r.parents) > 1:
            lines.append(
                f"{'  ' * depth}  ({len(r.parents)} parents; following {known[0] if known else '-'}"
                + (f"; {len(unknown)} not in the folders given" if unknown else "")
                + ")"
            )
        if not known:
            if r.parents:
                lines.append(f"{'  ' * depth}  parent {r.parents[0]} is not in the folders given")
            break
        r = rows[known[0]]
        depth += 1
    return lines

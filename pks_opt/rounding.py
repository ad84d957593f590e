"""Numbers rounded to their unit in the tables a person reads (CSV and Excel).

A column's unit is read from its name, the same words every level uses:

| name holds | unit | CSV | Excel |
|---|---|---|---|
| ``cost``, ``price``, ``budget``, ``saving``, ``sek`` | SEK | whole | whole, ``# ##0`` |
| ``utilisation``, ``share``, ``ratio`` | share | 0.001 (0.1 %) | a percentage, ``0.0 %`` |
| ``hours``, ``_h`` at the end | hours | 0.1 | 0.1 |
| anything else (visits, patients, staff, weeks…) | its own | 0.1, or 0.01 below 10 | same |

Whole-number columns and columns named ``*_exact`` (the unrounded figure beside its rounded
one: ``beds_exact`` beside ``beds_planned``) are never touched. The tables another level or
the follow-up reads back (:data:`MACHINE_TABLES`) keep full precision in CSV (a rounded goal
would change the plan made from it); their Excel copy is rounded like the rest.
``result.json`` keeps full precision.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: result tables read back by another level or by follow-up: their CSV is not rounded
MACHINE_TABLES = frozenset(
    {
        "production_goals",  # pks plan --from-balance, follow-up
        "utilisation",  # pks plan --from-balance (available_after), follow-up
        "acute_dimensioning",  # pks roster --from-need
        "staff_demand",  # pks roster --from-matrix
        "production_plan",  # pks matrix --from-plan, follow-up
        "capacity_use",  # follow-up
        "feedback",  # pks cycle, feedback to the level above
        "trace",  # pks trace
        "roster",  # follow-up of a roster
    }
)

_MONEY = re.compile(r"cost|price|budget|saving|sek")
_SHARE = re.compile(r"utilisation|utilization|share|ratio")
_HOURS = re.compile(r"hours|_h$")


def unit_of(column: str) -> str:
    """``money``, ``share``, ``hours`` or ``count`` for a column name."""
    name = column.lower()
    if _MONEY.search(name):
        return "money"
    if _SHARE.search(name):
        return "share"
    if _HOURS.search(name):
        return "hours"
    return "count"


def decimals(column: str, values: pd.Series) -> int:
    """Decimals to keep for a float column in a table for people."""
    unit = unit_of(column)
    if unit == "money":
        return 0
    if unit == "share":
        return 3
    if unit == "hours":
        return 1
    finite = values.abs()[values.abs() < float("inf")]
    return 2 if finite.empty or finite.max() < 10 else 1


def round_value(name: str, value: Any) -> Any:
    """One figure (a KPI) rounded to the unit its name says; anything but a float as is."""
    if not isinstance(value, float) or value != value or value in (float("inf"), float("-inf")):
        return value
    keep = decimals(name, pd.Series([value]))
    return int(round(value)) if keep == 0 else round(value, keep)


def for_people(df: pd.DataFrame) -> pd.DataFrame:
    """Copy with every float column rounded to its unit (whole and text columns as they are)."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_float_dtype(series) and not str(col).endswith("_exact"):
            keep = decimals(str(col), series)
            rounded = series.round(keep)
            whole = keep == 0 and rounded.abs().max() < 2**53  # NaN (all empty) is False
            out[col] = rounded.astype("Int64") if whole else rounded
    return out


def excel_formats(df: pd.DataFrame) -> dict[str, str]:
    """Give each column its Excel number format.

    Shares as percentages, money whole with a thousands separator, the rest as rounded.
    """
    formats: dict[str, str] = {}
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            continue
        unit = unit_of(str(col))
        if unit == "share" and pd.api.types.is_float_dtype(df[col]):
            formats[str(col)] = "0.0 %"
        elif unit == "money":
            formats[str(col)] = "#,##0"
    return formats


def format_sheet(sheet: Any, df: pd.DataFrame) -> None:
    """Apply :func:`excel_formats` to an openpyxl sheet written from ``df`` (header in row 1)."""
    for col, fmt in excel_formats(df).items():
        j = list(df.columns).index(col) + 1
        for row in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
            for cell in row:
                cell.number_format = fmt

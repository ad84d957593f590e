"""Feedback upward: what a level below strategic found it can deliver (``feedback.csv``).

Every level below the strategic one writes ``feedback.csv`` with one row per thing the level
above asked for and this level cannot deliver as agreed (a *request for a new agreement*, the
seeds' "ny överenskommelse", 003 §K). Columns (:data:`FEEDBACK_COLUMNS`):

- ``level``: ``plan``, ``matrix`` or ``roster``;
- ``unit``: the unit;
- ``object`` *or* ``resource``: the planning object / activity type, or the resource /
  competence the row is about (the other one empty);
- ``period``: the period in the level above's terms (``2027Q1`` for the plan's rows, a week type,
  week or date below);
- ``agreed``, ``achievable``, ``gap`` = achievable − agreed (negative: a shortfall);
- ``cause``: plain words.

``pks balance --feedback DIR`` reads the plan level's rows (:func:`read_feedback`) and
re-balances with them (:func:`pks_opt.balancing.feedback.apply_feedback`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pks_opt.errors import InputError
from pks_opt.io import read_result_csv

FEEDBACK_FILE = "feedback.csv"
FEEDBACK_COLUMNS = (
    "level",
    "unit",
    "object",
    "resource",
    "period",
    "agreed",
    "achievable",
    "gap",
    "cause",
)
LEVELS = ("plan", "matrix", "roster")


@dataclass(frozen=True)
class Feedback:
    """One row of ``feedback.csv``: agreed vs achievable, and why."""

    level: str
    unit: str
    object: str
    resource: str
    period: str
    agreed: float
    achievable: float
    cause: str
    #: where the row was read from (messages); empty when made in memory
    file: str = ""
    row: int | None = None

    @property
    def gap(self) -> float:
        """Achievable minus agreed: negative when the lower level cannot deliver the agreement."""
        return self.achievable - self.agreed


def feedback_table(rows: Iterable[Feedback]) -> pd.DataFrame:
    """Tabulate the rows as the ``feedback`` table (header only when there are none)."""
    records = [
        {
            "level": f.level,
            "unit": f.unit,
            "object": f.object,
            "resource": f.resource,
            "period": f.period,
            # 6 decimals, as the balance's own tables: a confirmed capacity read back as a
            # floor (R13) must not be rounded up above what the balance gave
            "agreed": round(f.agreed, 6),
            "achievable": round(f.achievable, 6),
            "gap": round(f.gap, 6),
            "cause": f.cause,
        }
        for f in rows
    ]
    return pd.DataFrame(records, columns=list(FEEDBACK_COLUMNS))


def feedback_path(source: Path) -> Path:
    """``source`` itself when it is a file, else ``source/feedback.csv``."""
    source = Path(source)
    return source if source.is_file() else source / FEEDBACK_FILE


def read_feedback(source: Path) -> list[Feedback]:
    """Read and validate one ``feedback.csv`` (or a result folder holding one).

    Raises
    ------
    InputError
        Missing file or column, an unknown level, both or neither of object/resource, or a
        number that is not finite and ≥ 0; naming file, row and field.
    """
    path = feedback_path(source)
    where = str(path)
    df = read_result_csv(
        path,
        [c for c in FEEDBACK_COLUMNS if c != "gap"],
        missing="missing: --feedback needs a result folder with feedback.csv (or the file)",
    )
    out: list[Feedback] = []
    for i, rec in enumerate(df.to_dict("records")):
        row = i + 2
        text = {c: str(rec.get(c, "")).strip() for c in FEEDBACK_COLUMNS}
        if text["level"] not in LEVELS:
            raise InputError(
                f"level must be one of {', '.join(LEVELS)} (got {text['level']!r})",
                file=where,
                row=row,
                field="level",
            )
        if not text["unit"]:
            raise InputError("missing value", file=where, row=row, field="unit")
        if bool(text["object"]) == bool(text["resource"]):
            raise InputError(
                "give exactly one of object and resource", file=where, row=row, field="object"
            )
        if not text["period"]:
            raise InputError("missing value", file=where, row=row, field="period")
        numbers = {}
        for col in ("agreed", "achievable"):
            try:
                value = float(text[col])
            except ValueError:
                raise InputError(
                    f"not a number (got {text[col]!r})", file=where, row=row, field=col
                ) from None
            if not math.isfinite(value) or value < 0:
                raise InputError(
                    f"must be a finite number ≥ 0 (got {text[col]!r})",
                    file=where,
                    row=row,
                    field=col,
                )
            numbers[col] = value
        out.append(
            Feedback(
                text["level"],
                text["unit"],
                text["object"],
                text["resource"],
                text["period"],
                numbers["agreed"],
                numbers["achievable"],
                text["cause"],
                where,
                row,
            )
        )
    return out

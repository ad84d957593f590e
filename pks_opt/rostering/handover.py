"""Hand-over of the roster level: ``feedback.csv`` upward, ``trace.csv`` back to the matrix.

Both files have the columns every level below strategic shares (``docs/rostering.md``):

- ``feedback.csv`` — one row per short demand row (date × shift × competence × tier, or a
  named person the matrix asked for): ``agreed`` = people asked, ``achievable`` = people the
  roster puts there, ``gap`` = achievable − agreed, ``cause`` = the reasons of
  ``shortfalls.csv`` in plain words. ``resource`` is the competence (or ``person
  (competence)`` for a named person) and ``object`` stays empty, as :mod:`pks_opt.feedback`
  reads it (one of the two); the activity types are named in ``cause``.
- ``trace.csv`` — one row per demand row: ``roster:{date}:{shift}:{competence}:t{tier}``, or
  ``roster:{date}:{shift}:{competence}:{person}`` for a named person; ``quantity`` = people
  asked; ``parent_ids`` = the matrix cells behind a tier-2 row (empty otherwise).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pks_opt.feedback import FEEDBACK_COLUMNS as _FEEDBACK
from pks_opt.rostering.data import Demand, NamedDemand, RosterData
from pks_opt.trace import TRACE_COLUMNS as _TRACE

LEVEL = "roster"
FEEDBACK_COLUMNS = list(_FEEDBACK)  # the shared contract (pks_opt/feedback.py)
TRACE_COLUMNS = list(_TRACE)  # the shared contract (pks_opt/trace.py)


def trace_id(data: RosterData, row: Demand | NamedDemand) -> str:
    """Stable id of a demand row (unique: cover rows are merged per date/shift/competence/tier)."""
    head = f"roster:{data.date_of(row.day).isoformat()}:{row.shift}:{row.competence}"
    return f"{head}:{row.staff}" if isinstance(row, NamedDemand) else f"{head}:t{row.tier}"


def trace_table(data: RosterData) -> pd.DataFrame:
    """One row per demand row (cover rows, then named people), parents = the matrix cells."""
    rows: list[dict[str, Any]] = []
    asked: list[Demand | NamedDemand] = [*data.demand, *data.named_demand]
    for dm in asked:
        who = f"{dm.staff} as {dm.competence}" if isinstance(dm, NamedDemand) else dm.competence
        rows.append(
            {
                "id": trace_id(data, dm),
                "level": LEVEL,
                "unit": data.unit,
                "object": ";".join(dm.objects),
                "period": f"{data.date_of(dm.day).isoformat()} {dm.shift}",
                "quantity": 1 if isinstance(dm, NamedDemand) else dm.required,
                "measure": "staff",
                "parent_ids": ";".join(dm.parent_ids),
                "note": f"tier {dm.tier}: {who} ({dm.source})"
                if dm.source
                else f"tier {dm.tier}: {who}",
            }
        )
    return pd.DataFrame(rows, columns=TRACE_COLUMNS)


def feedback_table(data: RosterData, shortfalls: pd.DataFrame) -> pd.DataFrame:
    """One row per short cell of ``shortfalls.csv`` (header only when everything is covered)."""
    cover = {(d.day, d.shift, d.competence, d.tier): d for d in data.demand}
    named = {(n.day, n.shift, n.competence, n.staff): n for n in data.named_demand}
    rows: list[dict[str, Any]] = []
    for r in shortfalls.to_dict("records"):
        day = (pd.Timestamp(str(r["date"])).date() - data.start_date).days
        person = str(r["staff"] or "")
        comp, shift, tier = str(r["competence"]), str(r["shift"]), int(r["tier"])
        dm: Demand | NamedDemand | None = (
            named.get((day, shift, comp, person)) if person else cover.get((day, shift, comp, tier))
        )
        source = dm.source if dm is not None else ""
        objects = ", ".join(dm.objects) if dm is not None else ""
        what = (
            f"{source}: {objects}"
            if objects and source and objects not in source
            else (source or objects)
        )
        if person:
            cause = (
                f"tier {tier}, {what}: {person} is not on {shift} as {comp} "
                f"({r['reasons'] or 'on it in another role'})"
            )
        else:
            cause = (
                f"tier {tier}, {what}: only {int(r['assigned'])} of {int(r['required'])} "
                f"{comp} on {shift}; of the {int(r['qualified_staff'])} qualified: "
                f"{r['reasons']}"
            )
        rows.append(
            {
                "level": LEVEL,
                "unit": data.unit,
                "object": "",
                "resource": f"{person} ({comp})" if person else comp,
                "period": f"{r['date']} {shift}",
                "agreed": int(r["required"]),
                "achievable": int(r["assigned"]),
                "gap": int(r["assigned"]) - int(r["required"]),
                "cause": cause,
            }
        )
    return pd.DataFrame(rows, columns=FEEDBACK_COLUMNS)

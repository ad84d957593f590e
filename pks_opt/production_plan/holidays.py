"""Swedish public holidays in the production plan's calendar.

With ``parameters.start_date`` (the first day of week 1) every week gets its dates, and a
holiday (a public holiday or a de facto holiday eve, :mod:`pks_opt.calendar`) that falls on
Monday–Friday is a day without planned production. **Rule**: a week of type ``normal`` with
``k`` such days has ``(5 − k) / 5`` of its hours (``hours_per_week × capacity_factor ×
(5 − k) / 5``); a week of another type (``summer``, ``christmas``, ``easter``…) already
carries the planner's own reduction in its ``capacity_factor`` and keeps it, and hours given
in ``capacity.csv`` stand as given. Every week with a holiday is marked (its names in the
``holiday`` column of ``production_plan.csv`` and ``capacity_use.csv``), whatever its type.
Without ``start_date``, or with ``holidays: none``, nothing changes.
"""

from __future__ import annotations

import datetime as dt

from pks_opt.calendar import holidays_between
from pks_opt.constants import NORMAL_WEEK
from pks_opt.production_plan.data import PlanData

WORKDAYS_PER_WEEK = 5


def week_holidays(start: dt.date, num_weeks: int) -> dict[int, list[tuple[dt.date, str]]]:
    """Plan week (1-based) → its holidays on Monday–Friday, in date order."""
    last = start + dt.timedelta(days=7 * num_weeks - 1)
    out: dict[int, list[tuple[dt.date, str]]] = {}
    for day, name in holidays_between(start, last).items():
        if day.weekday() < WORKDAYS_PER_WEEK:
            out.setdefault((day - start).days // 7 + 1, []).append((day, name))
    return out


def with_holidays(data: PlanData) -> PlanData:
    """Mark ``data``'s holiday weeks and reduce their capacity (the module's rule)."""
    par = data.parameters
    if par.start_date is None or par.holidays == "none":
        return data
    found = week_holidays(par.start_date, data.num_weeks)
    if not found:
        return data
    weeks = tuple(
        wk.model_copy(
            update={"holiday": "; ".join(f"{d.isoformat()} {n}" for d, n in found[wk.week])}
        )
        if wk.week in found
        else wk
        for wk in data.weeks
    )
    share = {
        wk.week - 1: (WORKDAYS_PER_WEEK - len(found[wk.week])) / WORKDAYS_PER_WEEK
        for wk in data.weeks
        if wk.week in found and wk.week_type == NORMAL_WEEK
    }
    resources = []
    for r in data.resources:
        hours = list(r.available_hours)
        for w, keep in share.items():
            derived = r.hours_per_week * data.weeks[w].capacity_factor
            if abs(hours[w] - derived) <= 1e-9 * max(1.0, derived):  # not a capacity.csv row
                hours[w] = derived * keep
        resources.append(r.model_copy(update={"available_hours": tuple(hours)}))
    return data.model_copy(update={"weeks": weeks, "resources": tuple(resources)})

"""Re-balancing with the lower levels' feedback (``pks balance --feedback DIR``).

A feedback row (:mod:`pks_opt.feedback`) at the balance's grain — a unit, a planning object or
a resource, and one of the balance's periods — becomes a limit of the new balance:

- an **object row** caps the unit's production of the object in the period at ``achievable``
  (R12 in ``models/balancing.md``): a shortfall (achievable < agreed) makes the balance place
  the rest elsewhere — another unit, a purchase, a later period, or unmet; a goal the unit
  confirms alongside its requests (the plan answers with all its goals) is not raised;
- a **resource row** with a shortfall lowers the unit's available capacity of the resource in
  the period by the gap (the capacity the level below found it really has); one without a
  shortfall is the capacity a plan's answer was made on: the unit keeps at least that much
  after the balance's actions (R13), so a re-balance cannot take away what the answer rests on.

Rows about a plan instance's own goal (period ``plan``: not from a balance) and rows at a finer
grain than the balance's periods (a matrix week type, a roster date) are not limits; they are
listed as notes. Several caps on one key: the smallest holds; a floor is taken 10⁻⁶ below the
file's number (6 decimals), so rounding up asks for no capacity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from pks_opt.balancing.data import BalancingData
from pks_opt.errors import InputError
from pks_opt.feedback import Feedback

#: a gap smaller than this (activities or resource units) is rounding, not a request
GAP_EPS = 1e-6
#: feedback.csv carries 6 decimals: a capacity floor is taken this much below the number read
FLOOR_ROUNDING = 1e-6
#: period of a plan instance's own annual goal (pks_opt.production_plan.data.WHOLE_PLAN)
WHOLE_PLAN = "plan"


def apply_feedback(
    data: BalancingData, rows: Iterable[Feedback]
) -> tuple[BalancingData, list[str]]:
    """Add the feedback's limits to the data, with one note per row (used or not, and why).

    Raises
    ------
    InputError
        A row naming a unit, planning object or resource the instance does not have, or a
        plan-level row whose period is not one of the instance's periods.
    """
    fig = data.figures
    caps: dict[tuple[str, str, str], float] = dict(data.production_caps)
    loss: dict[tuple[str, str, str], float] = {}
    floors: dict[tuple[str, str, str], float] = dict(data.capacity_floors)
    notes: list[str] = []
    for f in rows:
        skipped = _not_a_limit(data, f)
        if skipped is not None:
            notes.append(skipped)
            continue
        key = (f.unit, f.object or f.resource, f.period)
        if f.object:
            # a shortfall, or a goal the unit confirms with its requests: not more than that
            caps[key] = min(caps.get(key, f.achievable), f.achievable)
            if f.gap < -GAP_EPS:
                notes.append(
                    f"{f.unit} produces at most {caps[key]:.0f} {f.object} in {f.period} "
                    f"({f.level}: {f.cause or 'no cause given'})"
                )
            continue
        if f.gap >= -GAP_EPS:
            # the capacity the unit's answer rests on: kept at least (R13), less the file's
            # rounding (6 decimals), so a value rounded up is no demand for more capacity
            floor = max(0.0, f.achievable - FLOOR_ROUNDING)
            floors[key] = max(floors.get(key, floor), floor)
            continue
        loss[key] = max(loss.get(key, 0.0), -f.gap)
        notes.append(
            f"{f.unit} has {loss[key]:.0f} less {f.resource} in {f.period} "
            f"({f.level}: {f.cause or 'no cause given'})"
        )
    if loss:
        available = dict(fig.available)
        for key, amount in loss.items():
            available[key] = max(0.0, available.get(key, 0.0) - amount)
        fig = dataclasses.replace(fig, available=available)
    if floors:
        notes.append(
            f"{len(floors)} unit × resource × period capacities kept at least at what the "
            "plans were made on"
        )
    return (
        dataclasses.replace(data, figures=fig, production_caps=caps, capacity_floors=floors),
        notes,
    )


def _not_a_limit(data: BalancingData, f: Feedback) -> str | None:
    """Explain why a row is no limit of the balance (``None`` when it is one).

    Raises
    ------
    InputError
        The row names a unit, planning object or resource the instance does not have, or it
        is a plan-level row whose period is not one of the instance's periods.
    """
    fig = data.figures
    if f.level == "plan" and f.period == WHOLE_PLAN:
        return (
            f"plan feedback on {f.unit} {f.object or f.resource}: a goal of the plan "
            "instance itself (not from a balance), not used"
        )
    if f.unit not in fig.units:
        raise InputError(
            f"unit '{f.unit}' is not a unit of the strategic instance",
            file=f.file,
            row=f.row,
            field="unit",
        )
    if f.object and f.object not in fig.planning_objects:
        raise InputError(
            f"planning object '{f.object}' is not in the strategic instance",
            file=f.file,
            row=f.row,
            field="object",
        )
    if f.resource and f.resource not in fig.resources:
        if f.level == "plan":
            raise InputError(
                f"resource '{f.resource}' is not a resource of the strategic instance",
                file=f.file,
                row=f.row,
                field="resource",
            )
        return (
            f"{f.level} feedback on {f.unit} {f.resource} {f.period}: not a resource of "
            "the balance, not used"
        )
    if f.period not in fig.periods:
        if f.level == "plan":
            raise InputError(
                f"period '{f.period}' is not a period of the strategic instance "
                f"({', '.join(fig.periods)})",
                file=f.file,
                row=f.row,
                field="period",
            )
        return (
            f"{f.level} feedback on {f.unit} {f.object or f.resource} '{f.period}': finer "
            "than the balance's periods, not used (the plan level takes it)"
        )
    return None

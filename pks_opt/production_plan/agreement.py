"""The plan against what was agreed: goals met per period, requests, free capacity.

Requests for a new agreement and free capacity (``goals.csv``, ``feedback.csv``,
``free_capacity.csv``).

A goal period is **met** when the planned production is within the tolerance of the agreed
goal: |planned − agreed| ≤ max(goal_tolerance × agreed, 1) — the parameter (1 %) or one
activity, since production is in whole activities and agreed goals are not. Every period not
met is a feedback row (:mod:`pks_opt.feedback`) naming what was agreed, what is achievable
and the cause, for the level above to re-balance with (``pks balance --feedback``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pks_opt.feedback import Feedback
from pks_opt.production_plan.data import WHOLE_PLAN, GoalPeriod, PlanData, PlanningObject
from pks_opt.production_plan.evaluate import ObjectTrace, PlanEvaluation

#: an agreed goal is met within max(tolerance × goal, this many activities): whole activities
ROUNDING_ALLOWANCE = 1.0
#: cause of a feedback row confirming a goal the plan meets (sent with the requests)
CONFIRMED = "met: confirmed as achievable"
#: cause of a feedback row giving the capacity the plan was made on (sent with the requests)
PLANNED_ON = "the capacity this plan is made on"
FULL_USE_SHARE = 0.999


def allowed_gap(goal: float, tolerance: float) -> float:
    """Give how far production may miss an agreed ``goal``.

    The tolerance share, at least the rounding allowance.
    """
    return max(tolerance * goal, ROUNDING_ALLOWANCE)


def _r(x: float) -> float:
    return round(x, 2)


def goal_table(data: PlanData, ev: PlanEvaluation) -> pd.DataFrame:
    """One row per planning object × goal period: agreed, planned, gap, met or not."""
    tol = data.parameters.goal_tolerance
    rows: list[dict[str, Any]] = []
    for o in data.objects:
        t = ev.traces[o.id]
        for g, planned in zip(o.goal_periods, t.period_production, strict=True):
            gap = planned - g.goal
            rows.append(
                {
                    "planning_object": o.id,
                    "priority": o.priority,
                    "goal_source": o.goal_source,
                    "period": g.period,
                    "weeks": f"{g.first_week}–{g.last_week}",
                    "agreed": _r(g.goal),
                    "planned": planned,
                    "gap": _r(gap),
                    "gap_share": _r(gap / g.goal) if g.goal > 0 else None,
                    "met": abs(gap) <= allowed_gap(g.goal, tol) + 1e-9,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "planning_object",
            "priority",
            "goal_source",
            "period",
            "weeks",
            "agreed",
            "planned",
            "gap",
            "gap_share",
            "met",
        ],
    )


def plan_periods(data: PlanData) -> list[GoalPeriod]:
    """List the periods the plan reports in.

    The balance's (goal periods of the objects that have them), or the whole plan.
    """
    seen: dict[str, GoalPeriod] = {}
    for o in data.objects:
        for g in o.goal_periods:
            if g.period != WHOLE_PLAN:
                seen.setdefault(g.period, g.model_copy(update={"goal": 0.0}))
    if seen:
        return sorted(seen.values(), key=lambda g: g.first_week)
    return [GoalPeriod(period=WHOLE_PLAN, first_week=1, last_week=data.num_weeks, goal=0.0)]


def free_capacity_table(data: PlanData, ev: PlanEvaluation) -> pd.DataFrame:
    """Hours left over per resource and period: what the unit can offer for moves or other work."""
    rows: list[dict[str, Any]] = []
    for r in data.resources:
        for g in plan_periods(data):
            avail = sum(r.available_hours[w] for w in g.weeks)
            used = sum(ev.used_hours[r.id][w] for w in g.weeks)
            rows.append(
                {
                    "resource": r.id,
                    "balance_resource": r.balance_resource or "",
                    "period": g.period,
                    "weeks": f"{g.first_week}–{g.last_week}",
                    "available_hours": _r(avail),
                    "used_hours": _r(used),
                    "free_hours": _r(max(0.0, avail - used)),
                    "free_share": _r((avail - used) / avail) if avail > 0 else None,
                }
            )
    return pd.DataFrame(rows)


def _weeks_text(weeks: Sequence[int]) -> str:
    from pks_opt.production_plan.solution import _weeks_text as text

    return text(list(weeks))


def shortfall_cause(data: PlanData, ev: PlanEvaluation, o: PlanningObject, g: GoalPeriod) -> str:
    """Plain words: why the plan cannot produce the agreed goal of ``o`` in ``g``."""
    t = ev.traces[o.id]
    empty = [w + 1 for w in g.weeks if t.queue_end[w] <= 0.5]
    if empty:
        return (
            f"not enough patients waiting: the queue is empty in week(s) {_weeks_text(empty)} "
            "(the goal is above the need that stays with the unit)"
        )
    parts: list[str] = []
    for rid in o.hours_per_activity:
        r = next(x for x in data.resources if x.id == rid)
        avail = sum(r.available_hours[w] for w in g.weeks)
        asked = sum(
            p.hours_per_activity.get(rid, 0.0) * q.goal
            for p in data.objects
            for q in p.goal_periods
            if q.period == g.period
        )
        name = f"{rid} ({r.balance_resource})" if r.balance_resource else rid
        if asked > avail + max(0.5, 1e-3 * avail):
            parts.append(
                f"the goals of {g.period} need {asked:.0f} h of {name}, the unit has {avail:.0f} h"
            )
            continue
        full = [
            w + 1
            for w in g.weeks
            if r.available_hours[w] > 0
            and ev.used_hours[rid][w] >= FULL_USE_SHARE * r.available_hours[w]
        ]
        if full:
            parts.append(f"{name} fully used in {len(full)} of {len(g.weeks)} weeks")
    if not parts:
        return "capacity shared with more urgent priorities and whole activities per week"
    return "; ".join(parts)


def _extra_needed(t: ObjectTrace) -> list[float]:
    """Give per week (0-based) the production above the plan needed by then.

    Enough to keep the queue within its maximum and its target in every week so far: the
    running maximum of the excess over both (one more activity by week w lowers the queue of
    week w and of every later week).
    """
    needed, most = [], 0.0
    for q, t_ex in zip(t.queue_excess, t.target_excess, strict=True):
        most = max(most, q, t_ex or 0.0)
        needed.append(most)
    return needed


def _room(data: PlanData, ev: PlanEvaluation, o: PlanningObject, g: GoalPeriod) -> float:
    """Activities of ``o`` the hours left free in the period's open weeks would still allow."""
    weeks = [w for w in g.weeks if w >= data.locked_weeks]
    by_id = {r.id: r for r in data.resources}
    return min(
        sum(max(0.0, by_id[rid].available_hours[w] - ev.used_hours[rid][w]) for w in weeks) / h
        for rid, h in o.hours_per_activity.items()
    )


def _too_low_cause(
    data: PlanData, o: PlanningObject, t: ObjectTrace, g: GoalPeriod, note: str
) -> str:
    """Plain words: the queue at the period's end against its limits, the inflow, ``note``."""
    w = g.last_week - 1
    limits = [f"maximum {o.max_queue:g}"] if o.max_queue is not None else []
    level = o.target_path()[w]
    if level is not None:
        limits.append(f"target {level:.0f}")
    inflow = sum(o.inflow[v] - o.other_removals[v] for v in g.weeks)
    ends = "ends" if g.last_week == data.num_weeks else f"ends week {g.last_week}"
    parts = [
        f"queue {ends} {t.queue_end[w]:.0f} against {' / '.join(limits)} at the agreed goal",
        f"inflow {inflow:.0f} in weeks {g.first_week}–{g.last_week} against the goal's "
        f"{g.goal:.0f}",
    ]
    return "; ".join(parts + ([note] if note else []))


def goal_too_low_rows(
    data: PlanData, ev: PlanEvaluation, unit: str, notes: Mapping[str, str] | None = None
) -> list[Feedback]:
    """Ask for a higher goal where a period is met but the queue ends above its limits.

    A goal period produced at its agreed goal (within the tolerance) while the queue goes above
    its maximum, or above its waiting-list target, by more than the allowed gap: the goal is
    too low for the inflow, a matter for the level above. ``agreed`` is the goal,
    ``achievable`` the production that keeps the queue within its limits (the running maximum
    of the excess, :func:`_extra_needed`), bounded by the hours left free in the period's open
    weeks; with no free hours for more than the allowed gap it is capacity, not the goal, that
    holds the queue up, and no row is written. ``notes``: per object, words added to the cause
    (the re-plan's re-forecast).
    """
    tol = data.parameters.goal_tolerance
    rows: list[Feedback] = []
    for o in data.objects:
        t = ev.traces[o.id]
        needed = _extra_needed(t)
        before = 0.0
        for g, planned in zip(o.goal_periods, t.period_production, strict=True):
            by_end = needed[g.last_week - 1]
            extra, before = by_end - before, by_end
            allowed = allowed_gap(g.goal, tol) + 1e-9
            if extra <= allowed or abs(planned - g.goal) > allowed:
                continue  # within the limits, or not at its goal (a request of its own)
            more = min(extra, _room(data, ev, o, g))
            if more <= allowed:
                continue  # no free hours for more: capacity, not the goal, holds the queue up
            achievable = planned + more
            cause = _too_low_cause(data, o, t, g, (notes or {}).get(o.id, ""))
            rows.append(Feedback("plan", unit, o.id, "", g.period, g.goal, achievable, cause))
    return rows


def feedback_rows(
    data: PlanData, ev: PlanEvaluation, unit: str, notes: Mapping[str, str] | None = None
) -> list[Feedback]:
    """Answer the goals for the unit: empty when it accepts them all.

    A request for a new agreement for every goal period not met within the tolerance. When
    there is at least one, the unit answers with its whole plan: every other goal period of
    the balance's goals is confirmed at its planned production (gap within the tolerance,
    cause "met: …"), and every resource the balance gave is confirmed at the hours the plan
    was made on. A re-balance then lowers goals where the unit cannot deliver, does not push
    the capacity this frees into the unit's other goals, and does not take away the capacity
    the answer rests on (``models/balancing.md`` R12, R13). A goal met while the queue ends
    above its maximum or target is a request too in a re-plan (:func:`goal_too_low_rows`;
    ``notes``, given only by a re-plan, adds words per object to its cause).
    """
    tol = data.parameters.goal_tolerance
    requests: list[Feedback] = []
    confirmed: list[Feedback] = []
    for o in data.objects:
        t = ev.traces[o.id]
        for g, planned in zip(o.goal_periods, t.period_production, strict=True):
            gap = planned - g.goal
            if abs(gap) <= allowed_gap(g.goal, tol) + 1e-9:
                if o.goal_source == "balance":
                    confirmed.append(
                        Feedback(
                            "plan",
                            unit,
                            o.id,
                            "",
                            g.period,
                            g.goal,
                            float(planned),
                            CONFIRMED,
                        )
                    )
                continue
            cause = shortfall_cause(data, ev, o, g) if gap < 0 else "planned above the agreed goal"
            requests.append(
                Feedback("plan", unit, o.id, "", g.period, g.goal, float(planned), cause)
            )
    # only in a re-plan (notes: its re-forecast): a plan made from the goals just agreed asks
    # nothing new, since the balance set those goals knowing the need (what it leaves unmet or
    # postpones is its decision); asking again made every handshake of region-cycle raise
    # requests the re-balance cannot answer (R12 caps goals, it does not raise them)
    too_low = goal_too_low_rows(data, ev, unit, notes) if notes is not None else []
    too_low_keys = {(f.object, f.period) for f in too_low}
    requests += too_low
    confirmed = [f for f in confirmed if (f.object, f.period) not in too_low_keys]
    if not requests:
        return []
    for r in data.resources:
        if r.balance_resource is None:
            continue
        for g in plan_periods(data):
            if g.period == WHOLE_PLAN:
                continue
            hours = sum(r.available_hours[w] for w in g.weeks)
            confirmed.append(
                Feedback("plan", unit, "", r.balance_resource, g.period, hours, hours, PLANNED_ON)
            )
    return requests + confirmed


def is_request(f: Feedback) -> bool:
    """Tell whether a row asks for a new agreement (not a confirmation of a goal the plan meets)."""
    return f.cause not in (CONFIRMED, PLANNED_ON)


def feedback_lines(rows: Sequence[Feedback], limit: int = 8) -> list[str]:
    """Explanation lines: one per request, the first ``limit`` of them."""
    rows = [f for f in rows if is_request(f)]
    lines = [
        f"request for a new agreement: {f.object} {f.period} agreed {f.agreed:.0f}, "
        f"achievable {f.achievable:.0f} ({f.gap:+.0f}): {f.cause}"
        for f in rows[:limit]
    ]
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more requests in feedback.csv")
    return lines

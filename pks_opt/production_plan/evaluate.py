"""Recompute everything about a plan from its weekly production alone (no solver values).

Used to report the plan and to check the solver: every stage objective recomputed here must
match what the solver reported (``check_against_solver``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pks_opt.production_plan.data import PlanData, PlanningObject, wait_window
from pks_opt.production_plan.milp import PlanSolution, goal_stage_name, stage_name
from pks_opt.result import SolveStatus
from pks_opt.stages import Check

EXCESS_TOLERANCE = 1e-6  # an excess below this counts as none (fractional inflow rounding)
# Recomputed vs solver objective: HiGHS/CBC stop within a relative gap of ~1e-4, and earlier
# stages were fixed with a slack of the same order; a modelling bug differs by far more.
CHECK_REL_TOLERANCE = 1e-3


@dataclass(frozen=True)
class ObjectTrace:
    """One planning object's weekly trajectory under a plan."""

    production: tuple[int, ...]
    queue_start: tuple[float, ...]
    queue_end: tuple[float, ...]
    queue_excess: tuple[float, ...]  # patients above max_queue (0 without a maximum)
    wait_excess: tuple[float, ...]  # patients above max_wait_weeks × production
    target_excess: tuple[float | None, ...]  # patients above the target path (None: no target)
    period_production: tuple[int, ...]  # production in each goal period
    period_shortfall: tuple[float, ...]  # activities below each goal period's goal
    period_excess: tuple[float, ...]  # activities above each goal period's goal
    overproduction: tuple[float, ...]  # patients below the need path (objects with no goal)
    behind_need: tuple[float, ...]  # patients above the need path (objects with no goal)
    steady_rate: float  # the best steady rate for this production (weighted median)
    change: float  # Σ_w |production[w] − production[w−1]|
    deviation: float  # Σ_w |production[w] − steady_rate × shape[w]|

    throughput: tuple[float, ...]  # mean production per week over each week's wait window

    @property
    def goal_shortfall(self) -> float:
        """Activities below the goals, summed over the goal periods (0 without a goal)."""
        return sum(self.period_shortfall)

    @property
    def goal_excess(self) -> float:
        """Activities above the goals, summed over the goal periods (0 without a goal)."""
        return sum(self.period_excess)

    @property
    def expected_wait_weeks(self) -> tuple[float, ...]:
        """Little's law: queue at the end of the week ÷ throughput of its wait window (inf if 0)."""
        return tuple(
            (q / rate if rate > 0 else (0.0 if q <= EXCESS_TOLERANCE else math.inf))
            for q, rate in zip(self.queue_end, self.throughput, strict=True)
        )


@dataclass(frozen=True)
class PlanEvaluation:
    """A plan's objective terms recomputed without the solver (the self-check).

    Per priority: the weighted deviation from the agreed goals, the service shortfall, and the
    levelling; per resource: the hours used each week.
    """

    traces: dict[str, ObjectTrace]
    goal: dict[int, float]  # priority -> weighted deviation from what was agreed
    service: dict[int, float]  # priority -> weighted service shortfall
    levelling: dict[int, float]  # priority -> weighted levelling of its objects
    used_hours: dict[str, tuple[float, ...]]  # resource -> hours used per week

    def stage_objective(self, priority: int) -> float:
        """Objective of stage ``priority``: its service plus the levelling of priorities ≤ it."""
        return self.service[priority] + sum(v for k, v in self.levelling.items() if k <= priority)

    def stage_values(self, priorities: tuple[int, ...]) -> dict[str, tuple[float, float]]:
        """Stage name → (fixed term, stage objective), in solve order."""
        out: dict[str, tuple[float, float]] = {}
        for k in priorities:
            out[goal_stage_name(k)] = (self.goal[k], self.goal[k])
            out[stage_name(k)] = (self.service[k], self.stage_objective(k))
        return out


def evaluate(
    data: PlanData, production: dict[str, tuple[int, ...]], *, with_target: bool
) -> PlanEvaluation:
    """Trace queues, excesses and the stage objectives of ``production``."""
    par = data.parameters
    traces: dict[str, ObjectTrace] = {}
    for o in data.objects:
        traces[o.id] = _trace(data, o, production[o.id], with_target)
    goal = {k: 0.0 for k in data.priorities}
    service = {k: 0.0 for k in data.priorities}
    levelling = {k: 0.0 for k in data.priorities}
    for o in data.objects:
        t = traces[o.id]
        goal[o.priority] += (
            par.goal_shortfall_weight * t.goal_shortfall
            + par.goal_excess_weight * t.goal_excess
            + par.overproduction_weight * sum(t.overproduction)
            + par.behind_need_weight * sum(t.behind_need)
        )
        service[o.priority] += (
            par.wait_excess_weight * sum(t.wait_excess)
            + par.queue_excess_weight * sum(t.queue_excess)
            + par.target_excess_weight * sum(e for e in t.target_excess if e is not None)
        )
        levelling[o.priority] += par.change_weight * t.change + par.steady_weight * t.deviation
    used = {
        r.id: tuple(
            sum(o.hours_per_activity.get(r.id, 0.0) * production[o.id][w] for o in data.objects)
            for w in range(data.num_weeks)
        )
        for r in data.resources
    }
    return PlanEvaluation(traces, goal, service, levelling, used)


def _trace(data: PlanData, o: PlanningObject, x: tuple[int, ...], with_target: bool) -> ObjectTrace:
    starts: list[float] = []
    ends: list[float] = []
    queue = o.queue_start
    for w, p in enumerate(x):
        starts.append(queue)
        queue = queue + o.inflow[w] - o.other_removals[w] - p
        ends.append(queue)
    path = o.target_path() if with_target else tuple(None for _ in x)
    served = serving_capacity(o, x)
    shape = data.shape(o)
    rate = steady_rate(x, shape)
    per_period = tuple(sum(x[w] for w in g.weeks) for g in o.goal_periods)
    need = data.need_path(o, with_target) if not o.has_goal else None
    return ObjectTrace(
        production=tuple(x),
        queue_start=tuple(starts),
        queue_end=tuple(ends),
        queue_excess=tuple(
            max(0.0, q - o.max_queue) if o.max_queue is not None else 0.0 for q in ends
        ),
        wait_excess=tuple(max(0.0, q - served[w]) for w, q in enumerate(ends)),
        target_excess=tuple(
            None if lv is None else max(0.0, q - lv) for q, lv in zip(ends, path, strict=True)
        ),
        period_production=per_period,
        period_shortfall=tuple(
            max(0.0, g.goal - p) for g, p in zip(o.goal_periods, per_period, strict=True)
        ),
        period_excess=tuple(
            max(0.0, p - g.goal) for g, p in zip(o.goal_periods, per_period, strict=True)
        ),
        overproduction=tuple(max(0.0, lv - q) for lv, q in zip(need, ends, strict=True))
        if need is not None
        else tuple(0.0 for _ in x),
        behind_need=tuple(max(0.0, q - lv) for lv, q in zip(need, ends, strict=True))
        if need is not None
        else tuple(0.0 for _ in x),
        steady_rate=rate,
        throughput=tuple(served[w] / o.max_wait_weeks for w in range(len(x))),
        change=float(sum(abs(x[w] - x[w - 1]) for w in range(1, len(x)))),
        deviation=sum(abs(p - rate * f) for p, f in zip(x, shape, strict=True)),
    )


def serving_capacity(o: PlanningObject, x: tuple[int, ...]) -> tuple[float, ...]:
    """max_wait_weeks × mean production over each week's wait window (R4's right-hand side)."""
    out = []
    for w in range(len(x)):
        window = wait_window(w, o.max_wait_weeks, len(x))
        out.append(o.max_wait_weeks * sum(x[v] for v in window) / len(window))
    return tuple(out)


def steady_rate(x: tuple[int, ...], shape: tuple[float, ...]) -> float:
    """Find the rate s ≥ 0 minimising Σ_w |x[w] − s·shape[w]|: a weighted median of x/shape.

    Σ_w shape[w]·|x[w]/shape[w] − s| over weeks with shape > 0 (weeks with shape 0 add |x[w]|
    whatever s is), minimised by the median of x/shape weighted by shape.
    """
    pts = sorted((p / f, f) for p, f in zip(x, shape, strict=True) if f > 0)
    if not pts:
        return 0.0
    half = sum(f for _, f in pts) / 2
    acc = 0.0
    for y, f in pts:
        acc += f
        if acc >= half - 1e-12:
            return y
    return pts[-1][0]  # pragma: no cover - the loop always returns


def check_against_solver(
    data: PlanData, sol: PlanSolution, ev: PlanEvaluation
) -> tuple[list[str], list[Check]]:
    """Set the recomputed objectives beside the solver's.

    Gives (check lines, checks for :func:`pks_opt.stages.self_check`).

    Every completed stage's fixed term (goal deviation, or service), fixed with a small slack,
    may not exceed its fixed value; the last completed stage's objective (the plan's) must be
    equal when proven optimal and never above the solver's value.
    """
    lines: list[str] = []
    checks: list[Check] = []
    values = ev.stage_values(data.priorities)
    done = [name for name in values if name in sol.service_values]
    for name in done:
        fixed = sol.service_values[name]
        mine = values[name][0]
        # R9 allows the fixed value plus its slack; the solver's feasibility tolerance on top.
        slack = sol.service_slack[name]
        checks.append(Check(name, fixed, mine, slack + CHECK_REL_TOLERANCE * max(1.0, abs(fixed))))
        lines.append(f"{name}: solver {fixed:.4f}, recomputed {mine:.4f}")
    last = done[-1]
    report = next(s for s in sol.stages if s.name == last)
    mine = values[last][1]
    tol = CHECK_REL_TOLERANCE * max(1.0, abs(report.objective))
    checks.append(
        Check(
            f"{last} (objective)",
            report.objective,
            mine,
            tol,
            exact=report.status is SolveStatus.OPTIMAL,
        )
    )
    lines.append(f"objective ({last} stage): solver {report.objective:.4f}, recomputed {mine:.4f}")
    return lines, checks

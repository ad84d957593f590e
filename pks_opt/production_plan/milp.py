"""The production-plan MILP (spec: ``models/production_plan.md``), solved in lexicographic stages.

Stages: one per medical priority, most urgent first. Stage k minimises priority k's service
shortfall (goal shortfall, queue above its maximum, queue above what the Little's-law wait
allows, queue above the waiting-list target) plus the levelling of the objects of priorities
≤ k; then its service shortfall is fixed (R9), so a less urgent priority never takes capacity
from a more urgent one. The last stage's objective is the plan's objective. PuLP is imported
lazily.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from pks_opt.milp import DEFAULT_MILP_BACKEND, solve_pulp
from pks_opt.production_plan import DEFAULT_MAX_NODES, DEFAULT_TIME_LIMIT_S
from pks_opt.production_plan.data import PlanData, PlanningObject, wait_window
from pks_opt.result import SolveStatus, StageReport
from pks_opt.stages import PulpAdapter, Stage, StagesRun, TimeSplit, proven_noise, run_stages

#: a stage reached with (almost) no time left still gets this many seconds
MIN_STAGE_S = 0.5
STAGE_ABS_TOLERANCE = 1e-4  # absolute slack on a stage value fixed after a non-proven stage
EXACT_STAGE_TOLERANCE = 1e-6  # relative slack after a proven stage: solver feasibility noise
CAPACITY_SLACK = 1e-6  # relative, on available hours (R2): rounding of handed-down hours
SOLVER_THREADS = 1  # the machine is shared; the plan is small


def _frac(value: float) -> float:
    """Fractional part of ``value``; 0 when within 10⁻⁶ of an integer (rounding noise)."""
    f = value - math.floor(value)
    return 0.0 if f < 1e-6 or f > 1 - 1e-6 else f


def hours_with_slack(hours: float) -> float:
    """Give the available hours plus 10⁻⁶ relative.

    Hours handed down from the balance carry its rounding (6 decimals), which must not cost a
    whole activity (R2).
    """
    return hours + CAPACITY_SLACK * max(1.0, hours)


def stage_slack(value: float, proven: bool, tolerance: float) -> float:
    """Slack of R9 on a fixed stage value.

    A proven optimal stage is fixed exactly (only the solver's feasibility noise,
    10⁻⁶ relative); a stage stopped on its limit keeps ``stage_tolerance`` (1 %) so the next
    stage is not bound to a possibly poor incumbent.
    """
    return proven_noise(EXACT_STAGE_TOLERANCE, tolerance, STAGE_ABS_TOLERANCE)(value, proven)


def stage_name(priority: int) -> str:
    """Name of the queue stage of ``priority`` (reports, progress, explanations)."""
    return f"priority {priority}"


def goal_stage_name(priority: int) -> str:
    """Name of the goal stage of ``priority``."""
    return f"priority {priority} goals"


@dataclass
class PlanSolution:
    """Weekly production per planning object from one (multi-stage) solve."""

    status: SolveStatus
    production: dict[str, tuple[int, ...]]
    stages: list[StageReport]
    service_values: dict[str, float]  # service(k) at the solution of stage k (then fixed)
    service_slack: dict[str, float]  # R9 slack on each fixed service value
    runtime_s: float
    solver: str
    with_target: bool
    notes: list[str] = field(default_factory=list)

    @property
    def final_stage(self) -> StageReport | None:
        """Report of the last stage solved (None: no stage ran)."""
        return self.stages[-1] if self.stages else None


class PlanModel:
    """R1–R8 of ``models/production_plan.md`` as one PuLP model (stage objectives set later)."""

    def __init__(self, data: PlanData, *, with_target: bool) -> None:
        """Build the plan's MILP (``with_target``: with the waiting-list reduction goal)."""
        import pulp

        self.data = data
        self.with_target = with_target
        self.prob = pulp.LpProblem("production_plan", pulp.LpMinimize)
        self.weeks = range(data.num_weeks)
        self._variables()
        self._constraints()

    # ------------------------------------------------------------------ variables

    def _variables(self) -> None:
        d, p = self.data, self.prob
        self.x: dict[tuple[str, int], Any] = {}
        self.q: dict[tuple[str, int], Any] = {}
        self.queue_excess: dict[tuple[str, int], Any] = {}
        self.wait_excess: dict[tuple[str, int], Any] = {}
        self.target_excess: dict[tuple[str, int], Any] = {}
        self.change: dict[tuple[str, int], Any] = {}
        self.deviation: dict[tuple[str, int], Any] = {}
        self.goal_shortfall: dict[tuple[str, int], Any] = {}  # (object, goal period index)
        self.goal_excess: dict[tuple[str, int], Any] = {}
        self.overproduction: dict[tuple[str, int], Any] = {}  # queue below the need path
        self.behind_need: dict[tuple[str, int], Any] = {}  # queue above the need path
        self.rate: dict[str, Any] = {}
        for o in d.objects:
            paths = o.target_path()
            for w in self.weeks:
                wk = w + 1
                self.x[o.id, w] = p.add_variable(
                    f"production[{o.id},{wk}]",
                    self._min_production(o, w),
                    self._max_production(o, w),
                    "Integer",
                )
                self.q[o.id, w] = p.add_variable(f"queue[{o.id},{wk}]", 0)
                self.wait_excess[o.id, w] = p.add_variable(f"wait_excess[{o.id},{wk}]", 0)
                if o.max_queue is not None:
                    self.queue_excess[o.id, w] = p.add_variable(f"queue_excess[{o.id},{wk}]", 0)
                if self.with_target and paths[w] is not None:
                    self.target_excess[o.id, w] = p.add_variable(f"target_excess[{o.id},{wk}]", 0)
            for i, g in enumerate(o.goal_periods):
                self.goal_shortfall[o.id, i] = p.add_variable(
                    f"goal_shortfall[{o.id},{g.period}]", 0
                )
                self.goal_excess[o.id, i] = p.add_variable(f"goal_excess[{o.id},{g.period}]", 0)
            if not o.has_goal:
                for w in self.weeks:
                    self.overproduction[o.id, w] = p.add_variable(
                        f"overproduction[{o.id},{w + 1}]", 0
                    )
                    self.behind_need[o.id, w] = p.add_variable(f"behind_need[{o.id},{w + 1}]", 0)
            self.rate[o.id] = p.add_variable(f"steady_rate[{o.id}]", 0)

    def _min_production(self, o: PlanningObject, w: int) -> int:
        """(R0) A week already done is fixed at what was produced; otherwise 0."""
        return o.locked[w] if w < self.data.locked_weeks else 0

    def _max_production(self, o: PlanningObject, w: int) -> int:
        """Bound production[o,w] by the most activities any one used resource allows.

        A week already done: what was produced (R0).
        """
        if w < self.data.locked_weeks:
            return o.locked[w]
        by_id = {r.id: r for r in self.data.resources}
        return min(
            math.floor(hours_with_slack(by_id[r].available_hours[w]) / h + 1e-9)
            for r, h in o.hours_per_activity.items()
        )

    # ------------------------------------------------------------------ constraints

    def _constraints(self) -> None:
        self._queue_dynamics()
        self._capacity()
        self._max_queue()
        self._wait()
        self._target()
        self._goal()
        self._levelling()
        self._strengthen()

    def _queue_dynamics(self) -> None:
        """(R1) queue[o,w] = queue[o,w−1] + inflow − other removals − production; queue ≥ 0."""
        for o in self.data.objects:
            for w in self.weeks:
                before = self.q[o.id, w - 1] if w > 0 else o.queue_start
                self.prob += (
                    self.q[o.id, w] == before + o.inflow[w] - o.other_removals[w] - self.x[o.id, w],
                    f"queue[{o.id},{w + 1}]",
                )

    def _capacity(self) -> None:
        """(R2) Hours used of every resource within its available hours, every week."""
        import pulp

        for r in self.data.resources:
            users = [o for o in self.data.objects if r.id in o.hours_per_activity]
            if not users:
                continue
            for w in self.weeks:
                if w < self.data.locked_weeks:
                    continue  # a week already done: what happened is a fact, not a choice
                self.prob += (
                    pulp.lpSum(o.hours_per_activity[r.id] * self.x[o.id, w] for o in users)
                    <= hours_with_slack(r.available_hours[w]),
                    f"capacity[{r.id},{w + 1}]",
                )

    def _max_queue(self) -> None:
        """(R3) queue_excess ≥ queue − max_queue (soft maximum queue)."""
        for o in self.data.objects:
            if o.max_queue is None:
                continue
            for w in self.weeks:
                self.prob += (
                    self.queue_excess[o.id, w] >= self.q[o.id, w] - o.max_queue,
                    f"max_queue[{o.id},{w + 1}]",
                )

    def _wait(self) -> None:
        """(R4) wait_excess ≥ queue − max_wait_weeks × mean production of the wait window.

        Little's law (wait = queue ÷ throughput) linearised: the throughput is the mean
        production over the weeks that will serve this queue (``wait_window``).
        """
        import pulp

        n = self.data.num_weeks
        for o in self.data.objects:
            for w in self.weeks:
                window = wait_window(w, o.max_wait_weeks, n)
                served = pulp.lpSum(self.x[o.id, v] for v in window) * (
                    o.max_wait_weeks / len(window)
                )
                self.prob += (
                    self.wait_excess[o.id, w] >= self.q[o.id, w] - served,
                    f"max_wait[{o.id},{w + 1}]",
                )

    def _target(self) -> None:
        """(R5) target_excess ≥ queue − target path (only in the plan with the reduction goal)."""
        if not self.with_target:
            return
        for o in self.data.objects:
            for w, level in enumerate(o.target_path()):
                if level is None:
                    continue
                self.prob += (
                    self.target_excess[o.id, w] >= self.q[o.id, w] - level,
                    f"target_queue[{o.id},{w + 1}]",
                )

    def _goal(self) -> None:
        """(R6) Per goal period p: shortfall ≥ G_p − Σ_{w∈p} x; excess ≥ Σ_{w∈p} x − G_p.

        (R11) An object with no goal follows need: overproduction ≥ need path − queue
        (production ahead of need), behind_need ≥ queue − need path (behind it).
        """
        import pulp

        for o in self.data.objects:
            for i, g in enumerate(o.goal_periods):
                total = pulp.lpSum(self.x[o.id, w] for w in g.weeks)
                tag = f"{o.id},{g.period}"
                self.prob += self.goal_shortfall[o.id, i] >= g.goal - total, f"goal[{tag}]"
                self.prob += self.goal_excess[o.id, i] >= total - g.goal, f"goal_excess[{tag}]"
            if not o.has_goal:
                path = self.data.need_path(o, self.with_target)
                for w in self.weeks:
                    self.prob += (
                        self.overproduction[o.id, w] >= path[w] - self.q[o.id, w],
                        f"need_path[{o.id},{w + 1}]",
                    )
                    self.prob += (
                        self.behind_need[o.id, w] >= self.q[o.id, w] - path[w],
                        f"behind_need[{o.id},{w + 1}]",
                    )

    def _levelling(self) -> None:
        """(R7) change = |Δ production|; (R8) deviation = |production − steady_rate × shape|.

        Split variables: x[w] − x[w−1] = up − down and x[w] − ρ·s[w] = over − under, one
        equality row each; minimising up + down (over + under) makes their sum the absolute value.
        """
        p = self.prob
        for o in self.data.objects:
            shape = self.data.shape(o)
            for w in self.weeks:
                wk = w + 1
                x = self.x[o.id, w]
                over = p.add_variable(f"steady_over[{o.id},{wk}]", 0)
                under = p.add_variable(f"steady_under[{o.id},{wk}]", 0)
                self.deviation[o.id, w] = over + under
                p += x - self.rate[o.id] * shape[w] == over - under, f"steady[{o.id},{wk}]"
                if w > 0:
                    up = p.add_variable(f"change_up[{o.id},{wk}]", 0)
                    down = p.add_variable(f"change_down[{o.id},{wk}]", 0)
                    self.change[o.id, w] = up + down
                    p += x - self.x[o.id, w - 1] == up - down, f"change[{o.id},{wk}]"

    def _strengthen(self) -> None:
        """(R10) Valid inequalities from integral production; they cut off no integer plan.

        Every excess term has the form e ≥ c − Y with Y an integer combination of production
        (queue[o,w] = c_w − X_w with c_w = Q0 + Σ_{v≤w}(inflow − removals), X_w cumulative
        production). For integer Y the convex hull of {e ≥ max(0, c − Y)} adds
        e ≥ f·(c − Y + 1 − f), f = c − ⌊c⌋ (a mixed-integer rounding cut): the LP relaxation
        can no longer serve fractional patients. Likewise queue ≥ 0 becomes queue ≥ f(c_w).
        """
        n = self.data.num_weeks
        for o in self.data.objects:
            paths = o.target_path() if self.with_target else tuple(None for _ in self.weeks)
            need = None if o.has_goal else self.data.need_path(o, self.with_target)
            c = o.queue_start
            for w in self.weeks:
                c += o.inflow[w] - o.other_removals[w]
                q = self.q[o.id, w]
                q.lowBound = _frac(c)  # X_w integer and X_w ≤ c_w, so X_w ≤ ⌊c_w⌋
                if o.max_queue is not None:
                    self._mir(
                        self.queue_excess[o.id, w],
                        q - o.max_queue,
                        c - o.max_queue,
                        "max_queue",
                        o.id,
                        w,
                    )
                if paths[w] is not None:
                    level = paths[w]
                    assert level is not None
                    self._mir(
                        self.target_excess[o.id, w], q - level, c - level, "target_queue", o.id, w
                    )
                if need is not None:
                    # overproduction ≥ need − q = (need − c_w) + X_w: Y = −X_w integer
                    self._mir(
                        self.overproduction[o.id, w], need[w] - q, need[w] - c, "need_path", o.id, w
                    )
                    self._mir(
                        self.behind_need[o.id, w], q - need[w], c - need[w], "behind_need", o.id, w
                    )
                window = wait_window(w, o.max_wait_weeks, n)
                per_week = o.max_wait_weeks / len(window)
                if abs(per_week - round(per_week)) < 1e-9:  # Y integer only for whole weights
                    import pulp

                    served = round(per_week) * pulp.lpSum(self.x[o.id, v] for v in window)
                    self._mir(self.wait_excess[o.id, w], q - served, c, "max_wait", o.id, w)

    def _mir(self, excess: Any, expr: Any, constant: float, tag: str, oid: str, w: int) -> None:
        """Add the rounding cut ``excess`` ≥ f·(expr + 1 − f), expr = constant − integer.

        f is the fraction of ``constant``; no cut when f ≈ 0 or 1.
        """
        f = _frac(constant)
        if f > 0:
            self.prob += excess >= f * (expr + (1 - f)), f"{tag}_mir[{oid},{w + 1}]"

    # ------------------------------------------------------------------ objective terms

    def goal(self, priority: int) -> Any:
        """Express one priority's deviation from what was agreed.

        Goal shortfall and excess per period; production above need (queue below the need path)
        for objects with no goal.
        """
        import pulp

        par = self.data.parameters
        terms: list[Any] = []
        for o in self.data.objects:
            if o.priority != priority:
                continue
            for i in range(len(o.goal_periods)):
                terms.append(par.goal_shortfall_weight * self.goal_shortfall[o.id, i])
                terms.append(par.goal_excess_weight * self.goal_excess[o.id, i])
            for w in self.weeks:
                if (o.id, w) in self.overproduction:
                    terms.append(par.overproduction_weight * self.overproduction[o.id, w])
                    terms.append(par.behind_need_weight * self.behind_need[o.id, w])
        return pulp.lpSum(terms)

    def service(self, priority: int) -> Any:
        """Service shortfall of one priority: weighted weekly queue excesses."""
        import pulp

        par = self.data.parameters
        terms: list[Any] = []
        for o in self.data.objects:
            if o.priority != priority:
                continue
            for w in self.weeks:
                terms.append(par.wait_excess_weight * self.wait_excess[o.id, w])
                if (o.id, w) in self.queue_excess:
                    terms.append(par.queue_excess_weight * self.queue_excess[o.id, w])
                if (o.id, w) in self.target_excess:
                    terms.append(par.target_excess_weight * self.target_excess[o.id, w])
        return pulp.lpSum(terms)

    def levelling(self, max_priority: int | None = None) -> Any:
        """Weighted week-to-week change and deviation from the steady rate.

        Only of the objects with priority ≤ ``max_priority`` (all when None).
        """
        import pulp

        par = self.data.parameters
        ids = {
            o.id for o in self.data.objects if max_priority is None or o.priority <= max_priority
        }
        return pulp.lpSum(
            par.change_weight * v for (o, _), v in self.change.items() if o in ids
        ) + pulp.lpSum(par.steady_weight * v for (o, _), v in self.deviation.items() if o in ids)

    def open_up_to(self, priority: int) -> None:
        """Let stage ``priority`` decide only the production of priorities ≤ it.

        Less urgent objects are held at 0 for this stage: they are in neither its service nor
        its levelling term and only compete for capacity, so the stage optimum is unchanged,
        and the MILP is smaller. Their bounds are restored when their own stage comes.
        """
        for o in self.data.objects:
            for w in self.weeks:
                var = self.x[o.id, w]
                var.upBound = (
                    self._max_production(o, w)
                    if o.priority <= priority or w < self.data.locked_weeks
                    else 0
                )

    def set_start(
        self,
        priority: int,
        previous: dict[str, tuple[int, ...]] | None,
        time_limit_s: float,
        backend: str = DEFAULT_MILP_BACKEND,
        *,
        keep: bool = False,
    ) -> None:
        """Give the solver a MIP start (CBC's, HiGHS's partial start): a rounded LP relaxation.

        ``keep`` (a service stage, every goal already fixed): the previous stage's plan itself,
        feasible for every row including the new stage bound (a rounded LP plan could break
        the fixed goal totals).

        More urgent objects keep the previous stage's production (so every fixed stage bound
        still holds: S_j depends only on priority j's production); this priority's production
        is the LP relaxation's with its cumulative sum rounded down, then lowered where a
        resource is over its hours. Producing less never empties a queue below 0, so the start
        is feasible.
        """
        if keep and previous is not None:
            for o in self.data.objects:
                for w in self.weeks:
                    self.x[o.id, w].setInitialValue(previous[o.id][w])
            return
        lp_solved = self._relaxation(priority, previous, time_limit_s, backend)
        start = self._rounded_start(priority, previous, lp_solved)
        self._within_hours(priority, start)
        for key, v in self.x.items():
            v.setInitialValue(start[key])

    def _relaxation(
        self,
        priority: int,
        previous: dict[str, tuple[int, ...]] | None,
        time_limit_s: float,
        backend: str,
    ) -> bool:
        """Solve the stage's LP relaxation, more urgent production held as it was.

        The variables are integer again afterwards. True when the LP has a solution.
        """
        saved = {key: (v.lowBound, v.upBound) for key, v in self.x.items()}
        for (oid, w), v in self.x.items():
            v.cat = "Continuous"
            if previous is not None and self.data.object(oid).priority < priority:
                v.lowBound = v.upBound = previous[oid][w]
        try:
            lp = solve_pulp(
                self.prob, backend, time_limit_s=max(0.5, time_limit_s / 4), threads=SOLVER_THREADS
            )
        finally:
            for key, v in self.x.items():
                v.cat = "Integer"
                v.lowBound, v.upBound = saved[key]
        return lp.status.has_solution

    def _rounded_start(
        self, priority: int, previous: dict[str, tuple[int, ...]] | None, lp_solved: bool
    ) -> dict[tuple[str, int], int]:
        """Round the LP's plan into a start.

        More urgent objects as before, this priority's the LP's cumulative production rounded
        down, less urgent none; weeks already done as they were (R0).
        """
        start: dict[tuple[str, int], int] = {}
        for o in self.data.objects:
            done, relaxed = 0, 0.0
            for w in self.weeks:
                if o.priority < priority and previous is not None:
                    start[o.id, w] = previous[o.id][w]
                elif o.priority == priority and lp_solved:
                    # round the cumulative production down: never above the LP's, so the queue
                    # stays ≥ 0, and never more than one activity behind it
                    relaxed += self.x[o.id, w].value() or 0.0
                    start[o.id, w] = max(0, math.floor(relaxed + 1e-6) - done)
                    done += start[o.id, w]
                else:
                    start[o.id, w] = 0
        for o in self.data.objects:  # weeks already done are what they were (R0)
            for w in range(self.data.locked_weeks):
                start[o.id, w] = o.locked[w]
        return start

    def _within_hours(self, priority: int, start: dict[tuple[str, int], int]) -> None:
        """Lower this priority's start where a resource is over its hours (largest first)."""
        for r in self.data.resources:
            users = sorted(
                (
                    o
                    for o in self.data.objects
                    if r.id in o.hours_per_activity and o.priority == priority
                ),
                key=lambda o: o.id,
            )
            for w in range(self.data.locked_weeks, self.data.num_weeks):
                used = sum(
                    o.hours_per_activity.get(r.id, 0.0) * start[o.id, w] for o in self.data.objects
                )
                while used > hours_with_slack(r.available_hours[w]) + 1e-9 and users:
                    top = max(users, key=lambda o, week=w: start[o.id, week])  # type: ignore[misc]
                    if start[top.id, w] == 0:
                        break
                    start[top.id, w] -= 1
                    used -= top.hours_per_activity[r.id]

    def fix_period_totals(self, production: dict[str, tuple[int, ...]]) -> None:
        """Hold each goal object's production per goal period at its total (R9b).

        After the goal stages, at their (whole) totals: the service stages re-spread weeks within a
        period but never change what is delivered against a goal.
        """
        import pulp

        for o in self.data.objects:
            for g in o.goal_periods:
                total = sum(production[o.id][w] for w in g.weeks)
                self.prob += (
                    pulp.lpSum(self.x[o.id, w] for w in g.weeks) == total,
                    f"period_total[{o.id},{g.period}]",
                )

    def production_values(self) -> dict[str, tuple[int, ...]]:
        """Read the solution's weekly production per object, rounded to whole activities."""
        return {
            o.id: tuple(int(round(self.x[o.id, w].value() or 0.0)) for w in self.weeks)
            for o in self.data.objects
        }


class _PlanStages(PulpAdapter):
    """The plan's preparation of a stage.

    The goal totals held before the first service stage (R9b), the objects the stage decides,
    and a MIP start (:meth:`PlanModel.set_start`).
    """

    def __init__(self, model: PlanModel, backend: str, max_nodes: int | None) -> None:
        super().__init__(
            model.prob, backend, threads=SOLVER_THREADS, warm_start=True, max_nodes=max_nodes
        )
        self.model = model
        self.production: dict[str, tuple[int, ...]] | None = None
        self.goal_stage = True  # the stage before was a goal stage

    def prepare(self, index: int, stage: Stage, budget_s: float | None) -> None:
        k, is_goal = stage.info
        model, data = self.model, self.model.data
        if not is_goal and self.goal_stage and self.production is not None:
            model.fix_period_totals(self.production)  # the first service stage
        self.goal_stage = is_goal
        # a goal stage decides priorities ≤ k; a service stage runs with every goal fixed
        model.open_up_to(k if is_goal else data.priorities[-1])
        model.prob.setObjective(stage.objective)
        assert budget_s is not None
        model.set_start(k, self.production, budget_s, self.backend, keep=not is_goal)

    def solve_pulp(self, prob: Any, backend: str, **options: Any) -> Any:
        return solve_pulp(prob, backend, **options)  # this module's (a test may replace it)

    def keep(self) -> None:
        self.production = self.model.production_values()


def solve_plan(
    data: PlanData,
    *,
    backend: str = DEFAULT_MILP_BACKEND,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    with_target: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> PlanSolution:
    """Solve the plan priority by priority; the time limit is shared over the stages left.

    Stage k minimises service(k) + levelling(priorities ≤ k) and then fixes service(k) (R9);
    the stages run on :func:`pks_opt.stages.run_stages`. A stage that ends without a solution
    keeps the previous stage's plan (status FEASIBLE and a note); when the first stage finds
    none, there is no plan (status from the solver).
    """
    model = PlanModel(data, with_target=with_target)
    # first what was agreed, priority by priority (goals, or need when there is no goal), then
    # service (queue terms) with levelling, priority by priority; a stage holds its goal or
    # service term (R9), not the levelling
    stages: list[Stage] = []
    for k in data.priorities:
        goal = model.goal(k)
        stages.append(Stage(goal_stage_name(k), goal, goal, info=(k, True)))
    for k in data.priorities:
        service = model.service(k)
        stages.append(Stage(stage_name(k), service + model.levelling(k), service, info=(k, False)))
    start = time.perf_counter()
    adapter = _PlanStages(model, backend, max_nodes)
    tol = data.parameters.stage_tolerance
    done = run_stages(
        stages,
        adapter,
        TimeSplit(time_limit_s, MIN_STAGE_S),
        lambda value, proven: stage_slack(value, proven, tol),
    )
    notes = _notes(done, stages, max_nodes)
    if adapter.production is None:
        return PlanSolution(
            done.status,
            {},
            done.reports,
            done.held,
            done.slack,
            time.perf_counter() - start,
            done.solver or backend,
            with_target,
            notes,
        )
    return PlanSolution(
        done.status,
        adapter.production,
        done.reports,
        done.held,
        done.slack,
        time.perf_counter() - start,
        done.solver or backend,
        with_target,
        notes,
    )


def _notes(done: StagesRun, stages: list[Stage], max_nodes: int | None) -> list[str]:
    """Why a stage is not proven, and where the stages ended early."""
    notes: list[str] = []
    names = [s.name for s in stages]
    for i, rep in enumerate(done.reports):
        if not rep.status.has_solution:
            if i == 0:
                notes.append(f"stage '{rep.name}' ended {rep.status.value}: no plan")
            else:
                notes.append(
                    f"stage '{rep.name}' ended {rep.status.value}; the plan is the one of stage "
                    f"'{names[i - 1]}' (later stages not optimised)"
                )
        elif rep.status is not SolveStatus.OPTIMAL:
            left = done.budgets.get(rep.name) or math.inf
            why = (
                "its time limit (a rerun on a busier machine may give another plan)"
                if rep.runtime_s >= 0.95 * left
                else f"the node limit ({max_nodes} nodes; the same plan on every run)"
            )
            notes.append(f"stage '{rep.name}' not proven optimal: stopped at {why}")
    if done.stopped == "signal":
        last = done.reports[-1].name
        notes.append(f"stopped by a signal after stage '{last}' (later stages not optimised)")
    return notes

"""The three planning rounds of the seeds (004: "tre omgångar … formell 'handskakning'").

1. **Round 1, the preliminary mission**: need with today's resources (``round1/need``) and the
   balance (``round1/balance``): goals per unit, object and period.
2. **Round 2, the handshake**: every unit of the cycle makes its production plan from the
   balance (``pks plan --from-balance``, only the plan with the reduction goal). A unit whose
   plan meets every goal within the tolerance **accepts**; the others raise feedback
   (``feedback.csv``). The balance is redone with all feedback so far
   (``pks balance --feedback``) and the plans made again, until every unit accepts or
   ``max_handshakes`` is reached; what is still raised then is an **open disagreement**,
   named per unit, object and period.
3. **Round 3, dimensioning** for the agreed mission: staff (FTE per function) and beds per
   unit and period for the load the last balance agreed.

Each step writes its level's usual result folder under ``work`` as it goes (the plans read
the balance's folder exactly as ``pks plan --from-balance`` does); the command writes into a
temporary folder and moves it into place at the end, so the output is all or nothing.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt import interrupt
from pks_opt.capacity_need.calc import round_by
from pks_opt.capacity_need.data import per_period
from pks_opt.cycle.spec import CycleSpec
from pks_opt.feedback import Feedback
from pks_opt.production_plan.agreement import is_request
from pks_opt.report.output import write_result
from pks_opt.result import Result, SolveStatus

Echo = Callable[[str], None]

ACCEPTED = "accepted"
FEEDBACK = "feedback raised"
OPEN = "open disagreement"
NO_PLAN = "no plan"
CHANGE_EPS = 0.5  # activities: a goal change smaller than this is rounding
_ROUND_COLUMNS = [
    "from",
    "to",
    "unit",
    "planning_object",
    "period",
    "goal_before",
    "goal_after",
    "change",
    "why",
]


@dataclass
class Handshake:
    """One pass of round 2: the balance the plans were made from, and each unit's answer."""

    number: int
    balance_dir: Path
    balance: Result
    plans: dict[str, Result] = field(default_factory=dict)
    feedback: dict[str, list[Feedback]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)


@dataclass
class Clock:
    """The cycle's wall-clock limit (``pks cycle --time-limit``) shared over its solves.

    ``limit_s`` None: no limit, every solve runs on its own options. Otherwise a solve gets
    the time left divided by the solves still to come in this handshake and one more
    handshake's worth (a second handshake is the usual case), never more than its own option.
    """

    limit_s: float | None = None
    start: float = field(default_factory=time.perf_counter)

    def left(self) -> float:
        """Seconds left for solving (infinite without a limit).

        ``SOLVE_SHARE`` of the limit: the rest is for round 3, the charts and writing.
        """
        if self.limit_s is None:
            return math.inf
        return SOLVE_SHARE * self.limit_s - (time.perf_counter() - self.start)

    def share(self, solves_left: int, own: float | None) -> float | None:
        """Seconds for the next solve, ``solves_left`` still to come (this one included)."""
        if self.limit_s is None:
            return own
        give = max(MIN_SOLVE_S, self.left() / max(1, solves_left))
        return give if own is None else min(own, give)

    def out(self) -> bool:
        """Tell whether the limit has passed (no handshake is started after it)."""
        return self.left() < MIN_SOLVE_S


MIN_SOLVE_S = 1.0
"""The shortest time a solve of a time-limited cycle is given."""
SOLVE_SHARE = 0.85
"""Share of a cycle's time limit for its solves (the rest: round 3, charts, writing)."""


@dataclass
class CycleOutcome:
    """What one planning cycle produced: need, handshakes, dimensioning and its envelope."""

    spec: CycleSpec
    need: Result
    handshakes: list[Handshake]
    dimensioning: Result
    result: Result  # the cycle's own envelope (tables: rounds, handshake, …)


def run_cycle(
    spec: CycleSpec,
    work: Path,
    *,
    solver: str = "highs",
    echo: Echo = lambda _: None,
    time_limit_s: float | None = None,
) -> CycleOutcome:
    """Run the three rounds, writing every level's result under ``work``.

    ``time_limit_s``: wall-clock seconds for the whole cycle (:class:`Clock`); a handshake
    is not started once they are used, and what is still raised is an open disagreement.
    """
    from pks_opt.balancing import balance
    from pks_opt.balancing.feedback import apply_feedback
    from pks_opt.capacity_need import compute_need

    work = Path(work)
    clock = Clock(time_limit_s)
    units = len(spec.plans)
    need = compute_need(spec.need)
    write_result(need, work / "round1" / "need")
    echo(f"round 1: need with today's resources: {need.status.value}")
    if interrupt.requested():
        return _interrupted(spec, work, need, None, [], "round 1, before the balance")
    first = _marked(balance(spec.balancing, solver, time_limit_s=clock.share(2 * units + 2, None)))
    write_result(first, work / "round1" / "balance")
    echo(f"round 1: preliminary mission (balance): {first.status.value}")
    handshakes: list[Handshake] = []
    raised: list[Feedback] = []
    current, current_dir = first, work / "round1" / "balance"
    timed_out = False
    for k in range(1, spec.max_handshakes + 1):
        if k > 1:
            if clock.out():
                timed_out = True
                break
            data, notes = apply_feedback(spec.balancing, raised)
            more = units + 1 if k < spec.max_handshakes else 0
            limit = clock.share(units + 1 + more, None)
            current = _marked(balance(data, solver, time_limit_s=limit))
            current.explanation[:0] = [f"feedback: {n}" for n in notes]
            current_dir = work / "round2" / f"handshake-{k}" / "balance"
            write_result(current, current_dir)
            echo(f"round 2, handshake {k}: balance redone with {len(raised)} feedback row(s)")
        hs = Handshake(k, current_dir, current)
        handshakes.append(hs)
        if interrupt.requested():
            at = "round 1, the balance" if k == 1 else f"round 2, handshake {k}: the balance"
            return _interrupted(spec, work, need, first, handshakes, at)
        if not current.status.has_solution:
            for unit in spec.plans:
                hs.status[unit] = NO_PLAN
            echo(f"round 2, handshake {k}: the balance found no plan; stopping")
            break
        more = units + 1 if k < spec.max_handshakes else 0
        stopped = _handshake_plans(spec, work, hs, current_dir, echo, clock, more)
        if stopped is not None:
            return _interrupted(spec, work, need, first, handshakes, stopped)
        if all(s == ACCEPTED for s in hs.status.values()):
            break
        raised += [f for rows in hs.feedback.values() for f in rows]
    after = k - 1 if timed_out else None
    return _round_three(spec, work, need, first, handshakes, echo, after, time_limit_s)


def _round_three(
    spec: CycleSpec,
    work: Path,
    need: Result,
    first: Result,
    handshakes: list[Handshake],
    echo: Echo,
    timed_out_after: int | None,
    time_limit_s: float | None,
) -> CycleOutcome:
    """Close round 2 (what is still raised is open) and dimension the agreed mission.

    ``timed_out_after``: the handshake after which the time limit stopped round 2 (None: it
    did not).
    """
    last = handshakes[-1]
    for unit, s in last.status.items():
        if s == FEEDBACK:
            last.status[unit] = OPEN
    if timed_out_after is not None:
        echo(
            f"round 2: the time limit was reached after handshake {timed_out_after} "
            f"({time_limit_s:.0f} s from the start of the cycle's rounds)"
        )
    agreed = (
        next(hs for hs in reversed(handshakes) if hs.balance.status.has_solution)
        if any(hs.balance.status.has_solution for hs in handshakes)
        else last
    )
    dim = dimensioning(spec, agreed.balance, agreed.plans, need)
    write_result(dim, work / "round3" / "dimensioning")
    echo("round 3: staff and beds for the agreed mission")
    result = cycle_result(spec, need, first, handshakes, dim)
    if timed_out_after is not None:
        result.explanation.insert(
            0,
            f"the time limit was reached after handshake {timed_out_after}: no further "
            "handshake was started, and what the units still raised is left open",
        )
        result.kpis["time_limit_reached"] = True
    return CycleOutcome(spec, need, handshakes, dim, result)


def _handshake_plans(
    spec: CycleSpec,
    work: Path,
    hs: Handshake,
    balance_dir: Path,
    echo: Echo,
    clock: Clock,
    more: int,
) -> str | None:
    """Let each unit plan from the balance of handshake ``hs``, and accept it or raise feedback.

    ``more``: solves after this handshake's plans that the clock keeps time for. Returns the
    step a signal interrupted (None when every unit planned).
    """
    k = hs.number
    for i, unit in enumerate(spec.plans):
        own = spec.plan_options.time_limit
        res = _marked(_plan(spec, unit, balance_dir, clock.share(len(spec.plans) - i + more, own)))
        write_result(res, work / "round2" / f"handshake-{k}" / f"plan-{unit}")
        hs.plans[unit] = res
        rows = _feedback_of(res, unit)
        hs.feedback[unit] = rows
        asks = [f for f in rows if is_request(f)]
        if res.status is SolveStatus.INTERRUPTED:
            hs.status[unit] = PLAN_INTERRUPTED
        elif not res.status.has_solution:
            hs.status[unit] = NO_PLAN
        else:
            hs.status[unit] = ACCEPTED if not rows else FEEDBACK
        answer = (
            "accepts"
            if not rows and res.status.has_solution
            else f"raises {len(asks)} request(s) for a new agreement"
        )
        echo(f"round 2, handshake {k}: {unit} {answer}")
        if interrupt.requested():
            return f"round 2, handshake {k}: {unit}'s plan"
    return None


NOT_RUN = "not run (interrupted)"
PLAN_INTERRUPTED = "plan interrupted"


def _marked(res: Result) -> Result:
    """Mark a step's result INTERRUPTED when a signal arrived while it ran."""
    signame = interrupt.requested()
    return res if signame is None else res.interrupted(signame, interrupt.seconds_since_start())


def _interrupted(
    spec: CycleSpec,
    work: Path,
    need: Result,
    first: Result | None,
    handshakes: list[Handshake],
    at: str,
) -> CycleOutcome:
    """Stop the cycle after a signal (SIGINT/SIGTERM) during step ``at``.

    No later step runs, round 3 is not run; the cycle's envelope (status INTERRUPTED) holds the
    handshakes so far, and the folders of the steps done (the interrupted step's own marked
    INTERRUPTED) stay.
    """
    signame = interrupt.requested() or "SIGINT"
    done = sorted(str(p.parent.relative_to(work)) for p in work.glob("round*/**/result.json"))
    not_run = Result("dimensioning", SolveStatus.NO_SOLUTION_IN_TIME, spec.name, "")
    if first is None:
        base = Result(
            "cycle",
            SolveStatus.NO_SOLUTION_IN_TIME,
            spec.name,
            "",
            runtime_s=need.runtime_s,
            tables={
                "rounds": pd.DataFrame(columns=_ROUND_COLUMNS),
                "handshake": pd.DataFrame(),
            },
        )
    else:
        for hs in handshakes:
            for unit in spec.plans:
                hs.status.setdefault(unit, NOT_RUN)
        base = cycle_result(spec, need, first, handshakes, not_run, stopped=True)
    after = interrupt.seconds_since_start()
    res = base.interrupted(signame, after)
    res.explanation[0:1] = [
        f"interrupted by {signame} after {after:.1f} s: the cycle stopped at {at}; "
        "round 3 was not run",
        "written: " + (", ".join(f"{d}/" for d in done) or "nothing"),
    ]
    res.kpis["interrupted_during"] = at
    res.extra["interrupted"] = {"signal": signame, "stopped_during": at, "after_s": round(after, 2)}
    return CycleOutcome(spec, need, handshakes, not_run, res)


def _plan(
    spec: CycleSpec, unit: str, balance_dir: Path, time_limit_s: float | None = None
) -> Result:
    """Plan the unit's production from the balance in ``balance_dir`` (as ``pks plan``).

    ``time_limit_s``: the plan's seconds (default: the cycle's ``plan.time_limit``).
    """
    from pks_opt.production_plan.balance_link import apply_balance_handover, read_balance_handover
    from pks_opt.production_plan.milp import solve_plan
    from pks_opt.production_plan.solution import plan_result

    opts = spec.plan_options
    data = spec.plans[unit].with_goal_tolerance(opts.goal_tolerance)
    ho = read_balance_handover(balance_dir, unit, spec.year)
    data, warnings, tables = apply_balance_handover(data, ho)
    limit = opts.time_limit if time_limit_s is None else time_limit_s
    sol = solve_plan(data, time_limit_s=limit, max_nodes=opts.max_nodes)
    return plan_result(
        data,
        sol,
        None,
        warnings=warnings,
        goal_link=(
            f"unit {unit} from {balance_dir.name}: goals per period ({', '.join(ho.periods)})"
        ),
        handover=tables,
    )


def _feedback_of(res: Result, unit: str) -> list[Feedback]:
    df = res.tables.get("feedback")
    if df is None or df.empty:
        return []
    return [
        Feedback(
            str(r["level"]),
            str(r["unit"]),
            str(r["object"] or ""),
            str(r["resource"] or ""),
            str(r["period"]),
            float(r["agreed"]),
            float(r["achievable"]),
            str(r["cause"]),
        )
        for r in df.to_dict("records")
    ]


# --------------------------------------------------------------------------- round 3


def dimensioning(
    spec: CycleSpec,
    agreed: Result,
    plans: dict[str, Result] | None = None,
    need_result: Result | None = None,
) -> Result:
    """Staff (FTE per function) and beds per unit and period for the agreed mission's load.

    The load the balance agreed on (``utilisation.load_after``: production of the unit's own
    and other units' need, support-unit load included) of each staff resource is split over
    the unit's functions supplying it, pro rata to their available hours, and divided by the
    hours one FTE gives in the period (annual hours × days ÷ days per year × (1 − absence) ×
    patient-time share × low-production factor), as the need level does for today's need.
    A bed resource (measure ``bed-days``, or a unit's ``beds`` row) needs load ÷ (days ×
    low-production factor) beds. FTE and beds are rounded up: the mission must fit.

    For a unit of the cycle the load is the larger of the balance's and the hours its accepted
    plan uses (``free_capacity.used_hours`` per balance resource): the plan may count more hours
    per activity than the region (``basis`` says which).

    Acute planning objects (``planning_objects.acute``) are dimensioned to the 85 % rule's
    level instead of their average (:func:`acute_dimensioning`): staff for the level c of
    arrivals a day on every day, beds for the occupied beds of ``acute_share`` of the days;
    such rows are marked ``acute``, as are units with round 1's ``acute_dimensioning`` rows.
    """
    if not agreed.status.has_solution:
        return Result(
            "dimensioning",
            agreed.status,
            spec.name,
            agreed.solver,
            explanation=["no agreed balance: nothing to dimension"],
        )
    load, basis = _agreed_load(agreed, plans or {})
    acute_units: set[str] = set()
    if need_result is not None and "acute_dimensioning" in need_result.tables:
        acute = need_result.tables["acute_dimensioning"]
        acute_units = {str(u) for u in acute["unit"]} if "unit" in acute else set()
    ac = acute_dimensioning(spec, agreed)
    staff = pd.DataFrame(_staff_rows(spec, load, basis, acute_units, ac))
    beds = pd.DataFrame(_bed_rows(spec, load, acute_units, ac))
    return Result(
        "dimensioning",
        SolveStatus.COMPUTED,  # a calculation, as the need level: no objective
        spec.name,
        "closed-form",
        kpis={
            "fte_first_period": _first_period_sum(staff, "fte"),
            "beds_first_period": _first_period_sum(beds, "beds"),
        },
        tables={"staff": staff, "beds": beds},
        explanation=ac.lines + _dimensioning_lines(staff, acute_units),
    )


@dataclass
class AcuteDimensioning:
    """Round 3's acute part: what the 85 % rule adds to the balance's average load."""

    #: (unit, resource, period) → hours (or bed-days) for the level c of arrivals a day on
    #: every day, above what the balance produced of the acute need
    extra: dict[Key, float] = field(default_factory=dict)
    #: (unit, bed resource, period) → (bed-days of acute need in the balance's load, occupied
    #: beds the 85 % rule asks: the ``acute_share`` quantile of Poisson(mean occupied beds))
    beds: dict[Key, tuple[float, float]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def acute_dimensioning(spec: CycleSpec, agreed: Result) -> AcuteDimensioning:
    """Dimension each acute planning object's home unit by the 85 % rule (R16's level).

    Per acute (home unit h, object o, period p) with need n⁰ the home unit keeps (the need
    level's, less what the balance gave other units or bought): arrivals a day are Poisson
    with mean λ = n⁰ ÷ days, the level c is the smallest count with P(X ≤ c) ≥
    ``acute_share`` (:func:`pks_opt.balancing.data.acute_split`). Staff resources get capacity
    for c arrivals on every day: (c × days − what the balance produced at home, ``own_need``)
    × the object's use of the resource is added to the load. Beds follow the stay, not the
    arrival day: with Poisson arrivals the occupied beds of a day are Poisson with mean λ ×
    bed-days per arrival (any length of stay), and the beds cover ``acute_share`` of the days
    at its quantile, in place of the balance's average for that need.
    """
    from pks_opt.balancing.data import acute_split

    data = spec.balancing
    fig = data.figures
    beds_res = {(str(b.unit), b.resource) for b in spec.need.beds}
    goals = agreed.tables.get("production_goals")
    rows = (
        {}
        if goals is None
        else {(r["unit"], r["planning_object"], r["period"]): r for r in goals.to_dict("records")}
    )
    out = AcuteDimensioning()
    mean_beds: dict[Key, float] = defaultdict(float)
    bal_beds: dict[Key, float] = defaultdict(float)
    for (h, o, p), n0 in sorted(fig.production_need.items()):
        days = fig.period_days.get(p, 0.0)
        if o not in fig.acute or n0 <= 0 or days <= 0:
            continue
        r = rows.get((h, o, p), {})
        own = float(r.get("own_need", 0.0))
        home = max(0.0, n0 - float(r.get("by_other_units", 0.0)) - float(r.get("purchased", 0.0)))
        level = acute_split(home, days, fig.acute_share)[0]
        more = max(0.0, level * days - own)
        for us in data.usage.get((h, o), ()):
            key = (us.at_unit, us.resource, p)
            if (us.at_unit, us.resource) in beds_res:
                mean_beds[key] += home / days * us.amount
                bal_beds[key] += own * us.amount
            else:
                out.extra[key] = out.extra.get(key, 0.0) + more * us.amount
        if p == fig.periods[0]:
            out.lines.append(
                f"acute {o} at {h}: {home / days:.1f} arrivals a day in {p}, dimensioned for "
                f"{level:.0f} a day ({fig.acute_share:.0%} of the days), {more:.0f} activities "
                "above what the balance produced"
            )
    for key, m in mean_beds.items():
        days = fig.period_days[key[2]]
        out.beds[key] = (bal_beds[key], acute_split(m * days, days, fig.acute_share)[0])
    return out


Key = tuple[str, str, str]  # (unit, resource, period)


def _agreed_load(
    agreed: Result, plans: dict[str, Result]
) -> tuple[dict[Key, float], dict[Key, str]]:
    """Give the balance's load per (unit, resource, period), raised to an accepted plan's hours.

    Where the plan uses more; ``basis`` marks those keys ``plan``.
    """
    util = agreed.tables["utilisation"]
    load = {
        (r["unit"], r["resource"], r["period"]): float(r["load_after"])
        for r in util.to_dict("records")
    }
    plan_used: dict[Key, float] = defaultdict(float)
    for punit, pres in plans.items():
        free = pres.tables.get("free_capacity")
        if free is None or free.empty:
            continue
        for r in free.to_dict("records"):
            if r["balance_resource"]:
                key = (punit, str(r["balance_resource"]), str(r["period"]))
                plan_used[key] += float(r["used_hours"])
    basis: dict[Key, str] = {}
    for key, used in plan_used.items():
        if used > load.get(key, 0.0):
            load[key] = used
            basis[key] = "plan"
    return load, basis


def _staff_rows(
    spec: CycleSpec,
    load: dict[Key, float],
    basis: dict[Key, str],
    acute_units: set[str],
    ac: AcuteDimensioning,
) -> list[dict[str, Any]]:
    """Work out FTE per unit, function and period.

    The load (with the acute level's extra, :func:`acute_dimensioning`) split over the
    functions pro rata to their hours, divided by the hours one FTE gives in the period,
    rounded by the planner's rule.
    """
    nd = spec.need
    periods = {p.period: p for p in nd.periods}
    per_year = nd.parameters.days_per_year
    groups: dict[Key, list[tuple[str, float, float]]] = defaultdict(list)
    for ((unit, function), p), s in per_period(
        nd.staff, lambda s: (s.unit, s.function), list(periods)
    ).items():
        per = periods[p]
        per_fte = (
            s.annual_hours
            * per.days
            / per_year
            * (1 - s.absence_share)
            * s.patient_time_share
            * per.low_production_factor
        )
        groups[(str(unit), s.resource, p)].append((str(function), s.fte, per_fte))
    rows: list[dict[str, Any]] = []
    for (unit, res, p), funcs in sorted(groups.items()):
        extra = ac.extra.get((unit, res, p), 0.0)
        need = load.get((unit, res, p), 0.0) + extra
        total = sum(fte * per for _, fte, per in funcs)
        for function, fte, per_fte in funcs:
            share = fte * per_fte / total if total > 0 else 1 / len(funcs)
            exact = need * share / per_fte if per_fte > 0 else math.inf
            # the planner's rounding rule (parameters.staff_rounding, as the need level)
            planned = (
                round_by(exact, nd.parameters.staff_rounding) if math.isfinite(exact) else exact
            )
            rows.append(
                {
                    "unit": unit,
                    "period": p,
                    "function": function,
                    "resource": res,
                    "agreed_load": round(need * share, 1),
                    "hours_per_fte": round(per_fte, 1),
                    "fte_exact": round(exact, 2),
                    "fte": planned,
                    "fte_today": fte,
                    "change": round(planned - fte, 2),
                    "basis": basis.get((unit, res, p), "balance"),
                    "acute_extra_load": round(extra * share, 1),
                    "acute": unit in acute_units or extra > 0,
                }
            )
    return rows


def _bed_rows(
    spec: CycleSpec, load: dict[Key, float], acute_units: set[str], ac: AcuteDimensioning
) -> list[dict[str, Any]]:
    """Beds per unit and period, rounded by the planner's rule.

    Elective bed-days ÷ (days × low-production factor), plus the acute need's occupied beds
    at the 85 % rule's quantile (:func:`acute_dimensioning`).
    """
    nd = spec.need
    periods = {p.period: p for p in nd.periods}
    rows: list[dict[str, Any]] = []
    for ((bunit, bres), p), b in sorted(
        per_period(nd.beds, lambda b: (b.unit, b.resource), list(periods)).items(),
        key=lambda kv: (str(kv[0][0]), kv[0][1]),
    ):
        unit, res = str(bunit), str(bres)
        per = periods[p]
        days = per.days * per.low_production_factor
        need = load.get((unit, res, p), 0.0)
        acute_bal, acute_beds = ac.beds.get((unit, res, p), (0.0, 0.0))
        exact = max(0.0, need - acute_bal) / days + acute_beds if days > 0 else math.inf
        n_beds = round_by(exact, nd.parameters.bed_rounding) if math.isfinite(exact) else exact
        rows.append(
            {
                "unit": unit,
                "period": p,
                "resource": res,
                "agreed_bed_days": round(need, 1),
                "beds_exact": round(exact, 2),
                "beds": n_beds,
                "beds_today": b.staffed_beds,
                "change": round(n_beds - b.staffed_beds, 2),
                "acute_beds": acute_beds,
                "acute": unit in acute_units or acute_beds > 0,
            }
        )
    return rows


def _first_period_sum(df: pd.DataFrame, column: str) -> float:
    if df.empty:
        return 0.0
    return float(df[df["period"] == df["period"].iloc[0]][column].sum())


def _dimensioning_lines(staff: pd.DataFrame, acute_units: set[str]) -> list[str]:
    lines = []
    if acute_units:
        lines.append(
            f"units with acute arrivals ({', '.join(sorted(acute_units))}): round 1's "
            "acute_dimensioning.csv gives the arrivals per time block to cover on the agreed "
            "share of days (85 % rule; pks roster --from-need makes them tier-1 staff)"
        )
    if not staff.empty:
        first = staff["period"].iloc[0]
        for r in staff[staff["period"] == first].to_dict("records"):
            if r["change"] > 0:
                lines.append(
                    f"{r['unit']} {r['function']}: {r['fte']:.0f} FTE for the agreed mission in "
                    f"{first}, {r['fte_today']:g} today (+{r['change']:g})"
                )
    return lines


# --------------------------------------------------------------------------- the cycle's result


def _goals(res: Result, units: list[str] | None = None) -> dict[tuple[str, str, str], float]:
    df = res.tables.get("production_goals")
    if df is None:
        return {}
    return {
        (r["unit"], r["planning_object"], r["period"]): float(r["goal"])
        for r in df.to_dict("records")
        if units is None or r["unit"] in units
    }


def cycle_result(
    spec: CycleSpec,
    need: Result,
    first: Result,
    handshakes: list[Handshake],
    dim: Result,
    *,
    stopped: bool = False,
) -> Result:
    """Build the cycle's envelope: round-by-round goal changes, handshake per unit, status.

    ``stopped``: the cycle was interrupted (round 3 not run; no failed-balance note).
    """
    diff_rows = _goal_changes(first, handshakes)
    hs_rows = [row for hs in handshakes for row in _handshake_rows(spec, hs)]
    last = handshakes[-1]
    # interrupted: only what the handshake left open, not the units stopped or not reached
    open_units = sorted(
        u for u, s in last.status.items() if (s == OPEN if stopped else s != ACCEPTED)
    )
    failed = [hs for hs in handshakes if not hs.balance.status.has_solution]
    lines = _cycle_lines(spec, handshakes, open_units)
    if failed and not stopped:
        lines.insert(
            0,
            f"handshake {failed[0].number}: the balance with the units' feedback found no plan "
            f"({failed[0].balance.status.value}); round 3 dimensions the last agreed balance",
        )
    lines += dim.explanation[:6]
    return Result(
        "cycle",
        _cycle_status(need, first, dim, handshakes),
        spec.name,
        first.solver,
        runtime_s=sum(
            r.runtime_s
            for r in [need, first, dim, *(hs.balance for hs in handshakes[1:])]
            + [p for hs in handshakes for p in hs.plans.values()]
        ),
        kpis={
            "handshakes": len(handshakes),
            "units": len(spec.plans),
            "units_accepted": sum(1 for s in last.status.values() if s == ACCEPTED),
            "open_disagreements": len(open_units),
            "goal_changes": len(diff_rows),
            "requests_raised": sum(
                1 for hs in handshakes for r in hs.feedback.values() for f in r if is_request(f)
            ),
        },
        tables={
            "rounds": pd.DataFrame(diff_rows, columns=_ROUND_COLUMNS),
            "handshake": pd.DataFrame(hs_rows),
        },
        explanation=lines,
        extra={"open_units": open_units},
    )


def _cycle_status(
    need: Result, first: Result, dim: Result, handshakes: list[Handshake]
) -> SolveStatus:
    """Combine the steps' statuses into the cycle's.

    Need or the first balance without a solution, else the first failed balance, else optimal
    only when every step is.
    """
    failed = [hs for hs in handshakes if not hs.balance.status.has_solution]
    statuses = [need.status, first.status, dim.status]
    statuses += [hs.balance.status for hs in handshakes]
    statuses += [p.status for hs in handshakes for p in hs.plans.values()]
    if any(not s.has_solution for s in statuses[:2]):
        return first.status if not first.status.has_solution else need.status
    if failed:
        return failed[0].balance.status
    if all(s in (SolveStatus.OPTIMAL, SolveStatus.COMPUTED) for s in statuses):
        return (
            SolveStatus.OPTIMAL
        )  # a calculation (the need, the dimensioning) is as good as proven
    return SolveStatus.FEASIBLE


def _goal_changes(first: Result, handshakes: list[Handshake]) -> list[dict[str, Any]]:
    """List the goals that changed from one balance to the next, each with its feedback."""
    diff_rows: list[dict[str, Any]] = []
    prev = _goals(first)
    prev_name = "round 1"
    for before_hs, hs in zip(handshakes, handshakes[1:], strict=False):
        if not hs.balance.status.has_solution:
            break  # no goals to compare: the cycle failed there (status and explanation)
        # the feedback of the handshake before explains the changes into this one
        raised = {
            (f.unit, f.object, f.period): f
            for rows in before_hs.feedback.values()
            for f in rows
            if f.object
        }
        now = _goals(hs.balance)
        name = f"round 2, handshake {hs.number}"
        for key in sorted(set(prev) | set(now)):
            before, after = prev.get(key, 0.0), now.get(key, 0.0)
            if abs(after - before) <= CHANGE_EPS:
                continue
            diff_rows.append(
                {
                    "from": prev_name,
                    "to": name,
                    "unit": key[0],
                    "planning_object": key[1],
                    "period": key[2],
                    "goal_before": round(before, 1),
                    "goal_after": round(after, 1),
                    "change": round(after - before, 1),
                    "why": _why(raised.get(key)),
                }
            )
        prev, prev_name = now, name
    return diff_rows


def _why(fb: Feedback | None) -> str:
    if fb is None:
        return "re-balanced around the feedback"
    if is_request(fb):
        return f"{fb.unit}'s plan: {fb.achievable:.0f} achievable of {fb.agreed:.0f} ({fb.cause})"
    return (
        f"{fb.unit}'s plan delivers {fb.achievable:.0f} of {fb.agreed:.0f} "
        "(confirmed with its requests: not more)"
    )


def _handshake_rows(spec: CycleSpec, hs: Handshake) -> list[dict[str, Any]]:
    """One row per unit of a handshake: its answer, agreed against achievable."""
    goals = _goals(hs.balance)
    rows: list[dict[str, Any]] = []
    for unit in spec.plans:
        res = hs.plans.get(unit)
        agreed = sum(v for (u, _o, p), v in goals.items() if u == unit and _in_year(p, spec, goals))
        achievable = (
            float(res.tables["goals"]["planned"].sum())
            if res is not None and "goals" in res.tables and not res.tables["goals"].empty
            else None
        )
        rows.append(
            {
                "handshake": hs.number,
                "unit": unit,
                "status": hs.status.get(unit, NO_PLAN),
                "agreed": round(agreed, 1),
                "achievable": achievable,
                "gap": round(achievable - agreed, 1) if achievable is not None else None,
                "requests": sum(1 for f in hs.feedback.get(unit, []) if is_request(f)),
                "balance": str(hs.balance_dir.relative_to(hs.balance_dir.parents[2]))
                if hs.number > 1
                else "round1/balance",
            }
        )
    return rows


def _cycle_lines(spec: CycleSpec, handshakes: list[Handshake], open_units: list[str]) -> list[str]:
    """Explain the cycle's outcome in lines.

    The last handshake's answers, its open requests, the redone balances, the goals beyond the
    plan year.
    """
    last = handshakes[-1]
    lines = [f"handshake {last.number}: " + ", ".join(f"{u} {s}" for u, s in last.status.items())]
    for u in open_units:
        for f in [f for f in last.feedback.get(u, []) if is_request(f)][:5]:
            lines.append(
                f"open: {u} {f.object} {f.period} agreed {f.agreed:.0f}, achievable "
                f"{f.achievable:.0f}: {f.cause}"
            )
    for hs in handshakes[:-1]:
        for u, rows in hs.feedback.items():
            asks = [f for f in rows if is_request(f)]
            if asks:
                lines.append(
                    f"handshake {hs.number}: {u} raised {len(asks)} request(s); "
                    "the balance was redone"
                )
    lines += _beyond_the_year(spec, last)
    return lines


def _beyond_the_year(spec: CycleSpec, last: Handshake) -> list[str]:
    """Find goals after the plan year that the last balance raised above need at a cycle unit.

    The handshake agrees the plan year only, and what a unit could not do may have been carried
    into a later year it has not planned yet.
    """
    df = last.balance.tables.get("production_goals")
    if df is None or df.empty:
        return []
    goals = _goals(last.balance)
    rows = [
        r
        for r in df.to_dict("records")
        if r["unit"] in spec.plans
        and not _in_year(str(r["period"]), spec, goals)
        and float(r["goal"]) > float(r["need"]) * 1.5 + 1
    ]
    if not rows:
        return []
    shown = ", ".join(
        f"{r['unit']} {r['planning_object']} {r['period']} {float(r['goal']):.0f} (need "
        f"{float(r['need']):.0f})"
        for r in rows[:4]
    )
    more = f" and {len(rows) - 4} more" if len(rows) > 4 else ""
    return [
        "the handshake agrees the plan year only; after it the balance puts goals well above "
        f"need on units of the cycle, not yet checked by their plans: {shown}{more}"
    ]


def _in_year(period: str, spec: CycleSpec, goals: dict[tuple[str, str, str], float]) -> bool:
    if spec.year is not None:
        return period.startswith(spec.year)
    periods = list(dict.fromkeys(p for _u, _o, p in goals))
    return period in periods[:4]

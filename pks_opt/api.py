"""The Python API: every planning level as a function from an instance to a Result.

Each takes an instance and options and gives a :class:`~pks_opt.result.Result`, reading like
the command line.

>>> import pks_opt as pks
>>> inst = pks.read("instances/region-small")            # doctest: +SKIP
>>> res = pks.balance(inst, solver="highs", time_limit=60)  # doctest: +SKIP
>>> res.tables["actions"].head()                          # doctest: +SKIP
>>> res.write("out/balance")                              # doctest: +SKIP
>>> pks.load_result("out/balance").objective              # doctest: +SKIP

An *instance* argument is a path (folder, ``.xlsx``, a Curtois ``.txt`` for :func:`roster`) or
an :class:`Instance` from :func:`read` (read once, solved many times). Result folders of an
earlier level (``from_balance``, ``from_plan``, ``from_matrix``…) are paths. Bad input raises
:class:`~pks_opt.errors.InputError` naming file, row and field; nothing is printed and no
global state is changed (a command adds the printing, the exit codes and signal handling).

The commands in :mod:`pks_opt.commands` are thin shells over these functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from pks_opt import interrupt
from pks_opt.constants import DEFAULT_TIME_LIMIT_S, PLAN_RUN_TIME_LIMIT_S
from pks_opt.errors import InputError, InputWarning
from pks_opt.io import RawInstance, read_raw
from pks_opt.result import Result, SolveStatus, StageReport

PathLike = str | Path
F = TypeVar("F", bound=Callable[..., Result])


def _keeps_warnings(fn: F) -> F:
    """Keep input warnings of reading and solving in ``Result.warnings``.

    So they reach ``result.json`` and the summary's first lines; with an error they are warned
    again for the caller.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Result:
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as recorded:
                warnings.simplefilter("always", InputWarning)
                try:
                    result = fn(*args, **kwargs)
                finally:
                    caught = list(recorded)
        except BaseException:
            _warn_again(caught)
            raise
        _warn_again([w for w in caught if not issubclass(w.category, InputWarning)])
        found = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
        result.warnings[:0] = [m for m in dict.fromkeys(found) if m not in result.warnings]
        return result

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Instance:
    """An instance as read: its path, ``kind`` and raw tables.

    ``raw`` is None for a Curtois benchmark file, which :func:`roster` reads itself.
    """

    path: Path
    kind: str | None
    raw: RawInstance | None

    @property
    def name(self) -> str:
        """The instance's name: the manifest's ``name``, else the file or folder name."""
        return self.raw.name if self.raw is not None else self.path.stem


def _warn_again(caught: Sequence[warnings.WarningMessage]) -> None:
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def read(path: PathLike) -> Instance:
    """Read an instance folder, ``.xlsx`` workbook or Curtois benchmark file (no solving).

    Raises
    ------
    InputError
        The path does not exist, or a file is malformed.
    """
    from pks_opt.formats.curtois import is_curtois

    p = Path(path)
    if p.is_file() and is_curtois(p):
        return Instance(p, "roster-benchmark", None)
    raw = read_raw(p)
    return Instance(p, raw.kind, raw)


def _raw(instance: Instance | PathLike, kind: str) -> RawInstance:
    inst = instance if isinstance(instance, Instance) else read(instance)
    if inst.raw is None:
        raise InputError(f"expected a '{kind}' instance, not a benchmark file", file=str(inst.path))
    if inst.kind is not None and inst.kind != kind:
        raise InputError(
            f"this is a '{inst.kind}' instance, expected '{kind}'",
            file=inst.raw.manifest_where,
            field="kind",
        )
    return inst.raw


# ------------------------------------------------------------------------------ need


@_keeps_warnings
def need(
    instance: Instance | PathLike, *, scenarios: Sequence[PathLike] = (), share: float | None = None
) -> Result:
    """Need vs available capacity per unit, resource and period (no solver).

    ``scenarios``: scenario YAML files applied in order first. ``share``: the share of days the
    acute capacity must cover (default: the instance's ``acute_share``, else 0.85).
    """
    from pks_opt.capacity_need import compute_need, need_charts, read_need
    from pks_opt.scenario import load_scenario, read_variant

    raw = _raw(instance, "strategic")
    data = read_variant(raw, [load_scenario(s) for s in scenarios], read_need)
    result = compute_need(data, acute_share=share)
    result.draw = lambda lang="en": need_charts(result, lang=lang)
    return result


# ------------------------------------------------------------------------------ balance


@_keeps_warnings
def balance(
    instance: Instance | PathLike,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    threads: int = 1,
    scenarios: Sequence[PathLike] = (),
    feedback: Sequence[PathLike] = (),
    actuals: PathLike | None = None,
    year: str | None = None,
) -> Result:
    """Balance need and capacity across units under budget (``models/balancing.md``).

    ``scenarios``: each applied to the base on its own; the result is the base with a
    ``scenario_comparison`` table and one part per scenario (:attr:`Result.parts`, written
    as sub-folders). ``feedback``: lower levels' result folders (or ``feedback.csv`` files) to
    re-balance on. ``actuals``: an actuals instance; the quarters it covers are done and the
    rest of ``year`` is re-balanced.
    """
    from pks_opt.balancing import balance as solve
    from pks_opt.balancing import read_balancing
    from pks_opt.balancing.compare import compare
    from pks_opt.balancing.feedback import apply_feedback
    from pks_opt.balancing.report import balancing_charts
    from pks_opt.feedback import read_feedback
    from pks_opt.scenario import read_variants

    raw = _raw(instance, "strategic")
    rows = [f for source in feedback for f in read_feedback(Path(source))]
    notes: list[str] = []

    def reader(r: RawInstance) -> Any:
        data, found = apply_feedback(read_balancing(r), rows)
        if not notes:
            notes.extend(found)
        return data

    variants = [("base", reader(raw)), *read_variants(raw, [Path(s) for s in scenarios], reader)]
    if actuals is not None and len(variants) > 1:
        raise InputError("actuals do not go with scenarios", field="--actuals")
    if year is not None and actuals is None:
        raise InputError("--year only goes with --actuals", field="--year")
    acts = _read_actuals(actuals) if actuals is not None else None
    if len(variants) > 1:
        with interrupt.solving():
            results = [
                (name, data, solve(data, solver, time_limit_s=time_limit, threads=threads))
                for name, data in variants
            ]
        for _name, data, res in results:
            res.draw = _balance_draw(balancing_charts, data, res)
        base = compare(results)
        base.draw = _balance_draw(balancing_charts, results[0][1], base)
        base.parts = {name: res for name, _data, res in results[1:]}
        return base
    data = variants[0][1]
    done_notes: list[str] = []
    extra_tables: dict[str, pd.DataFrame] = {}
    with interrupt.solving():  # a signal stops the stage running; the plan so far is kept
        if acts is not None:
            from pks_opt.balancing.actuals import apply_actuals
            from pks_opt.balancing.solve import balance_run

            first, first_result = balance_run(
                data, solver, time_limit_s=time_limit, threads=threads
            )
            if not first_result.status.has_solution:
                first_result.explanation.insert(
                    0, "the balance before the actuals found no plan: nothing to re-balance"
                )
                return first_result
            data, done_notes, used = apply_actuals(data, first.values, acts, year)
            extra_tables["actuals_used"] = used
        result = solve(data, solver, time_limit_s=time_limit, threads=threads)
    result.explanation[:0] = [f"feedback: {n}" for n in notes] + [
        f"actuals: {n}" for n in done_notes
    ]
    result.tables.update(extra_tables)
    result.draw = _balance_draw(balancing_charts, data, result)
    return result


def _balance_draw(charts: Any, data: Any, result: Result) -> Any:
    return lambda lang="en": charts(data, result, lang=lang)


def _read_actuals(path: PathLike) -> Any:
    from pks_opt.followup.actuals import read_actuals

    return read_actuals(Path(path))


# ------------------------------------------------------------------------------ plan


@_keeps_warnings
def plan(
    instance: Instance | PathLike,
    *,
    from_balance: PathLike | None = None,
    unit: str | None = None,
    year: str | None = None,
    goal_tolerance: float | None = None,
    actuals: PathLike | None = None,
    from_week: int | None = None,
    solver: str = "highs",
    time_limit: float = PLAN_RUN_TIME_LIMIT_S,
    max_nodes: int | None = None,
    scenarios: Sequence[PathLike] = (),
) -> Result:
    """Levelled weekly production plan per planning object (``models/production_plan.md``).

    ``from_balance``: a balance result folder whose goals per period, need and capacity for
    ``unit`` the plan is built on (``year`` picks the plan year's quarters). ``actuals`` with
    ``from_week``: re-plan weeks ``from_week``… with the weeks before locked to the actuals.
    ``max_nodes``: branch-and-bound nodes per stage (default ``DEFAULT_MAX_NODES``).
    ``scenarios``: what-if variants of the instance, each planned beside the base
    (:mod:`pks_opt.whatif`).
    """
    from pks_opt.whatif import solve_with_scenarios

    since = [time.perf_counter()]  # the base's reading starts at the call

    def prepare(raw: RawInstance) -> Callable[[], Result]:
        solve = _prepare_plan(
            raw,
            from_balance=from_balance,
            unit=unit,
            year=year,
            goal_tolerance=goal_tolerance,
            actuals=actuals,
            from_week=from_week,
            solver=solver,
            time_limit=time_limit,
            max_nodes=max_nodes,
        )
        # wall-clock: the limit covers reading this instance (or variant) and both plans
        read_s = time.perf_counter() - since[0]
        since[0] = time.perf_counter()
        return lambda: solve(max(0.1, (time_limit - read_s) * PLAN_SOLVE_SHARE))

    return solve_with_scenarios(_raw(instance, "tactical"), scenarios, prepare)


def _prepare_plan(
    raw: RawInstance,
    *,
    from_balance: PathLike | None,
    unit: str | None,
    year: str | None,
    goal_tolerance: float | None,
    actuals: PathLike | None,
    from_week: int | None,
    solver: str,
    time_limit: float,
    max_nodes: int | None,
) -> Callable[[float], Result]:
    """Read and validate a plan instance with its hand-over and actuals; the solve to run.

    The solve takes the seconds left of ``time_limit`` (wall-clock) for both its plans.
    """
    from pks_opt.production_plan import DEFAULT_MAX_NODES
    from pks_opt.production_plan.balance_link import apply_balance_handover, read_balance_handover
    from pks_opt.production_plan.data import plan_from_raw

    nodes = DEFAULT_MAX_NODES if max_nodes is None else max_nodes
    from pks_opt.production_plan.holidays import with_holidays

    as_read = plan_from_raw(raw)
    data = with_holidays(as_read).with_goal_tolerance(goal_tolerance)
    warnings: list[str] = []
    goal_link: str | None = None
    handover: dict[str, pd.DataFrame] | None = None
    if from_balance is not None:
        the_unit = unit or data.unit
        if the_unit is None:
            raise InputError(
                "--from-balance needs --unit (or parameters.unit in the instance)", field="--unit"
            )
        ho = read_balance_handover(Path(from_balance), the_unit, year)
        data, warnings, handover = apply_balance_handover(data, ho)
        goal_link = (
            f"unit {the_unit} from {from_balance}: goals per period "
            f"({', '.join(ho.periods)}), the need that stays with the unit, capacity "
            "after the balance's actions"
        )
    elif year is not None or (unit is not None and actuals is None):
        raise InputError(
            "--unit and --year only go with --from-balance", field="--unit" if unit else "--year"
        )
    if (actuals is None) != (from_week is None):
        raise InputError(
            "--actuals and --from-week go together", field="--from-week" if actuals else "--actuals"
        )
    key = solver.lower()
    if actuals is not None and from_week is not None:
        from pks_opt.production_plan.replan import apply_actuals

        the_unit = unit or data.unit
        if the_unit is None:
            raise InputError(
                "--actuals needs --unit (or parameters.unit in the instance)", field="--unit"
            )
        new, more, inputs = apply_actuals(data, _read_actuals(actuals), the_unit, from_week)
        new = new.model_copy(update={"unit": the_unit})
        return lambda left: _replan(
            data,
            new,
            as_read,
            inputs,
            from_week,
            key,
            left,
            nodes,
            warnings + more,
            goal_link,
            handover,
        )
    return lambda left: _solve_plan(data, key, left, nodes, warnings, goal_link, handover)


PLAN_SOLVE_SHARE = 0.8
"""Share of a plan command's time left after reading for its solves: the rest is for building
the stages' models, a stage's overrun of its limit, and drawing and writing the result (the
plan's 14-panel queue chart takes seconds to save on a loaded machine)."""


def _next_year(
    new: Any,
    as_read: Any,
    replan: Any,
    inputs: pd.DataFrame,
    from_week: int,
    key: str,
    time_limit: float,
    max_nodes: int,
) -> tuple[pd.DataFrame, str] | None:
    """Plan the rolling horizon's weeks after the plan year (53..from_week + 51).

    From the queue the re-plan leaves at its last week, to follow need (no goal agreed yet,
    :func:`pks_opt.production_plan.replan.next_year_data`). None when that plan finds nothing
    in its time (the re-plan stands; the explanation's line is then missing).
    """
    from pks_opt.production_plan.evaluate import evaluate
    from pks_opt.production_plan.milp import solve_plan
    from pks_opt.production_plan.replan import next_year_data, next_year_line, next_year_table
    from pks_opt.production_plan.solution import plan_result

    n = new.num_weeks
    weeks = min(from_week - 1, as_read.num_weeks)
    traces = evaluate(new, replan.production, with_target=True).traces
    queue = {oid: t.queue_end[-1] for oid, t in traces.items()}
    ratios = dict(zip(inputs["planning_object"], inputs["reforecast_ratio"], strict=True))
    ahead = next_year_data(as_read, queue, ratios, weeks)
    sol = solve_plan(
        ahead,
        backend=key,
        time_limit_s=max(0.1, time_limit),
        with_target=True,
        max_nodes=max_nodes,
    )
    if not sol.status.has_solution:
        return None
    table = next_year_table(plan_result(ahead, sol, None).tables["production_plan"], n + 1)
    return table, next_year_line(table, n + 1, n + weeks)


FIRST_PLAN_SHARE = 0.75
"""Share of a plan command's time limit for its first plan (the one the next level uses)."""


class _Budget:
    """Wall-clock seconds left of a budget started now."""

    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        """Seconds left, at least 0.1 (a solver needs a positive limit)."""
        return max(0.1, self.end - time.perf_counter())


def _solve_plan(
    data: Any,
    key: str,
    time_limit: float,
    nodes: int,
    warnings: list[str],
    goal_link: str | None,
    handover: dict[str, pd.DataFrame] | None,
) -> Result:
    """Solve the plan with the reduction goal and without it (for the side-by-side chart).

    ``time_limit`` (wall-clock seconds) covers both: the plan with the goal gets
    ``FIRST_PLAN_SHARE`` of it, the plan without it whatever is left.
    """
    from pks_opt.production_plan.charts import plan_charts
    from pks_opt.production_plan.milp import solve_plan
    from pks_opt.production_plan.solution import plan_result

    two = any(o.has_target for o in data.objects)
    clock = _Budget(time_limit)
    with interrupt.solving():  # a signal stops the stage running; the plan so far is kept
        with_target = solve_plan(
            data,
            backend=key,
            time_limit_s=time_limit * (FIRST_PLAN_SHARE if two else 1.0),
            with_target=True,
            max_nodes=nodes,
        )
        without = (
            solve_plan(
                data, backend=key, time_limit_s=clock.left(), with_target=False, max_nodes=nodes
            )
            if with_target.status.has_solution and two and not interrupt.requested()
            else None
        )
        result = plan_result(
            data, with_target, without, warnings=warnings, goal_link=goal_link, handover=handover
        )
    result.draw = lambda lang="en": plan_charts(result, data, lang=lang)
    return result


def _replan(
    data: Any,
    new: Any,
    as_read: Any,
    inputs: pd.DataFrame,
    from_week: int,
    key: str,
    time_limit: float,
    max_nodes: int,
    warnings: list[str],
    goal_link: str | None,
    handover: dict[str, pd.DataFrame] | None,
) -> Result:
    """Re-plan weeks from_week..N on the actuals, the original plan solved beside it.

    ``new``: the plan data with the weeks before locked; ``as_read`` the instance before
    holidays (next year's weeks of the rolling horizon are made from it,
    :func:`_next_year`). ``time_limit`` (wall-clock seconds) covers the three plans: the
    re-plan ``FIRST_PLAN_SHARE`` of it, next year's weeks half of what is left, the original
    plan the rest.
    """
    from pks_opt.production_plan.charts import plan_charts
    from pks_opt.production_plan.milp import solve_plan
    from pks_opt.production_plan.replan import reforecast_notes, replan_diff, replan_lines
    from pks_opt.production_plan.solution import plan_result

    clock = _Budget(time_limit)
    with interrupt.solving():  # a signal stops the stage running; the plan so far is kept
        replan = solve_plan(
            new,
            backend=key,
            time_limit_s=time_limit * FIRST_PLAN_SHARE,
            with_target=True,
            max_nodes=max_nodes,
        )
        ahead = (
            _next_year(new, as_read, replan, inputs, from_week, key, clock.left() / 2, max_nodes)
            if replan.status.has_solution and not interrupt.requested()
            else None
        )
        original = (
            solve_plan(
                data, backend=key, time_limit_s=clock.left(), with_target=True, max_nodes=max_nodes
            )
            if not interrupt.requested()
            else replan
        )
    tables = dict(handover or {})
    tables["replan_inputs"] = inputs
    if original.status.has_solution and replan.status.has_solution:
        tables["replan_diff"] = replan_diff(new, original.production, replan.production)
    result = plan_result(
        new,
        replan,
        None,
        warnings=warnings,
        goal_link=goal_link,
        handover=tables,
        feedback_notes=reforecast_notes(inputs),
    )
    if "replan_diff" in tables:
        result.explanation[:0] = replan_lines(tables["replan_diff"], from_week, new.num_weeks)
    if ahead is not None:
        result.tables["next_year_plan"], line = ahead
        result.explanation.insert(len(result.explanation) and 1, line)
    result.draw = lambda lang="en": plan_charts(result, new, lang=lang)
    return result


# ------------------------------------------------------------------------------ matrix


@_keeps_warnings
def matrix(
    instance: Instance | PathLike,
    *,
    from_plan: PathLike | None = None,
    week: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    workers: int = 1,
    seed: int = 0,
    scenarios: Sequence[PathLike] = (),
    deterministic: bool = False,
) -> Result:
    """Make the weekly activity matrix of a clinic (``models/activity_matrix.md``).

    ``from_plan``: a production-plan result folder; one matrix per week type (or for plan week
    ``week``) with the sessions that plan needs. ``scenarios``: what-if variants of the
    instance, each solved beside the base (:mod:`pks_opt.whatif`). ``time_limit`` is
    wall-clock seconds (reading included); with ``deterministic`` it counts CP-SAT's work
    units, so the same input and seed give the same matrix under any load.
    """
    from pks_opt.activity_matrix import build_matrix, matrices_from_plan, solve_matrices
    from pks_opt.activity_matrix.charts import matrix_charts
    from pks_opt.whatif import solve_with_scenarios

    if week is not None and from_plan is None:
        raise InputError("--week needs --from-plan", field="--week")

    since = [time.perf_counter()]  # the base's reading starts at the call

    def prepare(raw: RawInstance) -> Callable[[], Result]:
        base = build_matrix(raw)
        datas = (
            [base]
            if from_plan is None
            else matrices_from_plan(base, raw, Path(from_plan), week=week)
        )
        read_s = time.perf_counter() - since[0]
        since[0] = time.perf_counter()
        limit = time_limit if deterministic else max(0.1, time_limit - read_s)

        def solve() -> Result:
            with interrupt.solving():  # a signal stops the search; the matrix so far is kept
                result = solve_matrices(
                    datas,
                    time_limit_s=limit,
                    workers=workers,
                    seed=seed,
                    deterministic=deterministic,
                )
            if from_plan is not None:
                _mark_plan_holidays(result, Path(from_plan), week)
            result.draw = lambda lang="en": matrix_charts(result, lang=lang)
            return result

        return solve

    return solve_with_scenarios(_raw(instance, "activity_matrix"), scenarios, prepare)


def _mark_plan_holidays(result: Result, plan_dir: Path, week: int | None) -> None:
    """Add the plan's holiday weeks: a ``holiday_weeks`` table and one explanation line."""
    from pks_opt.activity_matrix.from_plan import plan_holiday_weeks

    weeks = plan_holiday_weeks(plan_dir, week=week)
    if weeks.empty:
        return
    result.tables["holiday_weeks"] = weeks
    shown = ", ".join(f"{w} ({h})" for w, h in zip(weeks["week"], weeks["holiday"], strict=True))
    result.explanation.append(
        f"plan weeks with Swedish holidays: {shown}; the matrix of their week type is the "
        "template, with no planned sessions on the holidays (holiday_weeks.csv)"
    )


# ------------------------------------------------------------------------------ roster


@_keeps_warnings
def roster(
    instance: Instance | PathLike,
    *,
    from_matrix: PathLike | None = None,
    from_need: PathLike | None = None,
    unit: str | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
    workers: int = 2,
    deterministic: bool = False,
    progress: bool = False,
    scenarios: Sequence[PathLike] = (),
) -> Result:
    """Make a need-based roster, big rocks first (``models/rostering.md``).

    Also solves a Curtois & Qu benchmark file. ``time_limit`` is wall-clock seconds; with
    ``deterministic`` it counts CP-SAT's work units instead, so the same input, seed and
    workers give the same roster under any load. ``progress`` prints incumbents to stderr.
    ``scenarios``: what-if variants of the instance, each rostered beside the base
    (:mod:`pks_opt.whatif`; not for a benchmark file).
    """
    from pks_opt.rostering import SolveOptions, benchmark_result
    from pks_opt.rostering.data import roster_from_raw

    options = SolveOptions(
        time_limit_s=time_limit,
        seed=seed,
        workers=workers,
        progress=progress,
        deterministic=deterministic,
    )
    inst = instance if isinstance(instance, Instance) else read(instance)
    if inst.raw is None:
        if from_matrix is not None or from_need is not None or scenarios:
            raise InputError(
                "--from-matrix, --from-need and --scenario do not apply to a benchmark instance",
                field="--from-matrix"
                if from_matrix
                else "--from-need"
                if from_need
                else "--scenario",
            )
        with interrupt.solving():
            result, _ = benchmark_result(inst.path, options)
        return result
    from pks_opt.whatif import solve_with_scenarios

    since = [time.perf_counter()]  # the base's reading starts at the call

    def prepare(raw: RawInstance) -> Callable[[], Result]:
        data = roster_from_raw(
            raw,
            matrix_dir=None if from_matrix is None else Path(from_matrix),
            need_dir=None if from_need is None else Path(from_need),
            unit=unit,
        )
        read_s = time.perf_counter() - since[0]
        since[0] = time.perf_counter()

        def solve() -> Result:
            if deterministic:
                return _solve_roster(data, options)
            # wall-clock: the limit covers reading this instance (or variant) too
            left = max(0.1, time_limit - read_s)
            return _solve_roster(data, dataclasses.replace(options, time_limit_s=left))

        return solve

    return solve_with_scenarios(_raw(inst, "roster"), scenarios, prepare)


def _solve_roster(data: Any, options: Any) -> Result:
    from pks_opt.rostering import roster_result

    with interrupt.solving():  # a signal stops the search; the roster so far is kept
        result, sol = roster_result(data, options)

    def draw(lang: str = "en") -> dict[str, Any]:
        from pks_opt.rostering.charts import roster_heatmap

        return {"roster_heatmap": roster_heatmap(data, sol.assignment, lang=lang)}

    result.draw = draw
    return result


# ------------------------------------------------------------------------------ forecast


@_keeps_warnings
def forecast(
    history: Instance | PathLike,
    *,
    horizon: int = 52,
    holdout: int | None = None,
    start: str | dt.date | None = None,
    seasonality: str = "unit",
) -> Result:
    """Forecast weekly inflow per unit × planning object from a history instance.

    See ``docs/forecast.md``. ``holdout``: 13 or 26 weeks (default: 26 when the history has at
    least 130 weeks); ``start``: the first forecast week (``2027-W10`` or a Monday).
    """
    from pks_opt.forecasting import forecast_charts, run_forecast
    from pks_opt.forecasting.data import history_from_raw
    from pks_opt.forecasting.weeks import parse_week, week_label

    if seasonality not in ("unit", "object"):
        raise InputError(
            f"seasonality must be 'unit' or 'object', not {seasonality!r}", field="--seasonality"
        )
    if holdout not in (None, 13, 26):
        raise InputError(f"holdout must be 13 or 26 weeks, not {holdout!r}", field="--holdout")
    first: dt.date | None = None
    if isinstance(start, str):
        try:
            first = parse_week(start)
        except ValueError as exc:
            raise InputError(str(exc), field="--start") from None
    else:
        first = start
    data = history_from_raw(_raw(history, "history"), holdout_weeks=holdout)
    after = data.last_week + dt.timedelta(weeks=1)
    if first is not None and first < after:
        raise InputError(
            f"{week_label(first)} is inside the history (it ends in {week_label(data.last_week)}"
            f"); the forecast starts at {week_label(after)} or later",
            field="--start",
        )
    result = run_forecast(data, horizon=horizon, start=first, seasonality=seasonality)
    result.draw = lambda lang="en": forecast_charts(result, lang=lang)
    return result


# ------------------------------------------------------------------------------ follow-up


@_keeps_warnings
def follow_up(
    result_dir: PathLike,
    actuals: PathLike,
    *,
    threshold: float = 0.10,
    year: str | None = None,
    resources_from: PathLike | None = None,
) -> Result:
    """Compare what happened with a plan, a balance or a roster result folder.

    See ``docs/follow-up.md``; the kind is taken from the folder's ``result.json``. ``year``
    and ``resources_from`` (a plan instance whose ``balance_resource`` column maps the
    actuals' resources) apply to a balance result.
    """
    from pks_opt.followup import follow_up as plan_follow_up
    from pks_opt.followup import read_actuals, read_plan_folder
    from pks_opt.followup.balance import BALANCE_KIND, balance_follow_up, read_balance_folder
    from pks_opt.followup.charts import (
        balance_followup_chart,
        followup_charts,
        roster_followup_chart,
    )
    from pks_opt.followup.roster import (
        ROSTER_KIND,
        read_roster_folder,
        read_shift_actuals,
        result_kind,
    )

    folder = Path(result_dir)
    kind = result_kind(folder)
    if kind == ROSTER_KIND:
        rows, table = read_shift_actuals(Path(actuals))
        from pks_opt.followup.roster import roster_follow_up

        result = roster_follow_up(
            read_roster_folder(folder), rows, table, threshold=threshold, actuals=str(actuals)
        )
        result.draw = _draw(roster_followup_chart, result)
        return result
    if kind == BALANCE_KIND:
        mapping: dict[str, str] = {}
        if resources_from is not None:
            from pks_opt.production_plan.data import read_plan

            p = read_plan(Path(resources_from))
            mapping = {r.id: r.balance_resource for r in p.resources if r.balance_resource}
        result = balance_follow_up(
            read_balance_folder(folder, year),
            read_actuals(Path(actuals)),
            threshold=threshold,
            resource_map=mapping,
        )
        result.draw = _draw(balance_followup_chart, result)
        return result
    if year is not None or resources_from is not None:
        raise InputError(
            "--year and --resources-from go with a balance result",
            field="--year" if year is not None else "--resources-from",
        )
    result = plan_follow_up(
        read_plan_folder(folder), read_actuals(Path(actuals)), threshold=threshold
    )
    result.draw = _draw(followup_charts, result)
    return result


def _draw(charts: Any, result: Result) -> Any:
    return lambda lang="en": charts(result, lang=lang)


# ------------------------------------------------------------------------------ results


#: the envelope's own keys; any other key of ``result.json`` is a level's ``extra``
ENVELOPE_KEYS = frozenset(
    {
        "kind",
        "status",
        "objective",
        "bound",
        "gap",
        "runtime_s",
        "solver",
        "instance",
        "kpis",
        "tables",
        "charts",
        "stages",
        "explanation",
        "warnings",
        "column_types",
        "parts",
        "csv_dialect",
    }
)


def load_result(folder: PathLike) -> Result:
    """Read a result folder back (``result.json`` and its CSV tables; charts stay files).

    Raises
    ------
    InputError
        No ``result.json``, malformed JSON, or a table file it lists is missing.
    """
    from pks_opt.report.output import RESULT_FILE

    folder = Path(folder)
    meta = folder / RESULT_FILE
    if not meta.is_file():
        raise InputError(f"no {RESULT_FILE}: not a pks result folder", file=str(folder))
    try:
        env = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("malformed JSON", file=str(meta)) from None
    if not isinstance(env, dict) or "kind" not in env or "status" not in env:
        raise InputError("not a pks result envelope (kind and status needed)", file=str(meta))
    types = env.get("column_types") or {}
    tables: dict[str, pd.DataFrame] = {}
    for name, fname in (env.get("tables") or {}).items():
        if not str(fname).endswith(".csv"):
            continue
        path = folder / str(fname)
        if not path.is_file():
            raise InputError(f"table '{name}' is listed but {fname} is missing", file=str(meta))
        tables[str(name)] = _read_table(
            path, types.get(name) or {}, swedish=env.get("csv_dialect") == "sv"
        )
    stages = [
        StageReport(
            str(s["name"]),
            SolveStatus(s["status"]),
            _num(s.get("objective"), math.inf),
            _num(s.get("bound"), -math.inf),
            float(s.get("runtime_s") or 0.0),
        )
        for s in env.get("stages") or []
    ]
    parts = {
        p.name: load_result(p)
        for p in sorted(folder.iterdir())
        if p.is_dir() and (p / RESULT_FILE).is_file()
    }
    return Result(
        kind=str(env["kind"]),
        status=SolveStatus(env["status"]),
        instance=str(env.get("instance") or folder.name),
        solver=str(env.get("solver") or ""),
        objective=_num(env.get("objective"), math.inf),
        bound=_num(env.get("bound"), -math.inf),
        runtime_s=float(env.get("runtime_s") or 0.0),
        kpis=dict(env.get("kpis") or {}),
        tables=tables,
        stages=stages,
        explanation=list(env.get("explanation") or []),
        warnings=list(env.get("warnings") or []),
        extra={k: v for k, v in env.items() if k not in ENVELOPE_KEYS},
        parts=parts,
    )


def _read_table(path: Path, types: dict[str, str], *, swedish: bool = False) -> pd.DataFrame:
    """Read a written table with its columns' types: text stays text (``2026``, ``NA``, ``007``)."""
    text = {c: str for c, t in types.items() if t == "text"}
    sep, decimal = (";", ",") if swedish else (",", ".")
    try:
        return pd.read_csv(
            path,
            dtype=text,
            keep_default_na=False,
            na_values=[""],
            sep=sep,
            decimal=decimal,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _num(value: Any, missing: float) -> float:
    return missing if value is None else float(value)

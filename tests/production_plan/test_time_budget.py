"""``pks plan --time-limit S``: one wall-clock budget for the whole run (issue 23)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pks_opt import api
from pks_opt.instances import instance_path
from pks_opt.production_plan import milp


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, float, float]]:
    """Record each plan solve's (with_target, start, time_limit_s), solving as usual."""
    calls: list[tuple[bool, float, float]] = []
    real = milp.solve_plan

    def spy(data: Any, **kw: Any) -> Any:
        calls.append((kw["with_target"], time.perf_counter(), kw["time_limit_s"]))
        return real(data, **kw)

    monkeypatch.setattr(milp, "solve_plan", spy)
    return calls


def _within(calls: list[tuple[bool, float, float]], t0: float, budget: float) -> None:
    """Each solve's limit ends within the budget: started at s, limit L, s − t0 + L ≤ budget.

    The solves' clock starts after reading r, with 0.8 · (S − r): they end by 0.8 · S + 0.2 · r
    from the call, within ``budget`` = 0.8 · S + 1 s for reading up to 5 s. (The 0.1 s floor
    a solver needs may pass it when nothing is left.)
    """
    for _, start, limit in calls:
        assert start - t0 + limit <= budget + 1e-6 or limit == pytest.approx(0.1)


def test_both_plans_share_one_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two plans get S · 0.8 between them, not S each.

    clinic-plan has waiting-list targets, so the plan without the reduction goal is solved
    too. With S = 10: the first plan's limit is (10 − reading) · 0.8 · 0.75 ≤ 6 s, and every
    solve ends by about 8 s from the call (the rest of the 10 s is for building, overruns and
    writing).
    """
    calls = _recorded(monkeypatch)
    t0 = time.perf_counter()
    result = api.plan(instance_path("clinic-plan"), time_limit=10, max_nodes=20)
    assert result.status.has_solution
    assert [w for w, _, _ in calls] == [True, False]
    assert calls[0][2] <= 10 * api.PLAN_SOLVE_SHARE * api.FIRST_PLAN_SHARE + 1e-9
    _within(calls, t0, 10 * api.PLAN_SOLVE_SHARE + 1)


def test_replan_next_year_and_original_share_one_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The re-plan, next year's weeks and the original plan share the limit (three solves)."""
    calls = _recorded(monkeypatch)
    follow = instance_path("clinic-followup")
    t0 = time.perf_counter()
    api.plan(
        instance_path("clinic-plan"),
        actuals=follow / "actuals",
        from_week=21,
        time_limit=10,
        max_nodes=20,
    )
    assert len(calls) == 3
    assert calls[0][2] <= 10 * api.PLAN_SOLVE_SHARE * api.FIRST_PLAN_SHARE + 1e-9
    _within(calls, t0, 10 * api.PLAN_SOLVE_SHARE + 1)

"""``pks plan --time-limit S``: one wall-clock budget for the whole run (issue 23)."""

from __future__ import annotations

from typing import Any

import pytest

from pks_opt import api
from pks_opt.instances import instance_path
from pks_opt.production_plan import milp


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, float]]:
    """Record each plan solve's (with_target, time_limit_s), solving as usual."""
    calls: list[tuple[bool, float]] = []
    real = milp.solve_plan

    def spy(data: Any, **kw: Any) -> Any:
        calls.append((kw["with_target"], kw["time_limit_s"]))
        return real(data, **kw)

    monkeypatch.setattr(milp, "solve_plan", spy)
    return calls


def test_both_plans_share_one_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two plans get S · 0.8 between them, not S each.

    clinic-plan has waiting-list targets, so the plan without the reduction goal is solved
    too. With S = 10: the first plan's limit is (10 − reading) · 0.8 · 0.75 ≤ 6 s, the second
    whatever is left of (10 − reading) · 0.8, so the two sum to ≤ 8 s (the rest of the 10 s is
    for building, overruns and writing).
    """
    calls = _recorded(monkeypatch)
    result = api.plan(instance_path("clinic-plan"), time_limit=10, max_nodes=20)
    assert result.status.has_solution
    assert [w for w, _ in calls] == [True, False]
    first, second = (t for _, t in calls)
    assert first <= 10 * api.PLAN_SOLVE_SHARE * api.FIRST_PLAN_SHARE + 1e-9
    assert first + second <= 10 * api.PLAN_SOLVE_SHARE + 1e-9


def test_replan_and_original_share_one_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The re-plan and the original plan solved beside it share the limit the same way."""
    calls = _recorded(monkeypatch)
    follow = instance_path("clinic-followup")
    api.plan(
        instance_path("clinic-plan"),
        actuals=follow / "actuals",
        from_week=21,
        time_limit=10,
        max_nodes=20,
    )
    assert len(calls) == 2
    assert sum(t for _, t in calls) <= 10 * api.PLAN_SOLVE_SHARE + 1e-9

"""Plan explanations say why a target is missed: the capacity that binds in the weeks that
decide it (and the higher priorities sharing it), or with capacity free the rule that holds
production back; differences below the plan's precision are not explained."""

from __future__ import annotations

from pathlib import Path

from tests.production_plan.tiny import one_resource, solve, weekly_inflow, write_instance


def _line(result, oid: str) -> str:
    """The object's explanation lines, joined."""
    lines = [e for e in result.explanation if e.startswith((f"{oid} ", f"{oid}:"))]
    assert lines, result.explanation
    return "\n".join(lines)


def test_capacity_that_binds_is_named_with_the_higher_priority(tmp_path: Path) -> None:
    """doc 10 h/week, 1 h per visit. A (priority 1, max wait 1 week) gets 8 new patients a
    week and must see them that week: 8 h. B (priority 2) has 20 waiting and the target of 0
    by week 4, but only 2 h a week are left: 8 seen, 12 still waiting in week 4."""
    folder = write_instance(
        tmp_path / "bind",
        objects=[
            {"planning_object": "A", "priority": 1, "max_wait_weeks": 1},
            {
                "planning_object": "B",
                "priority": 2,
                "queue_start": 20,
                "target_queue": 0,
                "target_week": 4,
            },
        ],
        weeks=4,
        resources=one_resource(10),
        hours=[("A", "doc", 1), ("B", "doc", 1)],
        inflow=weekly_inflow("A", [8, 8, 8, 8]) + weekly_inflow("B", [0, 0, 0, 0]),
    )
    result = solve(folder, "highs")
    line = _line(result, "B")
    assert "at week 4 it is 12 against 0 (short by 12.0)" in line
    assert "B: why: doc is fully used in week(s) 1–4; higher priorities come first: A" in line


def test_free_capacity_and_the_goal_that_caps_production(tmp_path: Path) -> None:
    """doc 100 h/week; C has 20 waiting, the target 0 by week 4 and an agreed goal of 52 a
    year = 4 over the 4 weeks. The goal stage holds production at 4 (1 a week), so 16 wait in
    week 4 while 4 × 100 − 4 = 396 h stay unused: the goal, not capacity, is why."""
    folder = write_instance(
        tmp_path / "goal",
        objects=[
            {
                "planning_object": "C",
                "queue_start": 20,
                "target_queue": 0,
                "target_week": 4,
                "annual_goal": 52,
            }
        ],
        weeks=4,
        resources=one_resource(100),
        hours=[("C", "doc", 1)],
        inflow=weekly_inflow("C", [0, 0, 0, 0]),
    )
    result = solve(folder, "highs")
    line = _line(result, "C")
    assert "at week 4 it is 16 against 0" in line
    assert (
        "C: why: not capacity, doc has 396 h unused in those weeks; production is held at its "
        "agreed goal" in line.splitlines()
    )

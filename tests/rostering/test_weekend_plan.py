"""The weekend-first start for long horizons (pks_opt/rostering/weekend_plan.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pks_opt.formats.curtois import CStaff, CurtoisInstance, evaluate, read_curtois
from pks_opt.rostering.best_response import BestResponse
from pks_opt.rostering.weekend_plan import (
    WeekendMoves,
    _pinned,
    assign_types,
    plan_weekends,
    weekend_first_roster,
    window_max,
)


def _instance(
    horizon: int,
    staff: tuple[CStaff, ...],
    cover: dict[tuple[int, str], int],
    shifts: tuple[str, ...] = ("D",),
    follow: dict[str, tuple[str, ...]] | None = None,
    days_off: dict[str, tuple[int, ...]] | None = None,
    weekend_under: int = 100,
) -> CurtoisInstance:
    """Cells not in ``cover`` require 0; under-cover weighs 100 (``weekend_under`` on
    Saturdays and Sundays), over-cover 1."""
    return CurtoisInstance(
        name="tiny",
        horizon=horizon,
        shift_minutes=dict.fromkeys(shifts, 480),
        cannot_follow=follow or {},
        staff=staff,
        days_off={e.id: () for e in staff} | (days_off or {}),
        on_requests=(),
        off_requests=(),
        cover=tuple(
            (d, s, cover.get((d, s), 0), weekend_under if d % 7 >= 5 else 100, 1)
            for d in range(horizon)
            for s in shifts
        ),
    )


def test_window_max() -> None:
    assert window_max(5, 2) == 5  # the benchmark's usual rules: 5 on, 2 off
    assert window_max(3, 1) == 6  # ###-###
    assert window_max(7, 1) == 7
    assert window_max(1, 2) == 3  # #--#--# (the runs at the edges may be cut)


# Two weeks, one shift D needed once every day (a weekend day short costs 300, a weekday
# 100), one employee: at most 5 consecutive shifts, at least 2 days off between runs, one
# weekend, 8–10 shifts. A worked weekend leaves at most 3 weekdays in each week next to it.
# * no weekend: 10 weekdays, 4 weekend days short: 1 200;
# * weekend 0: 2 + 3 + 3 = 8 shifts, 4 weekdays and weekend 1 short: 400 + 600 = 1 000;
# * Sunday 13 alone: weekdays 0–4 and 7–10, 1 weekday and 3 weekend days short: 1 000;
# * weekend 1: weekdays 0–4 and 3 of 7–11 (9–13 is a run of 5 after 4 days off), 2 weekdays
#   and weekend 0 short: 200 + 600 = 800, the optimum.
ONE = CStaff("A", {"D": 14}, 10 * 480, 8 * 480, 5, 1, 2, 1)
TWO_WEEKS = _instance(14, (ONE,), {(d, "D"): 1 for d in range(14)}, weekend_under=300)


def test_plan_puts_the_weekend_where_the_weekdays_fit() -> None:
    plan = plan_weekends(TWO_WEEKS, 10.0)
    assert plan is not None
    work, value = plan
    assert set(work) == {(0, 12), (0, 13)}
    assert value == pytest.approx(800)


def test_weekend_first_roster_reaches_the_optimum() -> None:
    start = weekend_first_roster(TWO_WEEKS, time.perf_counter() + 30, 10.0, 10.0)
    assert start.roster is not None
    ev = evaluate(TWO_WEEKS, start.roster)
    assert ev.violations == []
    assert ev.objective == start.value == 800
    assert start.pinned_value == 800  # the pinned sweeps already had it
    assert {d for (_e, d) in start.roster} >= {12, 13}


def test_assigned_shifts_keep_saturday_to_sunday_succession() -> None:
    # One week; Saturday needs L, Sunday needs E, and E may not follow L. Both days are
    # planned for A, who may work either type: one of the two cells stays short (100) and
    # the other day takes the same type as its neighbour allows — never L then E.
    emp = CStaff("A", {"E": 7, "L": 7}, 7 * 480, 0, 7, 1, 1, 1)
    inst = _instance(7, (emp,), {(5, "L"): 1, (6, "E"): 1}, ("E", "L"), {"L": ("E",)})
    assign = assign_types(inst, {(0, 5): 1, (0, 6): 1}, 10.0)
    assert assign is not None
    assert set(assign) == {(0, 5), (0, 6)}
    assert (assign[0, 5], assign[0, 6]) != ("L", "E")
    assert sum(assign[k] == want for k, want in (((0, 5), "L"), ((0, 6), "E"))) == 1


def test_pinned_plan_that_breaks_the_minimum_falls_back_to_a_reward() -> None:
    # One week, at least 5 shifts, Wednesday a fixed day off. With the weekend planned off,
    # only 4 weekdays are left: the pinned pricer finds no schedule, so the plain pricer
    # (weekend limit and all) comes back, with the planned-off weekend days penalised.
    emp = CStaff("A", {"D": 7}, 7 * 480, 5 * 480, 7, 1, 1, 1)
    inst = _instance(7, (emp,), {}, days_off={"A": (2,)})
    p, extra = _pinned(inst, 0, {}, 20_000)
    assert p.inst is inst
    assert extra[5, 0] > 0 and extra[6, 0] > 0 and extra[0, 0] == 0
    # planned on Sunday instead: 4 weekdays and Sunday make 5, the pinned pricer holds it
    p, extra = _pinned(inst, 0, {(0, 6): "D"}, 20_000)
    assert p.inst is not inst and 5 in p.inst.days_off["A"]
    assert extra[6, 0] < 0


def test_instance8_roster_keeps_every_rule(curtois_dir: Path) -> None:
    inst = read_curtois(curtois_dir / "Instance8.txt")
    start = weekend_first_roster(inst, time.perf_counter() + 60, 20.0, 10.0)
    assert start.roster is not None and start.value is not None
    ev = evaluate(inst, start.roster)
    assert ev.violations == []
    assert start.pinned_value is not None and ev.objective == start.value <= start.pinned_value
    assert set(start.seconds) == {"plan", "types", "sweeps", "moves"}
    assert start.moves == 0  # no time given to them


def test_weekend_move_takes_the_weekend_where_the_need_is() -> None:
    # Two weeks, one employee allowed one weekend, working weekend 0 (days 5, 6) where nobody
    # is needed (2 over, cost 2) while weekend 1 needs one on each day (200 short): 202. The
    # move to weekend 1 costs 0; the weekdays need nobody and stay off.
    emp = CStaff("A", {"D": 14}, 14 * 480, 0, 7, 1, 1, 1)
    inst = _instance(14, (emp,), {(12, "D"): 1, (13, "D"): 1})
    br = BestResponse(inst)
    br.paths[0] = [0 if d in (5, 6) else -1 for d in range(14)]
    br.add(0, +1)
    roster = br.roster()
    assert roster is not None and evaluate(inst, roster).objective == 202
    moves = WeekendMoves(br)
    assert moves.improve(0)
    roster = br.roster()
    assert roster is not None and set(roster) == {("A", 12), ("A", 13)}
    assert evaluate(inst, roster).objective == 0
    assert not moves.improve(0)  # nothing better left


def test_weekend_moves_never_worsen_instance8(curtois_dir: Path) -> None:
    inst = read_curtois(curtois_dir / "Instance8.txt")
    start = weekend_first_roster(inst, time.perf_counter() + 60, 20.0, 10.0, 20.0)
    assert start.roster is not None and start.value is not None
    assert start.swept_value is not None and start.value <= start.swept_value
    assert evaluate(inst, start.roster).violations == []


def test_no_whole_week_gives_no_start() -> None:
    inst = _instance(5, (ONE,), {(d, "D"): 1 for d in range(5)})
    assert weekend_first_roster(inst, time.perf_counter() + 10, 5.0, 5.0).roster is None

"""The weekend relaxation's lower bound (pks_opt/rostering/weekend_bound.py)."""

from __future__ import annotations

import csv

import pytest

from pks_opt.formats.curtois import CStaff, CurtoisInstance, evaluate, read_curtois
from pks_opt.rostering.weekend_bound import weekday_surplus, weekend_bound

from .conftest import CURTOIS


def _staff(emp_id: str, max_weekends: int, types: dict[str, int], min_shifts: int = 0) -> CStaff:
    return CStaff(emp_id, types, 7 * 480, min_shifts * 480, 7, 1, 1, max_weekends)


def _week(
    staff: tuple[CStaff, ...],
    cover: dict[tuple[int, str], int],
    shifts: tuple[str, ...] = ("D",),
    follow: dict[str, tuple[str, ...]] | None = None,
    on: tuple[tuple[str, int, str, int], ...] = (),
    off: tuple[tuple[str, int, str, int], ...] = (),
) -> CurtoisInstance:
    """One week (days 0-6, Saturday 5, Sunday 6); cells not in ``cover`` require 0."""
    return CurtoisInstance(
        name="week",
        horizon=7,
        shift_minutes=dict.fromkeys(shifts, 480),
        cannot_follow=follow or {},
        staff=staff,
        days_off={e.id: () for e in staff},
        on_requests=on,
        off_requests=off,
        cover=tuple((d, s, cover.get((d, s), 0), 100, 1) for d in range(7) for s in shifts),
    )


def test_weekend_limit_and_an_on_request_it_cannot_meet() -> None:
    # A may work no weekend, B one. Saturday and Sunday each need 2 on D: B works both days,
    # one short each day (2 × 100); A's on-request for Saturday (weight 3) cannot be met:
    # bound 203. The roster {B: Sat, Sun} costs exactly that, so the bound is the optimum.
    inst = _week(
        (_staff("A", 0, {"D": 7}), _staff("B", 1, {"D": 7})),
        {(5, "D"): 2, (6, "D"): 2},
        on=(("A", 5, "D", 3),),
    )
    b = weekend_bound(inst, 10.0)
    assert b.optimal
    assert b.value == pytest.approx(203)
    assert evaluate(inst, {("B", 5): "D", ("B", 6): "D"}).objective == 203


def test_saturday_to_sunday_succession_and_type_limit() -> None:
    # One employee, one weekend allowed; Saturday needs L, Sunday needs E, and E may not
    # follow L: only one of the two is covered (100). With a limit of 0 L shifts, still one
    # (E on Sunday): 100. Weekdays need nothing and add nothing.
    follow = {"L": ("E",)}
    need = {(5, "L"): 1, (6, "E"): 1}
    one = _week((_staff("A", 1, {"E": 7, "L": 7}),), need, ("E", "L"), follow)
    assert weekend_bound(one, 10.0).value == pytest.approx(100)
    no_late = _week((_staff("A", 1, {"E": 7, "L": 0}),), need, ("E", "L"), follow)
    assert weekend_bound(no_late, 10.0).value == pytest.approx(100)
    # without the succession rule both are covered: 0
    free = _week((_staff("A", 1, {"E": 7, "L": 7}),), need, ("E", "L"))
    assert weekend_bound(free, 10.0).value == pytest.approx(0)


def test_off_request_on_a_needed_weekend_shift_is_priced() -> None:
    # Saturday needs D; the only employee asked not to work D then (weight 7 < 100 for the
    # shortfall): working it costs 7, which is the bound and the optimum.
    inst = _week((_staff("A", 1, {"D": 7}),), {(5, "D"): 1}, off=(("A", 5, "D", 7),))
    assert weekend_bound(inst, 10.0).value == pytest.approx(7)
    assert evaluate(inst, {("A", 5): "D"}).objective == 7


def test_minimum_minutes_force_weekday_surplus() -> None:
    # A must work 6 shifts (6 × 480 min) and may work one weekend: at most 2 weekend shifts,
    # so at least 4 on Monday-Friday, where nothing is required: 4 units of surplus at 1 each.
    # The weekend needs nothing either, so the bound is 4; the roster Monday-Thursday plus
    # Saturday and Sunday costs 4 + 2 = 6 (the weekend shifts are surplus too), working
    # Monday-Friday and Saturday 5 + 1 = 6: the optimum is 6, the bound 4 below it.
    inst = _week((_staff("A", 1, {"D": 7}, min_shifts=6),), {})
    assert weekday_surplus(inst) == 4
    assert weekend_bound(inst, 10.0).value == pytest.approx(4)
    roster = {("A", d): "D" for d in (0, 1, 2, 3, 5, 6)}
    assert evaluate(inst, roster).objective == 6
    # B needs 4 shifts with 2 possible at the weekend: 2 on weekdays, 2 required there: 0
    two = _week((_staff("B", 1, {"D": 7}, min_shifts=4),), {(0, "D"): 1, (1, "D"): 1})
    assert weekday_surplus(two) == 0


def _best_known() -> dict[str, int]:
    with (CURTOIS / "best_known.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return {r[0]: int(r[1]) for r in rows[1:] if r and r[1].strip().isdigit()}


@pytest.mark.parametrize("name", ["Instance1", "Instance4", "Instance22"])
def test_never_above_the_best_known(name: str) -> None:
    # a lower bound must stay at or below every roster there is, the best known included
    best = _best_known()[name]
    b = weekend_bound(read_curtois(CURTOIS / f"{name}.txt"), 60.0)
    assert b.value <= best
    if name == "Instance22":  # weekends 24 970 + weekdays 1 058 = 26 028 (86 %)
        assert b.value >= 0.85 * best


def test_cut_short_gives_a_proven_bound_only() -> None:
    # stopped almost at once, HiGHS's dual bound (or nothing), never an incumbent's value
    inst = read_curtois(CURTOIS / "Instance22.txt")
    b = weekend_bound(inst, 0.2)
    assert not b.optimal
    assert b.value <= 26_028

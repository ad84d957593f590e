"""The dynamic-programming pricing of column generation: exact, and every schedule it returns
keeps one employee's hard rules (FORMAT.md §3), checked against CP-SAT pricing and the
independent evaluator ``_person_violations``."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pks_opt.formats.curtois import CStaff, CurtoisInstance, _person_violations, read_curtois
from pks_opt.rostering.colgen import PriceResult, Pricing
from pks_opt.rostering.pricing_dp import DPPricing, _capped, _completion

Duals = dict[tuple[int, str], float]


def _instance(
    horizon: int,
    shifts: dict[str, int],
    follow: dict[str, tuple[str, ...]],
    emp: CStaff,
    days_off: tuple[int, ...] = (),
    on: tuple[tuple[int, str, int], ...] = (),
    off: tuple[tuple[int, str, int], ...] = (),
) -> CurtoisInstance:
    return CurtoisInstance(
        name="tiny",
        horizon=horizon,
        shift_minutes=shifts,
        cannot_follow=follow,
        staff=(emp,),
        days_off={emp.id: days_off},
        on_requests=tuple((emp.id, d, s, w) for d, s, w in on),
        off_requests=tuple((emp.id, d, s, w) for d, s, w in off),
        cover=tuple((d, s, 1, 100, 1) for d in range(horizon) for s in shifts),
    )


def _check(inst: CurtoisInstance, index: int, res: PriceResult, duals: Duals, mu: float) -> None:
    """The column keeps every rule and its reduced cost is the one reported."""
    assert res.column is not None
    shifts = dict(res.column.shifts)
    works = [shifts.get(d) for d in range(inst.horizon)]
    assert _person_violations(inst, inst.staff[index], works) == []
    rc = res.column.cost - sum(duals.get((d, s), 0.0) for d, s in shifts.items()) - mu
    assert res.rc == pytest.approx(rc, abs=1e-9)
    assert res.rc_bound == pytest.approx(min(rc, 0.0), abs=1e-9)


def _check_rules(inst: CurtoisInstance, index: int, res: PriceResult) -> None:
    assert res.column is not None
    shifts = dict(res.column.shifts)
    works = [shifts.get(d) for d in range(inst.horizon)]
    assert _person_violations(inst, inst.staff[index], works) == []


def _week() -> CurtoisInstance:
    # One week (day 0 Monday), shifts D and E (480 min), D may not follow E. The employee:
    # at most 1 E, exactly 3 shifts (1440 min), runs of 1..2 shifts, 2+ days off between
    # runs, no weekend (days 5, 6 off), fixed day off on day 2. Of the 3-day sets in
    # {0, 1, 3, 4} only {0, 3, 4} keeps the run rules: {0,1,3} has a lone day off (2),
    # {0,1,4} and {1,3,4} a lone worked day inside the horizon.
    emp = CStaff("A", {"D": 7, "E": 1}, 1440, 1440, 2, 2, 2, 0)
    return _instance(
        7,
        {"D": 480, "E": 480},
        {"E": ("D",), "D": ()},
        emp,
        days_off=(2,),
        on=((0, "E", 3), (4, "D", 1)),
        off=((3, "D", 2),),
    )


def test_hand_worked_week() -> None:
    inst = _week()
    p = DPPricing(inst, 0)
    # Days 0, 3, 4 with at most one E and no E->D: (E,D,D) costs the off-request on day 3: 2;
    # (D,D,D) 3 + 2 = 5; (D,D,E) 3 + 2 + 1 = 6; (D,E,D) breaks E->D, two E's break the limit.
    res = p.price({}, 0.0, 1.0)
    assert dict(res.column.shifts) == {0: "E", 3: "D", 4: "D"}  # type: ignore[union-attr]
    assert res.rc == pytest.approx(2.0)
    assert res.rc_bound == 0.0
    _check(inst, 0, res, {}, 0.0)
    # a dual of 5 on (4, E) makes (D,D,E) cost 6 - 5 = 1 < 2; minus mu 0.5: 0.5
    duals = {(4, "E"): 5.0}
    res = p.price(duals, 0.5, 1.0)
    assert dict(res.column.shifts) == {0: "D", 3: "D", 4: "E"}  # type: ignore[union-attr]
    assert res.rc == pytest.approx(0.5)
    _check(inst, 0, res, duals, 0.5)
    # a dual of 10 on (1, D) is out of reach (day 1 breaks the run rules): back to (E,D,D)
    duals = {(1, "D"): 10.0}
    res = p.price(duals, 3.0, 1.0)
    assert dict(res.column.shifts) == {0: "E", 3: "D", 4: "D"}  # type: ignore[union-attr]
    assert res.rc == pytest.approx(-1.0) and res.rc_bound == pytest.approx(-1.0)


def test_no_schedule_keeps_the_rules() -> None:
    # 3 shifts needed, but the week's only free days are 0 and 1
    emp = CStaff("A", {"D": 7}, 1440, 1440, 5, 1, 1, 1)
    inst = _instance(7, {"D": 480}, {"D": ()}, emp, days_off=(2, 3, 4, 5, 6))
    res = DPPricing(inst, 0).price({}, 0.0, 1.0)
    assert res.column is None and res.rc_bound == -float("inf")


def _random_duals(rng: random.Random, inst: CurtoisInstance) -> Duals:
    """Sparse duals in thousandths (CP-SAT pricing rounds to 1/1000, so it is exact too)."""
    return {
        (d, s): rng.randrange(0, 120_000) / 1000
        for d in range(inst.horizon)
        for s in inst.shift_minutes
        if rng.random() < 0.4
    }


@pytest.mark.parametrize("name", ["Instance1", "Instance4", "Instance8"])
def test_equals_cp_sat_pricing_on_benchmark(curtois_dir: Path, name: str) -> None:
    inst = read_curtois(curtois_dir / f"{name}.txt")
    rng = random.Random(19)
    dp = [DPPricing(inst, i) for i in range(len(inst.staff))]
    cp = [Pricing(inst, i) for i in range(len(inst.staff))]
    for k in range(24):  # each pricer 4 times: its last schedule bounds the next call
        i = k % 6
        duals, mu = _random_duals(rng, inst), rng.randrange(0, 50_000) / 1000
        got, want = dp[i].price(duals, mu, 1.0), cp[i].price(duals, mu, 30.0)
        _check(inst, i, got, duals, mu)
        assert got.rc == pytest.approx(want.rc, abs=1e-6), (k, dp[i].how)
        # with no room for labels it gives up: still a rule-keeping schedule when it has one,
        # and a bound that is proven (never above the optimum)
        lazy = DPPricing(inst, i, max_labels=0)
        short = lazy.price(duals, mu, 1.0)
        assert short.rc_bound <= want.rc + 1e-6
        if lazy.how == "gave up" and short.column is not None:
            _check_rules(inst, i, short)
            assert short.rc >= want.rc - 1e-6


@st.composite
def _tiny(draw: st.DrawFn) -> tuple[CurtoisInstance, list[tuple[Duals, float]]]:
    horizon = draw(st.sampled_from([7, 14]))
    nt = draw(st.integers(1, 3))
    names = ["D", "E", "N"][:nt]
    shifts = {s: draw(st.sampled_from([480, 600, 720])) for s in names}
    follow = {s: tuple(t for t in names if draw(st.booleans())) for s in names}
    max_shifts = {s: draw(st.integers(0, horizon)) for s in names}
    lo = draw(st.integers(0, horizon * 600))
    hi = lo + draw(st.integers(0, horizon * 300))
    cmax = draw(st.integers(1, 6))
    emp = CStaff(
        "A",
        max_shifts,
        hi,
        lo,
        cmax,
        draw(st.integers(1, cmax)),
        draw(st.integers(1, 3)),
        draw(st.integers(0, horizon // 7)),
    )
    days = st.integers(0, horizon - 1)
    days_off = tuple(sorted(draw(st.sets(days, max_size=4))))
    free = [d for d in range(horizon) if d not in days_off]
    req = st.tuples(st.sampled_from(free), st.sampled_from(names), st.integers(1, 3))
    on = draw(st.lists(req, max_size=5, unique_by=lambda r: r[0]))
    off = [
        r
        for r in draw(st.lists(req, max_size=5, unique_by=lambda r: r[0]))
        if r[0] not in {o[0] for o in on}
    ]
    inst = _instance(horizon, shifts, follow, emp, days_off, tuple(on), tuple(off))
    dual = st.integers(0, 8000).map(lambda v: v / 1000)
    duals = st.dictionaries(st.tuples(days, st.sampled_from(names)), dual, max_size=20)
    mu = st.integers(0, 5000).map(lambda v: v / 1000)
    return inst, [(draw(duals), draw(mu)) for _ in range(2)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tiny())
def test_equals_cp_sat_pricing_on_random_tiny_instances(
    case: tuple[CurtoisInstance, list[tuple[Duals, float]]],
) -> None:
    inst, rounds = case
    dp, cp = DPPricing(inst, 0), Pricing(inst, 0)
    for duals, mu in rounds:  # the second call starts from the first's schedule and multipliers
        got, want = dp.price(duals, mu, 1.0), cp.price(duals, mu, 30.0)
        assert (got.column is None) == (want.column is None)
        if want.column is not None:
            _check(inst, 0, got, duals, mu)
            assert got.rc == pytest.approx(want.rc, abs=1e-6)


def _capped_walk(p: DPPricing, cost: np.ndarray) -> tuple[np.ndarray, bool]:
    r = p.r
    f = _completion(cost, r.day, r.rules, r.follow_ok, r.len_u, 0.0)
    shifts, ok = _capped(cost, r.day, r.rules, r.follow_ok, r.len_u, f, 0.0, p.caps, p.most)
    return shifts, bool(ok)


def test_capped_walk_keeps_the_type_limit() -> None:
    # The week of _week(): the only workable days are {0, 3, 4}. E earns 10 a shift, D
    # nothing, so the relaxation (no per-type limit) would work E, E, E. E is limited to one:
    # the walk takes E on day 0 (its cheapest move), then E is used up and days 3 and 4 get
    # D (E -> D is allowed there: days 1 and 2 off lie between).
    inst = _week()
    p = DPPricing(inst, 0)
    cost = np.zeros((7, 2))
    cost[:, p.r.types.index("E")] = -10.0
    shifts, ok = _capped_walk(p, cost)
    assert ok
    works = [p.r.types[t] if t >= 0 else None for t in shifts]
    assert works == ["E", None, None, "D", "D", None, None]
    assert _person_violations(inst, inst.staff[0], works) == []


def test_capped_walk_saves_weekdays_for_the_minimum() -> None:
    # Two weeks, one shift type, exactly 8 shifts (3840 min), runs of 1..5, 1+ day off
    # between, at most one weekend. Weekend days pay most, so a walk that only followed the
    # costs would work both weekends; the walk keeps to one (and still reaches 8 shifts).
    emp = CStaff("A", {"D": 14}, 3840, 3840, 5, 1, 1, 1)
    inst = _instance(14, {"D": 480}, {"D": ()}, emp)
    p = DPPricing(inst, 0)
    cost = np.full((14, 1), -1.0)
    for d in (5, 6, 12, 13):
        cost[d, 0] = -50.0
    shifts, ok = _capped_walk(p, cost)
    works = [p.r.types[t] if t >= 0 else None for t in shifts]
    assert ok and _person_violations(inst, inst.staff[0], works) == []
    assert int((shifts >= 0).sum()) == 8


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tiny(), st.randoms(use_true_random=False))
def test_capped_walk_keeps_every_rule_when_it_gets_through(
    case: tuple[CurtoisInstance, list[tuple[Duals, float]]], rng: random.Random
) -> None:
    inst, _rounds = case
    p = DPPricing(inst, 0)
    cost = np.array([[rng.uniform(-5, 5) for _ in p.r.types] for _ in range(inst.horizon)])
    cost = cost.reshape(inst.horizon, len(p.r.types))
    shifts, ok = _capped_walk(p, cost)
    if ok:
        works = [p.r.types[t] if t >= 0 else None for t in shifts]
        assert _person_violations(inst, inst.staff[0], works) == []

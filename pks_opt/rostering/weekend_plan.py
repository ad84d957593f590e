"""A first roster for long horizons that places the weekends first (Curtois & Qu benchmark files).

On a year-long instance (Instance22: 50 staff × 364 days) nearly all of the cost is cover
short on weekends: every employee must work their minimum minutes and may work at most
``MaxWeekends`` weekends, so the question is which weekends each person works, and on which
shift. Best responses from an empty roster (:mod:`pks_opt.rostering.best_response`) answer it
one person at a time, and each person's exact dynamic program gives up on 364 days (its labels
track the weekends and minutes worked), so the weekends land where the first people put them.
This module decides them for everyone at once, in four steps:

1. **Which weekend days each person works** (:func:`plan_weekends`), a mixed-integer program
   over persons × weekend days, with each week's weekdays folded into one integer: how many
   of them the person works. Its rows are what the rules imply for such a plan: the weekend
   limit; the minimum and maximum shifts over the year; and at most ``window_max`` shifts in
   each of the three 7-day windows Monday–Sunday, Saturday–Friday and Sunday–Saturday (5 when
   at most 5 consecutive shifts are followed by at least 2 days off). A worked weekend thus
   leaves at most 3 weekdays in the week next to it, so the minimum minutes force the worked
   weekends into runs, as they must be in a roster. The cover is counted per weekend day
   (all shift types together) and per week's weekdays.
2. **Which shift on each planned day** (:func:`assign_types`): the weekend model of
   :mod:`pks_opt.rostering.weekend_bound` restricted to the planned days, one shift on each.
3. **The weekdays around them** by best responses with the weekends pinned: each person's
   planned weekend days off become fixed days off, so the dynamic program need not count
   weekends and stays exact and fast (50 persons × 364 days in ~1 s a sweep), and the planned
   shifts are rewarded. A person whose pinned plan breaks a rule the plan could not see gets
   the plan as a reward only. Free best responses (no pins) then polish the roster until no
   one alone can do better.
4. **Weekend moves** (:class:`WeekendMoves`): one person's worked weekend swapped for another
   week's, the weekdays re-laid exactly, while a sweep gains at least ``MOVES_MIN_GAIN``.

Instance22, 600 s limit: the plan in 34–52 s (HiGHS, 2 % gap), the shifts in ~4 s, the
roster in ~70 s: 39 853–40 296, where best responses from an empty roster give 46 731; the
CP-SAT search then ends at 33 716–34 045 (11.5–12.6 %) instead of 36 546 (20.8 %)
(``benchmarks/README.md``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pks_opt import interrupt
from pks_opt.constants import DAYS_PER_WEEK
from pks_opt.formats.curtois import SAT, CurtoisInstance, weekend_days, weekend_pairs
from pks_opt.rostering.mip_rows import MipRows
from pks_opt.rostering.weekend_bound import WeekendModel

#: relative gap at which the weekend plan's MIP stops (Instance22: 1.5 % at its first good
#: incumbent, ~50 s; nothing better in the next 40 s)
PLAN_GAP = 0.02
#: reward for a planned shift, penalty for any other on a pinned day: above any cover weight
PIN = 1000.0
#: weight of a planned day left without a shift in :func:`assign_types`
UNASSIGNED = 1000.0
#: weekend moves (:class:`WeekendMoves`): weekends tried per person, the most valuable not
#: worked and the least valuable worked
MOVE_TRIES = 4
#: ... and their sweeps stop after one that gains less than this share of the objective
#: (Instance22: 40 296 → 39 275 → 38 747 → 38 636 from one plan, 40 057 → 39 954 from another)
MOVES_MIN_GAIN = 0.01


def window_max(max_consecutive: int, min_days_off: int, length: int = DAYS_PER_WEEK) -> int:
    """Give the most shifts ``length`` consecutive days can hold.

    Runs of at most ``max_consecutive`` shifts, separated by at least ``min_days_off`` days
    off; the runs at the window's edges may be cut (they go on outside it).
    """
    best = 0
    for mask in range(1 << length):
        days = [(mask >> j) & 1 for j in range(length)]
        ok, j = True, 0
        while ok and j < length:
            k = j
            while k < length and days[k] == days[j]:
                k += 1
            inner = j > 0 and k < length
            ok = k - j <= max_consecutive if days[j] else not inner or k - j >= min_days_off
            j = k
        if ok:
            best = max(best, sum(days))
    return best


class _Plan(MipRows):
    """Step 1's model: ``work[i, d]`` for weekend days, ``cap[i, k]`` for week ``k``'s weekdays."""

    def __init__(self, inst: CurtoisInstance) -> None:
        super().__init__()
        self.work: dict[tuple[int, int], int] = {}
        self.cap: dict[tuple[int, int], int] = {}
        self.const = 0.0
        self._build(inst)

    def _build(self, inst: CurtoisInstance) -> None:
        weeks = inst.horizon // DAYS_PER_WEEK
        req: dict[int, int] = {}
        w_under: dict[int, float] = {}
        w_over: dict[int, float] = {}
        for d, _s, r, wu, wo in inst.cover:
            req[d] = req.get(d, 0) + r
            w_under[d] = min(w_under.get(d, math.inf), wu)
            w_over[d] = min(w_over.get(d, math.inf), wo)
        on: dict[tuple[str, int], float] = {}
        for e_id, d, _s, w in inst.on_requests:
            if d < weeks * DAYS_PER_WEEK and d % DAYS_PER_WEEK >= SAT:
                on[e_id, d] = on.get((e_id, d), 0.0) + w
                self.const += w
        for i in range(len(inst.staff)):
            self._staff(inst, i, weeks, on)
        for k, pair in enumerate(weekend_pairs(inst.horizon)):
            for d in pair:
                cols = [self.work[i, d] for i in range(len(inst.staff)) if (i, d) in self.work]
                self._cover(cols, req.get(d, 0), w_under.get(d, 0.0), w_over.get(d, 0.0))
            days = range(DAYS_PER_WEEK * k, DAYS_PER_WEEK * k + SAT)
            cols = [self.cap[i, k] for i in range(len(inst.staff))]
            under_w = min((w_under.get(d, 0.0) for d in days), default=0.0)
            over_w = min((w_over.get(d, 0.0) for d in days), default=0.0)
            self._cover(cols, sum(req.get(d, 0) for d in days), under_w, over_w)

    def _cover(self, cols: list[int], req: int, wu: float, wo: float) -> None:
        under, over = self.col(wu, math.inf, False), self.col(wo, math.inf, False)
        self.row(req, req, [*cols, under, over], [1.0] * len(cols) + [1.0, -1.0])

    def _staff(
        self, inst: CurtoisInstance, i: int, weeks: int, on: dict[tuple[str, int], float]
    ) -> None:
        e, inf = inst.staff[i], math.inf
        off = set(inst.days_off.get(e.id, ()))
        most = window_max(e.max_consecutive, e.min_days_off)
        worked, total = [], []
        for k, (sat, sun) in enumerate(weekend_pairs(inst.horizon)):
            for d in (sat, sun):
                if d not in off:
                    self.work[i, d] = self.col(-on.get((e.id, d), 0.0), 1.0, True)
                    total.append(self.work[i, d])
            z = self.col(0.0, 1.0, True)  # the weekend is worked
            worked.append(z)
            for d in (sat, sun):
                if (i, d) in self.work:
                    self.row(-inf, 0.0, [self.work[i, d], z], [1.0, -1.0])
            free = sum(1 for d in range(DAYS_PER_WEEK * k, sat) if d not in off)
            c = self.cap[i, k] = self.col(0.0, float(min(free, most)), True)
            total.append(c)

            def on_days(*days: int, _i: int = i) -> list[int]:
                return [self.work[_i, d] for d in days if (_i, d) in self.work]

            self.row(-inf, most, [c, *on_days(sat, sun)])  # Monday–Sunday
            if k:  # Saturday–Friday and Sunday–Saturday across the week before
                self.row(-inf, most, [c, *on_days(sat - DAYS_PER_WEEK, sun - DAYS_PER_WEEK)])
                self.row(-inf, most, [c, *on_days(sun - DAYS_PER_WEEK, sat)])
        if e.max_weekends < weeks:
            self.row(-inf, e.max_weekends, worked)
        rest = sum(1 for d in range(weeks * DAYS_PER_WEEK, inst.horizon) if d not in off)
        lo = -(-e.min_minutes // max(inst.shift_minutes.values())) - rest
        hi = e.max_minutes // min(inst.shift_minutes.values())
        self.row(float(lo), float(hi), total)


def plan_weekends(
    inst: CurtoisInstance, time_limit: float
) -> tuple[dict[tuple[int, int], int], float] | None:
    """Step 1: the weekend days each person works, and the plan's objective.

    The days as {(staff index, day): 1}; the objective counts the cover per day, not per
    shift type. None when HiGHS found no plan within ``time_limit`` seconds.
    """
    m = _Plan(inst)
    h = m.solve(time_limit, rel_gap=PLAN_GAP)
    if h.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible
        return None
    x = h.getSolution().col_value
    work = {k: 1 for k, c in m.work.items() if x[c] > 0.5}
    return work, m.const + h.getInfo().objective_function_value


def assign_types(
    inst: CurtoisInstance, work: dict[tuple[int, int], int], time_limit: float
) -> dict[tuple[int, int], str] | None:
    """Step 2: the shift of each planned day, as {(staff index, day): shift}.

    The weekend model of :mod:`pks_opt.rostering.weekend_bound` on the planned days only, each
    given one shift (or left without one at a cost of ``UNASSIGNED``). None when HiGHS found
    no solution in time.
    """
    m = WeekendModel(inst, only=set(work))
    cols: dict[tuple[int, int], list[int]] = {k: [] for k in work}
    for (i, d, _s), c in m.x.items():
        cols[i, d].append(c)
    for day_cols in cols.values():
        m.row(1.0, 1.0, [*day_cols, m.col(UNASSIGNED, 1.0, False)])
    h = m.solve(time_limit)
    if h.getInfo().primal_solution_status != 2:
        return None
    x = h.getSolution().col_value
    return {(i, d): s for (i, d, s), c in m.x.items() if x[c] > 0.5}


def _unlimited(inst: CurtoisInstance, i: int) -> CurtoisInstance:
    """``inst`` with employee ``i``'s weekend limit lifted (their DP then counts none)."""
    staff = list(inst.staff)
    staff[i] = dataclasses.replace(staff[i], max_weekends=inst.horizon // DAYS_PER_WEEK)
    return dataclasses.replace(inst, staff=tuple(staff))


def _pinned(
    inst: CurtoisInstance, i: int, assign: dict[tuple[int, int], str], max_labels: int
) -> tuple[Any, np.ndarray]:
    """Employee ``i``'s pricer with the plan pinned, and the reward that holds it.

    The planned weekend days off become fixed days off and the weekend limit is lifted (the
    plan keeps it), so the dynamic program has no weekends to count. When no schedule keeps
    the rules with those days off, the plain pricer instead, with the plan as reward and
    penalty only.
    """
    from pks_opt.rostering.pricing_dp import DPPricing

    e, weekend = inst.staff[i], weekend_days(inst.horizon)
    days_off = set(inst.days_off.get(e.id, ())) | {d for d in weekend if (i, d) not in assign}
    pinned = dataclasses.replace(
        _unlimited(inst, i), days_off={**inst.days_off, e.id: tuple(sorted(days_off))}
    )
    p = DPPricing(pinned, i, max_labels=max_labels)
    extra = np.zeros((inst.horizon, len(p.r.types)))
    for d in weekend:
        if (i, d) in assign:
            extra[d, :] = PIN
            extra[d, p.r.types.index(assign[i, d])] = -PIN
    if math.isfinite(p.solve(extra)[0]):
        return p, extra
    p = DPPricing(inst, i, max_labels=max_labels)
    for d in weekend:
        if (i, d) not in assign:
            extra[d, :] = PIN
    return p, extra


class WeekendMoves:
    """Move one person's worked weekend to another week, the weekdays re-laid exactly.

    For each person, with everyone else held: the weekends they may work are a set (the ones
    worked now, one of them swapped for one not worked, or one added while under the limit),
    the other weekend days are priced out of reach, and the person's DP without a weekend
    limit (exact and fast, as for the pinned sweeps) lays their best schedule within that set.
    The best of these that beats the schedule held is kept, so the objective never rises.
    The weekends tried are the ``MOVE_TRIES`` not worked whose days the others leave most
    short, and the ``MOVE_TRIES`` worked that save least.
    """

    def __init__(self, br: Any) -> None:
        from pks_opt.rostering.pricing_dp import DPPricing

        self.br, inst = br, br.inst
        self.weeks = inst.horizon // DAYS_PER_WEEK
        self.pricers = [
            DPPricing(_unlimited(inst, i), i, max_labels=br.pricers[i].max_labels)
            for i in range(len(inst.staff))
        ]

    def improve(self, i: int) -> bool:
        """Give employee ``i`` the best of their weekend moves; True when one was better."""
        br, p, path = self.br, self.pricers[i], self.br.paths[i]
        if path is None:
            return False
        br.add(i, -1)
        try:
            new = self._best_move(i, p, br.costs(i, p), path)
            if new is not None:
                br.paths[i] = new
            return new is not None
        finally:
            br.add(i, +1)

    def _best_move(self, i: int, p: Any, cost: np.ndarray, path: list[int]) -> list[int] | None:
        wk = weekend_pairs(len(path))
        worked = {k for k, days in enumerate(wk) if any(path[d] >= 0 for d in days)}
        # what working a weekend's days saves at best (the cheapest shift of each day)
        save = [sum(max(0.0, -float(cost[d].min())) for d in days) for days in wk]
        off = set(np.nonzero(p.r.day[:, 0])[0].tolist())  # fixed days off
        outside = sorted(
            (k for k in range(self.weeks) if k not in worked and not set(wk[k]) <= off),
            key=lambda k: -save[k],
        )[:MOVE_TRIES]
        inside = sorted(worked, key=lambda k: save[k])[:MOVE_TRIES]
        moves: list[set[int]] = [worked]
        if len(worked) < self.br.inst.staff[i].max_weekends:
            moves += [worked | {a} for a in outside]
        moves += [(worked - {r}) | {a} for a in outside for r in inside]
        best = float(sum(cost[d, t] for d, t in enumerate(path) if t >= 0)) - 1e-9
        out = None
        for allowed in moves:
            barred = [d for k, days in enumerate(wk) if k not in allowed for d in days]
            extra = np.zeros_like(cost)
            extra[barred, :] = PIN
            value, new = p.solve(cost + extra)
            if new and value < best and all(new[d] < 0 for d in barred):
                best, out = value, list(new)
        return out


@dataclass
class WeekendStart:
    """What :func:`weekend_first_roster` did: the plan's value and each step's roster."""

    roster: dict[tuple[str, int], str] | None = None
    plan_value: float | None = None
    pinned_value: int | None = None
    swept_value: int | None = None
    value: int | None = None
    sweeps: int = 0
    moves: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Say what each step gave, for ``result.json`` (``weekend_plan``)."""
        return {
            "plan_value": None if self.plan_value is None else round(self.plan_value, 3),
            "pinned_value": self.pinned_value,
            "swept_value": self.swept_value,
            "value": self.value,
            "sweeps": self.sweeps,
            "moves": self.moves,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def _move_weekends(br: Any, deadline: float) -> int:
    """Sweep :class:`WeekendMoves` over the employees; the number of moves made.

    Until ``deadline``, or until a sweep gains less than ``MOVES_MIN_GAIN`` of the objective
    (the CP-SAT search then does better with the time).
    """
    from pks_opt.formats.curtois import evaluate

    def value() -> int:
        roster = br.roster()
        return 0 if roster is None else evaluate(br.inst, roster).objective

    moves, made, before = WeekendMoves(br), 0, value()
    while True:
        for i in range(len(br.inst.staff)):
            if time.perf_counter() >= deadline or interrupt.requested():
                return made
            made += moves.improve(i)
        after = value()
        if before - after < MOVES_MIN_GAIN * before:
            return made
        before = after


def weekend_first_roster(
    inst: CurtoisInstance, deadline: float, plan_s: float, types_s: float, moves_s: float = 0.0
) -> WeekendStart:
    """Plan the weekends, their shifts, then best responses around them, then weekend moves.

    The plan's MIP takes at most ``plan_s`` s, the shifts' ``types_s`` s; the sweeps go on
    until none changes or ``deadline`` (``time.perf_counter()``), the weekend moves
    (:class:`WeekendMoves`) at most ``moves_s`` s more. ``roster`` is None when a step found
    nothing in time; the caller then starts otherwise.
    """
    from pks_opt.formats.curtois import evaluate
    from pks_opt.rostering.best_response import MAX_LABELS, BestResponse

    out = WeekendStart()
    t = time.perf_counter()
    if inst.horizon < DAYS_PER_WEEK or interrupt.requested():
        return out
    plan = plan_weekends(inst, min(plan_s, deadline - t))
    out.seconds["plan"] = time.perf_counter() - t
    t = time.perf_counter()
    if plan is None or t >= deadline:
        return out
    work, out.plan_value = plan
    assign = assign_types(inst, work, min(types_s, deadline - t))
    out.seconds["types"] = time.perf_counter() - t
    if assign is None:
        return out
    t = time.perf_counter()
    br = BestResponse(inst)
    pins = [_pinned(inst, i, assign, MAX_LABELS) for i in range(len(inst.staff))]
    for pricers in (pins, None):  # pinned sweeps, then free ones
        while True:
            changed = br.sweep(deadline, pricers)
            if not changed:
                break
        roster = br.roster()
        if roster is not None and pricers is not None:
            out.pinned_value = evaluate(inst, roster).objective
        if changed is None:
            break
    out.seconds["sweeps"] = time.perf_counter() - t
    out.sweeps = br.sweeps
    if changed is not None:  # the sweeps settled: move weekends until the budget is spent
        roster = br.roster()
        out.swept_value = None if roster is None else evaluate(inst, roster).objective
        t = time.perf_counter()
        out.moves = _move_weekends(br, min(deadline, t + moves_s))
        out.seconds["moves"] = time.perf_counter() - t
    out.roster = br.roster()
    if out.roster is not None:
        out.value = evaluate(inst, out.roster).objective
    return out

"""A lower bound for long horizons from the weekends alone (Curtois & Qu benchmark files).

The benchmark objective (FORMAT.md §4) is a sum over days: each day's cover shortfall and
surplus and each day's request penalties. So the least cost of the weekend days, under only
the rules that can be read on the weekends, plus a lower bound on the cost of the other days,
is a lower bound on the whole objective. On the weekend days the model keeps:

* at most one shift a day, only the types the employee may work (``MaxShifts`` > 0), never
  on a fixed day off;
* the weekend limit (``MaxWeekends``: a weekend is worked when Saturday or Sunday is);
* each type's limit and the maximum minutes, counted over the weekend days only;
* the forbidden successions from Saturday to Sunday, and a maximum of one consecutive shift.

The rules that tie the weekends to the weekdays (minimum and maximum consecutive shifts and
days off, the minimum minutes) are left out, which is what makes it a relaxation and small:
a mixed-integer program of staff × weekend days × shift types binaries that HiGHS solves in
seconds where the column generation cannot converge. When HiGHS stops at its time limit the
bound is its proven dual bound, never the incumbent.

The other days (:func:`weekday_surplus`): an employee works at most 2 × ``MaxWeekends``
weekend shifts, so at least ⌈``MinTotalMinutes`` / longest shift⌉ minus those on the other
days; beyond the requirements of those days every such shift is surplus, at no less than the
least surplus weight. Instance22 (364 days): weekends 24 970 proven in ~10 s, weekdays 1 058,
bound 26 028 = 86 % of the optimum 30 241 (the column generation gives up after 2–5 rounds).

Used by :func:`pks_opt.rostering.colgen.solve_benchmark` when the column generation did not
converge; the better of the two bounds is reported.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from pks_opt.constants import DAYS_PER_WEEK
from pks_opt.formats.curtois import CurtoisInstance, weekend_days, weekend_pairs
from pks_opt.rostering.mip_rows import MipRows


@dataclass(frozen=True)
class WeekendBound:
    """The bound, whether HiGHS proved its weekend model optimal, and the wall seconds."""

    value: float
    optimal: bool
    seconds: float


class WeekendModel(MipRows):
    """The weekend model, with a constant for the on-requests.

    ``only``: when given, the (staff index, day) pairs that may be worked at all.
    """

    def __init__(self, inst: CurtoisInstance, only: set[tuple[int, int]] | None = None) -> None:
        super().__init__()
        self.const = 0.0
        self.x: dict[tuple[int, int, str], int] = {}  # (staff index, day, shift) → column
        self.only = only
        self._build(inst)

    def _build(self, inst: CurtoisInstance) -> None:
        weeks = inst.horizon // DAYS_PER_WEEK
        days = weekend_days(inst.horizon)
        day_set = set(days)
        pen: dict[tuple[str, int, str], float] = {}
        for e_id, d, s, w in inst.on_requests:
            if d in day_set:
                self.const += w
                pen[e_id, d, s] = pen.get((e_id, d, s), 0.0) - w
        for e_id, d, s, w in inst.off_requests:
            if d in day_set:
                pen[e_id, d, s] = pen.get((e_id, d, s), 0.0) + w
        inf = math.inf
        for i, e in enumerate(inst.staff):
            off = set(inst.days_off.get(e.id, ()))
            types = [s for s in inst.shift_minutes if e.max_shifts.get(s, 0) > 0]
            mine: list[tuple[str, int]] = []  # (shift, column) of this employee
            for d in days:
                if d not in off and (self.only is None or (i, d) in self.only):
                    for s in types:
                        self.x[i, d, s] = self.col(pen.get((e.id, d, s), 0.0), 1.0, True)
                        mine.append((s, self.x[i, d, s]))
            self._staff_rows(inst, i, weeks, types, mine)
        for d, s, req, wu, wo in inst.cover:
            if d in day_set:
                under, over = self.col(float(wu), inf, False), self.col(float(wo), inf, False)
                cols = [self.x[i, d, s] for i in range(len(inst.staff)) if (i, d, s) in self.x]
                self.row(req, req, [*cols, under, over], [1.0] * len(cols) + [1.0, -1.0])

    def _staff_rows(
        self,
        inst: CurtoisInstance,
        i: int,
        weeks: int,
        types: list[str],
        mine: list[tuple[str, int]],
    ) -> None:
        """One employee's weekend, type, minutes and succession rows (``mine``: their columns)."""
        e, x = inst.staff[i], self.x
        worked = []
        for sat, sun in weekend_pairs(inst.horizon):
            w = self.col(0.0, 1.0, True)
            worked.append(w)
            for d in (sat, sun):
                cols = [x[i, d, s] for s in types if (i, d, s) in x]
                self.row(-math.inf, 0.0, [*cols, w], [1.0] * len(cols) + [-1.0])
            if e.max_consecutive < 2:
                self.row(
                    -math.inf,
                    1.0,
                    [x[i, d, s] for d in (sat, sun) for s in types if (i, d, s) in x],
                )
            for s1 in types:
                after = [
                    x[i, sun, s2] for s2 in inst.cannot_follow.get(s1, ()) if (i, sun, s2) in x
                ]
                if (i, sat, s1) in x and after:
                    self.row(-math.inf, 1.0, [x[i, sat, s1], *after])
        if e.max_weekends < weeks:
            self.row(-math.inf, e.max_weekends, worked)
        for s in types:
            cols = [c for t, c in mine if t == s]
            if e.max_shifts[s] < len(cols):
                self.row(-math.inf, e.max_shifts[s], cols)
        minutes = [float(inst.shift_minutes[s]) for s, _c in mine]
        if sum(minutes) > e.max_minutes:
            self.row(-math.inf, e.max_minutes, [c for _s, c in mine], minutes)


def weekday_surplus(inst: CurtoisInstance) -> float:
    """Bound the cost of the days outside whole weekends by the surplus the minimum forces.

    0 when a cover line is missing on such a day (a shift there may then cost nothing).
    """
    weekend = set(weekend_days(inst.horizon))
    lines = {(d, s): (req, wo) for d, s, req, _wu, wo in inst.cover if d not in weekend}
    if len(lines) < (inst.horizon - len(weekend)) * len(inst.shift_minutes):
        return 0.0
    longest = max(inst.shift_minutes.values())
    forced = 0
    for e in inst.staff:
        off = set(inst.days_off.get(e.id, ()))
        at_weekends = min(2 * e.max_weekends, len(weekend - off))
        forced += max(0, -(-e.min_minutes // longest) - at_weekends)
    room = sum(req for req, _wo in lines.values())
    return float(min((wo for _req, wo in lines.values()), default=0) * max(0, forced - room))


def weekend_bound(inst: CurtoisInstance, time_limit: float) -> WeekendBound:
    """Solve the weekend relaxation for at most ``time_limit`` wall seconds; its proven bound.

    ``value`` is ``-inf`` when the horizon has no whole week or HiGHS proved nothing in time.
    """
    import highspy

    t0 = time.perf_counter()
    if inst.horizon < DAYS_PER_WEEK:
        return WeekendBound(-math.inf, False, 0.0)
    m = WeekendModel(inst)
    h = m.solve(time_limit - (time.perf_counter() - t0))
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    dual = h.getInfo().mip_dual_bound  # the model is never infeasible: all off is a roster
    if not math.isfinite(dual):
        return WeekendBound(-math.inf, False, time.perf_counter() - t0)
    value = m.const + dual + weekday_surplus(inst)
    return WeekendBound(value, optimal, time.perf_counter() - t0)

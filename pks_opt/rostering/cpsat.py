"""The rostering model in OR-Tools CP-SAT and its lexicographic ("big rocks first") solve.

:class:`RosterModel` builds variables and one short method per rule of ``models/rostering.md``
(R1…R12); :func:`solve_roster` runs the stages — tier-1 shortfall, keep, tier-2 shortfall, keep,
then tier-3 shortfall + over-staffing + wishes + fairness + target hours — each hinted with the
previous stage's roster. With ``rules.lexicographic = False`` (the Curtois benchmark) there is
one weighted stage. OR-Tools is imported lazily.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pks_opt import interrupt, progress
from pks_opt.constants import MINUTES_PER_DAY, MINUTES_PER_HOUR, NIGHT
from pks_opt.result import SolveStatus, StageReport
from pks_opt.rostering.data import RosterData
from pks_opt.rostering.search import (
    Lns,
    LnsRun,
    Stop,
    construct,
    hit_wall_guard,
    progress_printer,
)
from pks_opt.rostering.solution import evaluate_roster
from pks_opt.stages import Adapter, Outcome, Stage, TimeSplit, cp_status, exact, run_stages

STAGE_TIER1 = "tier-1 shortfall"
STAGE_TIER2 = "tier-2 shortfall"
STAGE_REST = "tier-3 + wishes + fairness + target hours"
STAGE_SINGLE = "weighted objective"
SOLVER_NAME = "cp-sat"


#: a deterministic call's wall-clock safety net, × its deterministic budget: CP-SAT runs 1.5-3.7
#: wall s per deterministic s here when idle, so the net is hit only under a load of ~10× that
#: (it was 6, and a run under CPU load hit it and came out different: objective 10 against 5)
WALL_GUARD_FACTOR = 30.0


@dataclass(frozen=True)
class SolveOptions:
    """How to run CP-SAT.

    ``time_limit_s`` is the total for all stages: each stage gets the time still left divided
    by the number of stages still to run, so time a stage does not use passes to the next.

    With ``deterministic`` (the default) every CP-SAT call has a *deterministic* time limit
    (CP-SAT's work units) and LNS rounds are merged in a fixed order, so the same data, seed
    and workers give the same roster whatever the machine load. Work units are not wall
    seconds: at LP level 2 (full search and LNS sub-problems) CP-SAT runs 1.5-3.7 wall s per
    deterministic s on these models on this machine. A wall-clock limit of ``wall_factor`` ×
    each call's share guards against overrun; if it is ever hit, the run is reported as not
    repeatable in the result's warnings. Without ``deterministic`` every limit is wall-clock.

    ``lns`` (default): greedy start, then per stage full search beside LNS (see
    :func:`solve_roster`). Without it, the earlier two-phase interleaved search, where
    ``hint``: after a first half-share searched from scratch, spend the rest of a stage's
    share hinted with the best roster so far. Measured on ``instances/ward-roster`` (2
    workers, 8 deterministic s on tier 2): hint only → 133 short shifts, no hint → 1
    (proven). Every stage keeps the previous roster when its own is not better.
    """

    time_limit_s: float = 60.0
    seed: int = 0
    workers: int = 2
    deterministic: bool = True
    progress: bool = False
    wall_factor: float = WALL_GUARD_FACTOR
    hint: bool = True
    lns: bool = True
    #: share of each LNS stage for the full search (phase 1); None: :func:`full_share`
    full_share: float | None = None
    #: a proven lower bound on the last stage from outside (column generation): the search
    #: stops when it reaches it, and the stage's bound is at least this
    lower_bound: float = -math.inf
    #: benchmark files in wall-clock mode: column generation, a dive, then this engine
    #: (:mod:`pks_opt.rostering.colgen`); False: this engine alone
    column_generation: bool = True


@dataclass
class RosterSolution:
    """What the staged solve returns: the roster and per-stage reports."""

    status: SolveStatus
    assignment: dict[tuple[str, int], tuple[str, str]]  # (staff, day) -> (shift, competence)
    stages: list[StageReport] = field(default_factory=list)
    stage_values: dict[str, float] = field(default_factory=dict)  # solver's own values
    runtime_s: float = 0.0
    repeatable: bool = True
    num_variables: int = 0


class RosterModel:
    """CP-SAT model of a :class:`RosterData` (built in ``__init__``)."""

    def __init__(self, data: RosterData, *, span_rows: bool = False) -> None:
        """Build the roster model of ``data``.

        ``span_rows``: R7 with cmax + omin day windows (see :meth:`_max_consecutive_days`); used
        for the one-person models of the greedy start only.
        """
        from ortools.sat.python import cp_model

        self.cp: Any = cp_model
        self.data = data
        self.span_rows = span_rows
        self.m: Any = cp_model.CpModel()
        self.shift = {s.id: s for s in data.shifts}
        self.absent = {(a.staff, a.day) for a in data.absences}
        self.pinned = {(p.staff, p.day): p.shift for p in data.pins}
        self.x: dict[tuple[str, int, str], Any] = {}
        self.role: dict[tuple[str, int, str, str], Any] = {}  # (e,d,s,c) -> literal
        self.work: dict[tuple[str, int], Any] = {}
        self.under: dict[int, Any] = {}  # demand index -> int var
        self.named_under: dict[int, Any] = {}  # named-demand index -> bool var
        self.over: dict[tuple[int, str, str], Any] = {}
        self.terms: dict[str, list[tuple[int, Any]]] = {}
        self._variables()
        self._constraints()
        self._objective_terms()

    # ------------------------------------------------------------------ variables

    def _variables(self) -> None:
        """x[e,d,s] exists when e is not absent, may work s, and has a competence demanded."""
        d_comp: dict[tuple[int, str], set[str]] = {}
        for dm in self.data.demand:
            d_comp.setdefault((dm.day, dm.shift), set()).add(dm.competence)
        for e in self.data.staff:
            comps = set(e.competences)
            for d in range(self.data.num_days):
                if (e.id, d) in self.absent:
                    continue
                pin = self.pinned.get((e.id, d), "")
                for s in self.data.shifts:
                    if e.max_shifts.get(s.id, 1) <= 0 and pin != s.id:
                        continue
                    roles = sorted(comps & d_comp.get((d, s.id), set()))
                    if not roles and pin != s.id:
                        continue
                    if not roles:
                        roles = [e.competences[0]]
                    x = self.m.NewBoolVar(f"x[{e.id},day={d},shift={s.id}]")
                    self.x[e.id, d, s.id] = x
                    if len(roles) == 1:
                        self.role[e.id, d, s.id, roles[0]] = x
                    else:
                        lits = []
                        for c in roles:
                            y = self.m.NewBoolVar(f"role[{e.id},day={d},shift={s.id},skill={c}]")
                            self.role[e.id, d, s.id, c] = y
                            lits.append(y)
                        self.m.Add(sum(lits) == x)
                day_x = [self.x[k] for k in self._day_keys(e.id, d)]
                if day_x:
                    w = self.m.NewBoolVar(f"work[{e.id},day={d}]")
                    self.m.Add(sum(day_x) == w)  # (R1) at most one shift a day
                    self.work[e.id, d] = w

    def _day_keys(self, e: str, d: int) -> list[tuple[str, int, str]]:
        return [(e, d, s.id) for s in self.data.shifts if (e, d, s.id) in self.x]

    def w(self, e: str, d: int) -> Any:
        """Work literal of e on d, or 0 when e cannot work that day."""
        return self.work.get((e, d), 0)

    # ------------------------------------------------------------------ constraints

    def _constraints(self) -> None:
        self._pins()
        self._cover()
        self._named_cover()
        self._max_shifts_per_type()
        self._successions()
        self._total_minutes()
        self._max_consecutive_days()
        self._min_runs()
        self._max_weekends()
        self._weekly_rest()

    def _pins(self) -> None:
        """(R2) Pinned assignments (a published part of the roster) are fixed."""
        for (e, d), s in self.pinned.items():
            if s is None:
                if (e, d) in self.work:
                    self.m.Add(self.work[e, d] == 0)
            else:
                self.m.Add(self.x[e, d, s] == 1)

    def _cover(self) -> None:
        """(R3) Cover per date × shift × competence; tiers of one cell fill in tier order."""
        groups: dict[tuple[int, str, str], list[int]] = {}
        for i, dm in enumerate(self.data.demand):
            groups.setdefault((dm.day, dm.shift, dm.competence), []).append(i)
        n_staff = len(self.data.staff)
        cell: dict[tuple[int, str, str], list[Any]] = {}
        for (_e, dd, ss, cc), v in self.role.items():
            cell.setdefault((dd, ss, cc), []).append(v)
        for (d, s, c), idx in groups.items():
            idx.sort(key=lambda i: (self.data.demand[i].tier, -self.data.demand[i].weight_under))
            lits = cell.get((d, s, c), [])
            n = sum(lits) if lits else 0
            # Bounded, not exact: sum of the first k rows' shortfall >= their demand - n.
            # An exact max() per prefix made tier 1 much harder to search (ward-roster: 0 in
            # 2.8 deterministic s bounded, still 10 short after 10 s exact). The bound keeps
            # tier order safe: the model's tier-1 figure is never below the true (tier-1-first)
            # count, so a kept tier-1 value is never exceeded by the real roster.
            prefix_req = 0
            prefix_under: list[Any] = []
            for i in idx:
                dm = self.data.demand[i]
                tag = f"day={d},shift={s},skill={c},tier={dm.tier}"
                u = self.m.NewIntVar(0, dm.required, f"shortfall[{tag}]")
                self.under[i] = u
                prefix_req += dm.required
                prefix_under.append(u)
                self.m.Add(sum(prefix_under) + n >= prefix_req)
            o = self.m.NewIntVar(0, n_staff, f"over[day={d},shift={s},skill={c}]")
            self.m.Add(o >= n - prefix_req)
            self.over[d, s, c] = o

    def _named_cover(self) -> None:
        """(R3b) A named person the level above asked for works that shift in that role."""
        for i, nd in enumerate(self.data.named_demand):
            u = self.m.NewBoolVar(
                f"named_shortfall[day={nd.day},shift={nd.shift},skill={nd.competence},"
                f"staff={nd.staff}]"
            )
            lit = self.role.get((nd.staff, nd.day, nd.shift, nd.competence))
            if lit is None:  # absent, or may not work it: short whatever the roster
                self.m.Add(u == 1)
            else:
                self.m.AddBoolOr([u, lit])
            self.named_under[i] = u

    def _max_shifts_per_type(self) -> None:
        """(R4) At most max_shifts[e][s] shifts of type s over the horizon."""
        for e in self.data.staff:
            for s, limit in e.max_shifts.items():
                xs = [
                    self.x[e.id, d, s] for d in range(self.data.num_days) if (e.id, d, s) in self.x
                ]
                if len(xs) > limit:
                    self.m.Add(sum(xs) <= limit)

    def _successions(self) -> None:
        """(R5) Forbidden successions (daily rest on clock times, or the benchmark's lists)."""
        for e in self.data.staff:
            for f in self.data.forbidden:
                for d in range(self.data.num_days - f.gap_days):
                    a = self.x.get((e.id, d, f.first))
                    b = self.x.get((e.id, d + f.gap_days, f.second))
                    if a is not None and b is not None:
                        self.m.AddBoolOr([a.Not(), b.Not()])

    def minutes(self, e: str) -> Any:
        """Build the sum of paid minutes of staff member ``e`` over the horizon."""
        return sum(self.shift[s].paid_minutes * v for (ee, _d, s), v in self.x.items() if ee == e)

    def _total_minutes(self) -> None:
        """(R6) Min/max paid minutes over the horizon (max: the average weekly hours cap)."""
        for e in self.data.staff:
            total = self.minutes(e.id)
            if e.max_minutes is not None:
                self.m.Add(total <= e.max_minutes)
            if e.min_minutes is not None:
                self.m.Add(total >= e.min_minutes)

    def _max_consecutive_days(self) -> None:
        """Add R7: every window of cmax+1 days holds a day off (runs at the edges included).

        With ``span_rows`` and min days off omin ≥ 2: every cmax + omin days hold ≤ cmax working
        days instead (stronger).
        """
        h = self.data.num_days
        for e in self.data.staff:
            cmax = e.max_consecutive_days
            if cmax is None or cmax >= h:
                continue
            # With ``span_rows`` and min days off omin ≥ 2 between runs, any cmax + omin days
            # inside the horizon hold at most cmax working days (more would need a run longer
            # than cmax or an inner break shorter than omin, R8). These rows imply the
            # cmax + 1 ones (every cmax + 1 days lie inside cmax + omin days of the horizon)
            # and replace them. They give CP-SAT the global count for one person: a Curtois
            # Instance22 person (364 days, 232-234 shifts) goes from no roster in 5 s to
            # proven optimal in 2-4 s. In the whole model they cost: Instance12 in 60 s
            # ended at 4732-4929 with bound 23 with them, 4617 with bound 2551 without.
            omin = e.min_consecutive_days_off
            span = cmax + omin if self.span_rows and omin >= 2 and cmax + omin <= h else cmax + 1
            for d0 in range(h - span + 1):
                ws = [self.work[e.id, d] for d in range(d0, d0 + span) if (e.id, d) in self.work]
                if len(ws) > cmax:
                    self.m.Add(sum(ws) <= cmax)

    def _min_runs(self) -> None:
        """(R8) Min consecutive working days / days off, only for runs inside the horizon.

        Forbid off-on^k-off (k < cmin) and on-off^k-on (k < omin) with both ends in the horizon.
        """
        h = self.data.num_days
        for e in self.data.staff:
            for k_min, on in ((e.min_consecutive_days, True), (e.min_consecutive_days_off, False)):
                for k in range(1, k_min):
                    for d in range(1, h - k):
                        clause = self._pattern_clause(e.id, d - 1, d, d + k, on)
                        if clause is not None:
                            self.m.AddBoolOr(clause)

    def _pattern_clause(
        self, e: str, before: int, first: int, after: int, on: bool
    ) -> list[Any] | None:
        """Build the clause that forbids one run pattern.

        ``before`` and ``after`` in the other state and the days between in ``on``.
        """
        lits: list[Any] = []
        for d, want_on in [
            (before, not on),
            *((dd, on) for dd in range(first, after)),
            (after, not on),
        ]:
            w = self.work.get((e, d))
            if w is None:  # cannot work that day: the state is "off"
                if want_on:
                    return None  # the pattern can never occur
                continue
            lits.append(w.Not() if want_on else w)
        return lits

    def _max_weekends(self) -> None:
        """(R9) At most max_weekends worked weekends (a shift on Saturday or Sunday)."""
        self.weekend_lits: dict[str, list[Any]] = {}
        for e in self.data.staff:
            lits = []
            for wi, days in enumerate(self.data.weekends()):
                ws = [self.work[e.id, d] for d in days if (e.id, d) in self.work]
                if not ws:
                    continue
                k = self.m.NewBoolVar(f"weekend[{e.id},{wi}]")
                for w in ws:
                    self.m.AddImplication(w, k)
                self.m.AddBoolOr([w for w in ws] + [k.Not()])
                lits.append(k)
            self.weekend_lits[e.id] = lits
            if e.max_weekends is not None and len(lits) > e.max_weekends:
                self.m.Add(sum(lits) <= e.max_weekends)

    def _weekly_rest(self) -> None:
        """(R10) In every 7-day period a continuous rest of ≥ weekly_rest_minutes inside it.

        Periods: calendar weeks from Monday 00:00 (default) or every midnight (``rolling``);
        see ``RosterData.weekly_rest_starts``.

        Candidate rests start at the window start or at the end of a shift (a longest rest can
        always be slid back to one of these); ``rest[e,t]`` forbids every shift that overlaps
        ``[t, t + R)``, and each window needs one candidate inside it.
        """
        rest = self.data.rules.weekly_rest_minutes
        span = 7 * MINUTES_PER_DAY
        windows = self.data.weekly_rest_starts()
        if rest <= 0 or not windows or any(s.start_minute is None for s in self.data.shifts):
            return
        for e in self.data.staff:
            keys = [k for k in self.x if k[0] == e.id]
            if not keys:
                continue
            intervals = {
                k: (
                    k[1] * MINUTES_PER_DAY + (self.shift[k[2]].start_minute or 0),
                    k[1] * MINUTES_PER_DAY + (self.shift[k[2]].end_minute or 0),
                )
                for k in keys
            }
            starts = {d * MINUTES_PER_DAY for d in windows} | {b for (_a, b) in intervals.values()}
            cand: dict[int, Any] = {}
            for t in sorted(starts):
                overl = [self.x[k] for k, (a, b) in intervals.items() if a < t + rest and b > t]
                lit = self.m.NewBoolVar(f"weekly_rest[{e.id},t={t}]")
                for v in overl:
                    self.m.AddImplication(lit, v.Not())
                cand[t] = lit
            for d0 in windows:
                w0, w1 = d0 * MINUTES_PER_DAY, d0 * MINUTES_PER_DAY + span
                inside = [lit for t, lit in cand.items() if t >= w0 and t + rest <= w1]
                self.m.AddBoolOr(inside)

    # ------------------------------------------------------------------ objective terms

    def _objective_terms(self) -> None:
        """Named terms (weight, expression) per stage; see models/rostering.md §Objective."""
        t: dict[str, list[tuple[int, Any]]] = {
            "tier1": [],
            "tier2": [],
            "tier3": [],
            "over": [],
            "wishes": [],
            "fairness": [],
            "target": [],
            "isolated": [],
        }
        for i, u in self.under.items():
            dm = self.data.demand[i]
            t[f"tier{dm.tier}"].append((dm.weight_under, u))
        for i, u in self.named_under.items():
            nd = self.data.named_demand[i]
            t[f"tier{nd.tier}"].append((nd.weight_under, u))
        over_w: dict[tuple[int, str, str], int] = {}
        for dm in self.data.demand:
            key = (dm.day, dm.shift, dm.competence)
            over_w[key] = max(over_w.get(key, 0), dm.weight_over)
        for key, o in self.over.items():
            if over_w.get(key, 0):
                t["over"].append((over_w[key], o))
        for wi in self.data.wishes:
            lit: Any
            if wi.shift is None:
                lit = self.work.get((wi.staff, wi.day), 0)
            else:
                lit = self.x.get((wi.staff, wi.day, wi.shift), 0)
            # penalty = weight when the wish is not met
            if isinstance(lit, int):
                if (lit == 1) != wi.work and wi.weight:
                    t["wishes"].append((wi.weight, 1))
            else:
                t["wishes"].append((wi.weight, (1 - lit) if wi.work else lit))
        self._fairness(t["fairness"])
        self._target(t["target"])
        self._isolated(t["isolated"])
        self._isolated_off(t["isolated"])
        self.terms = t

    def _fairness(self, out: list[tuple[int, Any]]) -> None:
        """(R11) Spread of nights and of worked weekends: max − min among those who may."""
        weight = self.data.rules.fairness_weight
        if not weight:
            return
        nights = [s.id for s in self.data.shifts if s.category == NIGHT]
        counts_n = []
        for e in self.data.staff:
            xs = [self.x[k] for k in self.x if k[0] == e.id and k[2] in nights]
            if xs:
                counts_n.append(sum(xs))
        counts_w = [sum(v) for v in self.weekend_lits.values() if v]
        for name, counts in (("nights", counts_n), ("weekends", counts_w)):
            if len(counts) < 2:
                continue
            hi = self.m.NewIntVar(0, self.data.num_days, f"fair_max[{name}]")
            lo = self.m.NewIntVar(0, self.data.num_days, f"fair_min[{name}]")
            self.m.AddMaxEquality(hi, counts)
            self.m.AddMinEquality(lo, counts)
            out.append((weight, hi - lo))

    def _target(self, out: list[tuple[int, Any]]) -> None:
        """Add R12: whole hours outside target ± tolerance, per person.

        With ``target_outside_weight`` also a charge per person outside it at all.
        """
        weight = self.data.rules.target_weight_per_hour
        per_person = self.data.rules.target_outside_weight
        if not weight and not per_person:
            return
        most = self.data.num_days * 24
        for e in self.data.staff:
            if e.target_minutes is None:
                continue
            total = self.minutes(e.id)
            dev = self.m.NewIntVar(0, most, f"target_dev_hours[{e.id}]")
            self.m.Add(MINUTES_PER_HOUR * dev >= total - e.target_minutes - e.tolerance_minutes)
            self.m.Add(MINUTES_PER_HOUR * dev >= e.target_minutes - e.tolerance_minutes - total)
            if weight:
                out.append((weight, dev))
            if per_person:
                outside = self.m.NewBoolVar(f"target_outside[{e.id}]")
                self.m.Add(dev <= most * outside)
                out.append((per_person, outside))

    def _isolated(self, out: list[tuple[int, Any]]) -> None:
        """Add R13, isolated working days: iso[e,d] ≥ work[d] − work[d−1] − work[d+1].

        For the days with both neighbours in the horizon (a day e cannot work counts as off).
        """
        weight = self.data.rules.isolated_work_day_weight
        if not weight:
            return
        for e in self.data.staff:
            for d in range(1, self.data.num_days - 1):
                w = self.work.get((e.id, d))
                if w is None:
                    continue
                iso = self.m.NewBoolVar(f"isolated[{e.id},day={d}]")
                self.m.Add(iso >= w - self.w(e.id, d - 1) - self.w(e.id, d + 1))
                out.append((weight, iso))

    def _isolated_off(self, out: list[tuple[int, Any]]) -> None:
        """Add R14, isolated days off: off[e,d] ≥ work[d−1] + work[d+1] − work[d] − 1.

        For the days e could work, with both neighbours in the horizon.
        """
        weight = self.data.rules.isolated_day_off_weight
        if not weight:
            return
        for e in self.data.staff:
            for d in range(1, self.data.num_days - 1):
                w = self.work.get((e.id, d))
                if w is None:
                    continue
                lone = self.m.NewBoolVar(f"isolated_off[{e.id},day={d}]")
                self.m.Add(lone >= self.w(e.id, d - 1) + self.w(e.id, d + 1) - w - 1)
                out.append((weight, lone))

    def roster_of(self, solution: Any) -> dict[tuple[str, int], tuple[str, str]]:
        """(staff, day) -> (shift, competence) from a full CP-SAT solution vector."""
        return {(e, d): (s, c) for (e, d, s, c), lit in self.role.items() if solution[lit.Index()]}

    def stage_exprs(self) -> list[tuple[str, Any]]:
        """List the stages as (name, objective): the three tiers, or one weighted stage."""

        def expr(*names: str) -> Any:
            return sum(w * v for n in names for (w, v) in self.terms[n])

        if not self.data.rules.lexicographic:
            return [(STAGE_SINGLE, expr(*self.terms))]
        return [
            (STAGE_TIER1, expr("tier1")),
            (STAGE_TIER2, expr("tier2")),
            (STAGE_REST, expr("tier3", "over", "wishes", "fairness", "target", "isolated")),
        ]


class _Progress:
    """Factory of a CP-SAT solution callback for the live progress line.

    The callback shows the best roster so far and its bound.
    """

    def __init__(self, cp_model: Any, stage: str) -> None:

        class Cb(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()

            def on_solution_callback(self) -> None:  # the live line (pks_opt.progress)
                progress.best_so_far(stage, self.ObjectiveValue(), self.BestObjectiveBound())

        self.callback = Cb()


def solve_roster(
    data: RosterData,
    options: SolveOptions = SolveOptions(),
    *,
    model: RosterModel | None = None,
    on_stage: Callable[[StageReport], None] | None = None,
    start: dict[tuple[str, int], tuple[str, str]] | None = None,
) -> RosterSolution:
    """Build (unless given) and solve the model stage by stage on the one stage driver.

    The driver is :func:`pks_opt.stages.run_stages`.

    With ``options.lns`` (the default): a greedy start (:func:`search.construct`) — the
    solution that exists before stage 1 — then per stage the full CP-SAT search beside LNS,
    then LNS on all workers (:meth:`_StageRun.lns_stage`); the best roster by its recomputed
    value is kept. Without ``options.lns`` (or without a greedy start): the earlier two-phase
    interleaved search (see :class:`SolveOptions`). Each stage's value is held exactly for
    the next; the last is not added to the model. A ``start`` roster (from column generation,
    :mod:`pks_opt.rostering.colgen`) replaces the greedy start.
    """
    t0 = time.perf_counter()
    rm = model or RosterModel(data)
    st = _StageRun(data, rm, options)
    if not options.deterministic:  # wall-clock: building the model counts against the limit
        st.used += time.perf_counter() - t0
    if start is not None:
        st.assignment, st.have_roster = dict(start), True
        st.hint = _hint_of(rm, st.assignment)
    elif options.lns:
        st.greedy_start()
    run = run_stages(
        [Stage(name, expr) for name, expr in rm.stage_exprs()],
        st,
        TimeSplit(options.time_limit_s, MIN_STAGE_S),
        exact,
        on_stage=on_stage,
        started=st.have_roster,
        hold_last=False,
    )
    return RosterSolution(
        run.status,
        st.assignment if st.have_roster else {},
        run.reports,
        st.values,
        time.perf_counter() - t0,
        st.repeatable,
        len(rm.x),
    )


#: share of the time limit the greedy start may use at most (it usually needs far less)
START_SHARE_OF_TIME = 0.3
#: ... and at most this share with the retries of people who found no roster in their part
START_CAP_OF_TIME = 0.5
#: the least time a stage gets, whatever the stages before it used
MIN_STAGE_S = 0.05


def _hint_of(rm: RosterModel, assignment: dict[tuple[str, int], tuple[str, str]]) -> list[int]:
    """Hint every shift and role literal of ``rm`` from a roster (a complete-enough hint)."""
    vals = [0] * len(rm.m.Proto().variables)
    for (e, d, s, c), lit in rm.role.items():
        if assignment.get((e, d)) == (s, c):
            vals[lit.Index()] = 1
            vals[rm.x[e, d, s].Index()] = 1
    return vals


def _report(name: str, value: float, bound: float, spent: float, proven: bool) -> StageReport:
    """Report a stage: OPTIMAL when proven or when the value reaches the bound.

    Every stage is a sum of non-negative weights (validated) times non-negative counts
    (shortfalls, over-cover, broken wishes, max − min, hours outside the target, isolated
    days), so 0 is a valid bound: CP-SAT's own bound of a relaxation can be below it ("cannot
    be better than −15" was printed for the ward's last stage).
    """
    bound = max(bound, 0.0)
    proven = proven or value <= bound + 1e-9
    status = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
    return StageReport(name, status, float(value), float(bound), spent)


@dataclass(frozen=True)
class _Full:
    """What the full CP-SAT search of a stage gave (``solution`` None without one)."""

    det: float
    bound: float
    proven: bool
    solution: list[int] | None
    objective: float


class _StageRun(Adapter):
    """The roster's adapter for the stage driver.

    It carries from stage to stage the roster so far, its hint, the solver's own stage values
    and the budget used (deterministic or wall seconds).
    """

    solver_name = SOLVER_NAME

    def __init__(self, data: RosterData, rm: RosterModel, options: SolveOptions) -> None:
        super().__init__()
        self.data, self.rm, self.options = data, rm, options
        self.values: dict[str, float] = {}
        self.assignment: dict[tuple[str, int], tuple[str, str]] = {}
        self.hint: list[int] = []
        self.have_roster = False
        self.repeatable = True
        self.used = 0.0  # deterministic seconds (or wall seconds) used so far
        self.last_stage = STAGE_REST if data.rules.lexicographic else STAGE_SINGLE

    # ---------------------------------------------------------------- the driver's hooks

    def used_s(self) -> float:
        return self.used

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        share = self.options.time_limit_s if budget_s is None else budget_s
        self.rm.m.Minimize(stage.objective)
        if self.options.lns and self.have_roster:
            report = self.lns_stage(stage.name, share)
        else:
            report = self.plain_stage(stage.name, share)
        outside = self.options.lower_bound
        if stage.name == self.last_stage and outside > report.bound and report.status.has_solution:
            # a bound proven outside (column generation) holds for this stage too
            proven = report.status is SolveStatus.OPTIMAL
            report = _report(stage.name, report.objective, outside, report.runtime_s, proven)
        return Outcome(report.status, report.objective, report.bound, report.runtime_s, SOLVER_NAME)

    def value(self, expr: Any) -> float:
        raise NotImplementedError("the roster's stages hold their own objective")

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        """Keep: later stages may not worsen the stage's value (held exactly)."""
        if not isinstance(expr, int):  # a stage without terms holds itself
            self.rm.m.Add(expr <= int(round(upper)))

    # ---------------------------------------------------------------- the search

    def greedy_start(self) -> None:
        """Find the roster before stage 1 (:func:`search.construct`), when it finds one."""
        limit = self.options.time_limit_s
        start, spent, guard_hit = construct(
            self.data, self.options, limit * START_SHARE_OF_TIME, limit * START_CAP_OF_TIME
        )
        self.used += spent
        self.repeatable = not guard_hit
        if start is not None:
            self.assignment, self.have_roster = start, True
            self.hint = _hint_of(self.rm, start)

    def value_of(self, assignment: dict[tuple[str, int], tuple[str, str]], name: str) -> float:
        """Recompute the roster's true stage value without the solver."""
        return evaluate_roster(self.data, assignment).stage_values(self.data.rules.lexicographic)[
            name
        ]

    def _guard(self, solver: Any, code: Any) -> None:
        if hit_wall_guard(self.rm.cp, solver, code, self.options):
            self.repeatable = False

    def lns_stage(self, name: str, share: float) -> StageReport:
        """Full search (bound, proof) and LNS from the roster so far, then LNS on all cores.

        Phase 1 (``FULL_SHARE`` of the stage): the full CP-SAT search, hinted with the roster
        so far, on ``workers − 1`` workers (LP level 2: it gives the bound and can prove
        optimality) beside one LNS thread; with one worker the two run one after the other.
        A proof ends the stage. Phase 2: LNS on ``workers`` threads from the better roster.
        """
        w0 = time.perf_counter()
        start_value = self.value_of(self.assignment, name)
        lns = Lns(self.rm, self.options)
        if name == self.last_stage:
            lns.lower = max(lns.lower, self.options.lower_bound)
        if start_value <= lns.lower + 1e-9:  # the roster so far cannot be beaten: proven
            self.values[name] = round(start_value)
            return _report(name, start_value, lns.lower, time.perf_counter() - w0, True)
        show = progress_printer(name, self.options.progress)
        start = LnsRun(lns.values_of(self.assignment), start_value)
        phase1 = share * full_share(self.rm, self.options)
        if phase1 > 0:
            full, first, used = self._phase_one(name, lns, start, phase1, show)
        else:  # no full search (the bound comes from outside): LNS on all workers
            full, first, used = _Full(0.0, -math.inf, False, None, math.inf), start, 0.0
        cands, bound, proven, used = self._phase_two(lns, full, first, share, used, show)
        self.used += used if self.options.deterministic else time.perf_counter() - w0
        if lns.guard_hit:
            self.repeatable = False
        value = self._keep_best(name, start_value, cands)
        return _report(name, value, bound, time.perf_counter() - w0, proven)

    def _phase_one(
        self, name: str, lns: Lns, start: LnsRun, budget: float, show: Any
    ) -> tuple[_Full, LnsRun, float]:
        """Run the full search on ``workers − 1`` workers beside one LNS thread.

        One worker: the full search only (the LNS runs in phase 2). Returns it, the LNS run, the
        time used.
        """
        stop = Stop()
        box: dict[str, LnsRun] = {}
        failed: list[BaseException] = []

        def run_lns() -> None:
            try:
                box["run"] = lns.run(start, budget, stop, show)
            except BaseException as exc:  # re-raised below, in this thread
                failed.append(exc)

        worker = None
        if self.options.workers >= 2:
            worker = threading.Thread(target=run_lns, daemon=True)
            worker.start()
        full = self._full_search(name, budget)
        if full.proven:  # the LNS may go on up to the same (deterministic) time, not further
            stop.at = full.det if self.options.deterministic else 0.0
        if worker is None:
            return full, start, full.det
        worker.join()
        if failed:
            raise failed[0]
        return full, box["run"], max(full.det, box["run"].used)

    def _full_search(self, name: str, budget: float) -> _Full:
        """Run the full CP-SAT search at LP level 2, hinted with the roster so far."""
        workers = max(1, self.options.workers - 1)
        solver, code, _wall, det = _run(
            self.rm, budget, self.options, name, hint=self.hint, workers=workers, lp_level=2
        )
        self._guard(solver, code)
        status = cp_status(code, self.rm.cp)
        if not status.has_solution:  # a bound only when stopped by time (not infeasible)
            bound = -math.inf if status is SolveStatus.INFEASIBLE else solver.BestObjectiveBound()
            return _Full(det, bound, False, None, math.inf)
        return _Full(
            det,
            solver.BestObjectiveBound(),
            status is SolveStatus.OPTIMAL,
            list(solver.ResponseProto().solution),
            solver.ObjectiveValue(),
        )

    def _phase_two(
        self, lns: Lns, full: _Full, first: LnsRun, share: float, used: float, show: Any
    ) -> tuple[list[tuple[list[int], float]], float, bool, float]:
        """Run LNS on all workers for the rest of the share, unless phase 1 proved the stage.

        Proved: the LNS at the objective's floor, or the full search optimal. Starts from the better
        of the two rosters. Returns the candidates (solution, the solver's objective), the bound,
        whether proven, and the time used.
        """
        if first.solution is not None and first.objective <= lns.lower + 1e-9:
            # the LNS reached the floor: nothing can be better (a proof as well)
            return [(first.solution, first.objective)], max(full.bound, lns.lower), True, used
        if full.proven:
            assert full.solution is not None
            return [(full.solution, full.objective)], full.bound, True, used
        begin = first
        if full.solution is not None and full.objective < begin.objective - 1e-9:
            begin = LnsRun(
                np.asarray(full.solution, dtype=np.int64)[lns.idx],
                full.objective,
                solution=full.solution,
            )
        run = lns.run(begin, share - used, None, show, threads=max(1, self.options.workers))
        cands: list[tuple[list[int], float]] = []
        if full.solution is not None:
            cands.append((full.solution, full.objective))
        if run.solution is not None:
            cands.append((run.solution, run.objective))
        return cands, full.bound, False, used + run.used

    def _keep_best(
        self, name: str, start_value: float, cands: list[tuple[list[int], float]]
    ) -> float:
        """Keep the best of the roster so far and the candidates by true value.

        Returns its value.
        """
        best, value = self.assignment, start_value
        for sol, reported in cands:
            self.values[name] = min(self.values.get(name, math.inf), round(reported))
            roster = self.rm.roster_of(sol)
            v = self.value_of(roster, name)
            if v < value - 1e-9:
                best, value = roster, v
                self.values[name] = round(reported)
        if best is not self.assignment:
            self.assignment = best
            self.hint = _hint_of(self.rm, best)
        return value

    def plain_stage(self, name: str, share: float) -> StageReport:
        """Two-phase interleaved search (no LNS): from scratch, then hinted with the roster.

        Without any roster at the end, the report has no value and the status of the search
        (INFEASIBLE, NO_SOLUTION_IN_TIME or INTERRUPTED).
        """
        options = self.options
        phases = [0.5, 1.0] if bool(self.hint) and options.hint else [1.0]
        stage_used, spent = 0.0, 0.0
        last = SolveStatus.NO_SOLUTION_IN_TIME
        bound = -math.inf
        value = self.value_of(self.assignment, name) if self.have_roster else math.inf
        for k, frac in enumerate(phases):
            budget = max(MIN_STAGE_S, share * frac - stage_used)
            hint = self.hint if k > 0 else None
            solver, code, wall, det = _run(self.rm, budget, options, name, hint=hint)
            spent += wall
            stage_used += det
            self._guard(solver, code)
            last = cp_status(code, self.rm.cp)
            if last is SolveStatus.INFEASIBLE and not self.have_roster:
                break
            if last.has_solution:
                bound = max(bound, solver.BestObjectiveBound())
                value = self._keep_found(name, solver, value)
                if last is SolveStatus.OPTIMAL:
                    break
        self.used += stage_used if options.deterministic else spent
        if not self.have_roster:  # (a solution always gives a roster)
            return StageReport(name, last, math.inf, -math.inf, spent)
        return _report(name, value, bound, spent, last is SolveStatus.OPTIMAL)

    def _keep_found(self, name: str, solver: Any, value: float) -> float:
        """Keep the solver's roster unless the one so far is better.

        Returns the value of the roster kept.
        """
        self.values[name] = min(self.values.get(name, math.inf), round(solver.ObjectiveValue()))
        sol = solver.ResponseProto().solution
        found = self.rm.roster_of(sol)
        found_value = self.value_of(found, name)
        if found_value <= value:  # else the roster so far is at least as good: keep it
            self.assignment, value, self.have_roster = found, found_value, True
            self.hint = [int(v) for v in sol]
        return value


#: share of a stage for the full search (beside one LNS thread); LNS on all cores the rest
FULL_SHARE = 0.5


def full_share(rm: RosterModel, options: SolveOptions) -> float:
    """Give the share of an LNS stage for the full search.

    ``options.full_share``, else ``FULL_SHARE``. A fifth on large models was tried and dropped:
    Curtois Instance12 (10 452 shift variables), 60 deterministic s, seed 0: 4619 and bound 23
    against 4586 and bound 4037 with half (benchmarks/README.md).
    """
    return FULL_SHARE if options.full_share is None else options.full_share


def _run(
    rm: RosterModel,
    budget: float,
    options: SolveOptions,
    name: str,
    *,
    hint: list[int] | None = None,
    workers: int | None = None,
    lp_level: int | None = None,
) -> tuple[Any, Any, float, float]:
    """One CP-SAT call: (solver, status code, wall seconds, deterministic seconds)."""
    rm.m.ClearHints()
    if hint:
        proto_hint = rm.m.Proto().solution_hint
        proto_hint.vars.extend(range(len(hint)))
        proto_hint.values.extend(hint)
    solver: Any = rm.cp.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, options.workers if workers is None else workers)
    p.random_seed = options.seed
    if lp_level is not None:
        p.linearization_level = lp_level
    if options.deterministic:
        p.interleave_search = p.num_workers > 1
        p.max_deterministic_time = budget
        p.max_time_in_seconds = budget * options.wall_factor
    else:
        p.max_time_in_seconds = budget
    s0 = time.perf_counter()
    cb = _Progress(rm.cp, name).callback if options.progress else None
    code = interrupt.run_cp(solver, rm.m, cb)
    return solver, code, time.perf_counter() - s0, float(solver.deterministic_time)

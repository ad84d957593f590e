"""Evaluate a roster independently of the solver, and turn it into the output tables.

:func:`evaluate_roster` recomputes every stage value (tier shortfalls, over-staffing, wishes,
fairness, target hours) and checks every hard rule on real clock times from the roster alone;
it shares no code with :mod:`pks_opt.rostering.cpsat`, so tests compare the two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pks_opt.constants import DAYS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR, NIGHT
from pks_opt.rostering.data import RosterData, StaffMember

Assignment = Mapping[tuple[str, int], tuple[str, str]]  # (staff, day) -> (shift, competence)
#: ``staff`` is empty on cover rows and names the person on a named-demand row
COVERAGE_COLUMNS = [
    "date",
    "week",
    "day",
    "holiday",
    "shift",
    "competence",
    "tier",
    "required",
    "assigned",
    "short",
    "over",
    "short_hours",
    "staff",
]


@dataclass
class RosterEvaluation:
    """Stage values, named terms, the coverage table and hard-rule violations of a roster."""

    terms: dict[str, float]
    coverage: pd.DataFrame
    violations: list[str] = field(default_factory=list)

    def stage_values(self, lexicographic: bool) -> dict[str, float]:
        """Sum the terms into the stage values: the three tiers, or one weighted stage."""
        from pks_opt.rostering.cpsat import STAGE_REST, STAGE_SINGLE, STAGE_TIER1, STAGE_TIER2

        t = self.terms
        if not lexicographic:
            return {STAGE_SINGLE: sum(t.values())}
        return {
            STAGE_TIER1: t["tier1"],
            STAGE_TIER2: t["tier2"],
            STAGE_REST: t["tier3"]
            + t["over"]
            + t["wishes"]
            + t["fairness"]
            + t["target"]
            + t["isolated"],
        }


def can_work(
    data: RosterData,
    e: StaffMember,
    d: int,
    shift: str,
    demanded: set[tuple[int, str, str]],
    absent: set[tuple[str, int]],
) -> bool:
    """Tell whether e could ever work ``shift`` on day d (R1: not absent, allowed, demanded)."""
    if (e.id, d) in absent or e.max_shifts.get(shift, 1) <= 0:
        return False
    return any((d, shift, c) in demanded for c in e.competences)


def evaluate_roster(data: RosterData, roster: Assignment) -> RosterEvaluation:
    """Recompute objective terms and check the hard rules of ``roster`` (no solver involved)."""
    absent = {(a.staff, a.day) for a in data.absences}
    terms = dict.fromkeys(TERMS, 0.0)
    groups: dict[tuple[int, str, str], list[int]] = {}
    for i, dm in enumerate(data.demand):
        groups.setdefault((dm.day, dm.shift, dm.competence), []).append(i)
    rows = _cover_rows(data, roster, groups, terms) + _named_rows(data, roster, terms)
    coverage = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    pinned = {(p.staff, p.day) for p in data.pins}
    viol = [
        f"{e} on {s} day {d} as {c}: no demand for that competence"
        for (e, d), (s, c) in roster.items()
        if (d, s, c) not in groups and (e, d) not in pinned
    ]
    terms["wishes"] = _wishes(data, roster)
    terms["fairness"] = _fairness(data, roster, absent)
    terms["target"] = _target(data, roster)
    terms["isolated"] = data.rules.isolated_work_day_weight * isolated_work_days(
        data, roster
    ) + data.rules.isolated_day_off_weight * isolated_days_off(data, roster, absent)
    viol.extend(_minutes_rules(data, roster))
    viol.extend(_hard_rules(data, roster, absent))
    return RosterEvaluation(terms, coverage, viol)


#: the objective's named terms (models/rostering.md §Objective), in stage order
TERMS = ("tier1", "tier2", "tier3", "over", "wishes", "fairness", "target", "isolated")


def _cover_rows(
    data: RosterData,
    roster: Assignment,
    groups: Mapping[tuple[int, str, str], list[int]],
    terms: dict[str, float],
) -> list[dict[str, object]]:
    """Count R3's cover rows, tiers filled in order (tier, then higher under-weight first).

    Adds the tier shortfalls and the over-staffing to ``terms``.
    """
    count: dict[tuple[int, str, str], int] = {}
    for (_e, d), (s, c) in roster.items():
        count[d, s, c] = count.get((d, s, c), 0) + 1
    rows: list[dict[str, object]] = []
    for key in sorted(groups):
        idx = sorted(groups[key], key=lambda i: (data.demand[i].tier, -data.demand[i].weight_under))
        left = count.get(key, 0)
        for j, i in enumerate(idx):
            dm = data.demand[i]
            got = min(left, dm.required)
            left -= got
            terms[f"tier{dm.tier}"] += dm.weight_under * (dm.required - got)
            over = left if j == len(idx) - 1 else 0
            rows.append(_coverage_row(data, dm.day, dm.shift, dm.competence, dm.tier, got, over))
            rows[-1]["required"] = dm.required
            rows[-1]["short"] = dm.required - got
            rows[-1]["short_hours"] = _hours_of(data, dm.shift, dm.required - got)
        req_total = sum(data.demand[i].required for i in idx)
        w_over = max(data.demand[i].weight_over for i in idx)
        terms["over"] += w_over * max(0, count.get(key, 0) - req_total)
    return rows


def _hours_of(data: RosterData, shift: str, people: int) -> float:
    return people * data.shift(shift).paid_minutes / MINUTES_PER_HOUR


def _coverage_row(
    data: RosterData, d: int, s: str, c: str, tier: int, got: int, over: int, staff: str = ""
) -> dict[str, object]:
    """Write one row of the coverage table.

    ``required`` and ``short`` are for one person; cover rows overwrite them.
    """
    return {
        "date": data.date_of(d).isoformat(),
        "week": data.iso_week(d),
        "day": d,
        "holiday": data.holiday(d),
        "shift": s,
        "competence": c,
        "tier": tier,
        "required": 1,
        "assigned": got,
        "short": 1 - got,
        "over": over,
        "short_hours": _hours_of(data, s, 1 - got),
        "staff": staff,
    }


def _named_rows(
    data: RosterData, roster: Assignment, terms: dict[str, float]
) -> list[dict[str, object]]:
    """(R3b) Named people the level above asked for: one row each, inside the cover rows."""
    rows = []
    for nd in data.named_demand:
        on = roster.get((nd.staff, nd.day)) == (nd.shift, nd.competence)
        terms[f"tier{nd.tier}"] += nd.weight_under * (0 if on else 1)
        rows.append(
            _coverage_row(data, nd.day, nd.shift, nd.competence, nd.tier, int(on), 0, nd.staff)
        )
    return rows


def _wishes(data: RosterData, roster: Assignment) -> float:
    """Unmet wishes' weights: "work (s)" unmet when off (or on another shift), "off" when on."""
    total = 0.0
    for wish in data.wishes:
        cell = roster.get((wish.staff, wish.day))
        hit = cell is not None and (wish.shift is None or cell[0] == wish.shift)
        if hit != wish.work:
            total += wish.weight
    return total


def _fairness(data: RosterData, roster: Assignment, absent: set[tuple[str, int]]) -> float:
    """Count R11: the spread (max − min) of nights and of worked weekends, times the weight.

    Nights among those who may work one, weekends among those who may work a weekend day; the
    weight is ``fairness_weight``.
    """
    if not data.rules.fairness_weight:
        return 0.0
    demanded = {(dm.day, dm.shift, dm.competence) for dm in data.demand}
    nights = [s.id for s in data.shifts if s.category == NIGHT]
    weekends = data.weekends()
    n_counts: list[int] = []
    w_counts: list[int] = []
    days = range(data.num_days)
    for emp in data.staff:
        if any(can_work(data, emp, d, s, demanded, absent) for d in days for s in nights):
            n_counts.append(
                sum(1 for d in days if (roster.get((emp.id, d)) or ("", ""))[0] in nights)
            )
        weekend_days = [d for wk in weekends for d in wk]
        if any(
            can_work(data, emp, d, s.id, demanded, absent)
            for d in weekend_days
            for s in data.shifts
        ):
            w_counts.append(sum(1 for wk in weekends if any((emp.id, d) in roster for d in wk)))
    spread = sum(max(c) - min(c) for c in (n_counts, w_counts) if len(c) >= 2)
    return float(data.rules.fairness_weight * spread)


def _target(data: RosterData, roster: Assignment) -> float:
    """Count R12: whole hours outside target ± tolerance, per person, times the weight.

    Plus ``target_outside_weight`` per person outside it at all.
    """
    weight = data.rules.target_weight_per_hour
    per_person = data.rules.target_outside_weight
    total = 0
    for person in data.staff:
        if person.target_minutes is None or not (weight or per_person):
            continue
        mins = minutes_worked(data, roster, person.id)
        hours = max(
            0,
            math.ceil(
                (abs(mins - person.target_minutes) - person.tolerance_minutes) / MINUTES_PER_HOUR
            ),
        )
        total += weight * hours + (per_person if hours > 0 else 0)
    return float(total)


def isolated_work_days(data: RosterData, roster: Assignment) -> int:
    """Count R13's isolated working days: a day worked with a day off on both sides.

    A day off or an absence; counted on days 1 … num_days − 2 (both neighbours inside the
    horizon).
    """
    n = 0
    for e in data.staff:
        on = [(e.id, d) in roster for d in range(data.num_days)]
        n += sum(on[d] and not on[d - 1] and not on[d + 1] for d in range(1, data.num_days - 1))
    return n


def isolated_days_off(
    data: RosterData, roster: Assignment, absent: set[tuple[str, int]] | None = None
) -> int:
    """Count R14's isolated days off, between working days on both sides.

    A day off the person could have worked (not absent, a shift they may work is demanded in
    one of their competences); days 1 … num_days − 2.
    """
    absent = {(a.staff, a.day) for a in data.absences} if absent is None else absent
    demanded = {(dm.day, dm.shift, dm.competence) for dm in data.demand}
    n = 0
    for e in data.staff:
        on = [(e.id, d) in roster for d in range(data.num_days)]
        for d in range(1, data.num_days - 1):
            if on[d - 1] and on[d + 1] and not on[d]:
                n += any(can_work(data, e, d, s.id, demanded, absent) for s in data.shifts)
    return n


def _minutes_rules(data: RosterData, roster: Assignment) -> list[str]:
    """(R6) Paid minutes over the horizon within each person's min and max."""
    out = []
    for person in data.staff:
        mins = minutes_worked(data, roster, person.id)
        if person.max_minutes is not None and mins > person.max_minutes:
            out.append(f"{person.id}: {mins} paid minutes > cap {person.max_minutes}")
        if person.min_minutes is not None and mins < person.min_minutes:
            out.append(f"{person.id}: {mins} paid minutes < minimum {person.min_minutes}")
    return out


def minutes_worked(data: RosterData, roster: Assignment, e: str) -> int:
    """Minutes staff member ``e`` works in ``roster`` (shift lengths summed)."""
    shifts = {s.id: s for s in data.shifts}
    return sum(shifts[s].paid_minutes for (ee, _d), (s, _c) in roster.items() if ee == e)


def _hard_rules(data: RosterData, roster: Assignment, absent: set[tuple[str, int]]) -> list[str]:
    """Every hard rule (R1, R2, R4, R5, R7–R10) checked from the roster alone."""
    out: list[str] = []
    h = data.num_days
    staff = {e.id for e in data.staff}
    shifts = {s.id for s in data.shifts}
    for (e, d), (s, _c) in roster.items():
        if e not in staff or s not in shifts or not 0 <= d < h:
            out.append(f"unknown assignment {e} day {d} shift {s}")
        if (e, d) in absent:
            out.append(f"{e}: works {s} on day {d} while absent")
    for p in data.pins:
        got = roster.get((p.staff, p.day))
        if (got[0] if got else None) != p.shift:
            out.append(
                f"{p.staff}: pinned {p.shift or 'off'} on day {p.day}, "
                f"got {got[0] if got else 'off'}"
            )
    for emp in data.staff:
        works: list[str | None] = [(roster.get((emp.id, d)) or (None, ""))[0] for d in range(h)]
        out.extend(_successions(data, emp, works))
        for s, limit in emp.max_shifts.items():
            n = sum(1 for x in works if x == s)
            if n > limit:
                out.append(f"{emp.id}: {n} shifts of {s} > max {limit}")
        out.extend(_run_rules(data, emp, works))
    return out


def _successions(data: RosterData, emp: StaffMember, works: Sequence[str | None]) -> list[str]:
    """(R5) Daily rest on clock times, or the listed successions (k = 1, 2 days apart)."""
    out = []
    h = data.num_days
    clock = all(s.start_minute is not None for s in data.shifts)
    listed = {(f.first, f.second, f.gap_days) for f in data.forbidden}
    for d, a in enumerate(works):
        for k in (1, 2):
            b = works[d + k] if d + k < h else None
            if a is None or b is None:
                continue
            if clock:
                sa, sb = data.shift(a), data.shift(b)
                rest = k * MINUTES_PER_DAY + (sb.start_minute or 0) - (sa.end_minute or 0)
                if rest < data.rules.daily_rest_minutes:
                    out.append(f"{emp.id}: {rest} min rest between {a} day {d} and {b} day {d + k}")
            elif (a, b, k) in listed:
                out.append(f"{emp.id}: {b} on day {d + k} cannot follow {a} on day {d}")
    return out


def _run_rules(data: RosterData, emp: StaffMember, works: Sequence[str | None]) -> list[str]:
    """(R7–R10) Consecutive days on and off, weekends, weekly rest of one person."""
    out = []
    h = data.num_days
    on = [x is not None for x in works]
    cmax = emp.max_consecutive_days
    for start, length, worked in runs(on):
        inside = start > 0 and start + length < h
        if worked and cmax is not None and length > cmax:
            out.append(f"{emp.id}: {length} consecutive working days from day {start}")
        if worked and inside and length < emp.min_consecutive_days:
            out.append(f"{emp.id}: only {length} consecutive working days from day {start}")
        if not worked and inside and length < emp.min_consecutive_days_off:
            out.append(f"{emp.id}: only {length} days off from day {start}")
    if emp.max_weekends is not None:
        n_we = sum(1 for wk in data.weekends() if any(on[d] for d in wk))
        if n_we > emp.max_weekends:
            out.append(f"{emp.id}: {n_we} weekends > {emp.max_weekends}")
    clock = all(s.start_minute is not None for s in data.shifts)
    if clock and data.rules.weekly_rest_minutes > 0:
        for d0 in data.weekly_rest_starts():
            longest = longest_rest(data, works, d0)
            if longest < data.rules.weekly_rest_minutes:
                out.append(f"{emp.id}: longest rest in the 7 days from day {d0} is {longest} min")
    return out


def longest_rest(data: RosterData, works: Sequence[str | None], d0: int) -> int:
    """Longest shift-free stretch (minutes) inside [d0 00:00, d0+7 00:00) of one person."""
    sh = {s.id: s for s in data.shifts}
    w0, w1 = d0 * MINUTES_PER_DAY, (d0 + DAYS_PER_WEEK) * MINUTES_PER_DAY
    busy = []
    for d, s in enumerate(works):
        if s is not None:
            a = d * MINUTES_PER_DAY + (sh[s].start_minute or 0)
            busy.append((a, a + sh[s].duration_minutes))
    busy.sort()
    best, t = 0, w0
    for a, b in busy:
        if b <= w0 or a >= w1:
            continue
        best = max(best, min(a, w1) - t)
        t = max(t, b)
    return max(best, w1 - t)


def runs(flags: list[bool]) -> list[tuple[int, int, bool]]:
    """Maximal runs of equal values as (start, length, value)."""
    out: list[tuple[int, int, bool]] = []
    i = 0
    while i < len(flags):
        j = i
        while j < len(flags) and flags[j] == flags[i]:
            j += 1
        out.append((i, j - i, flags[i]))
        i = j
    return out


# --------------------------------------------------------------------------- tables


def roster_table(data: RosterData, roster: Assignment) -> pd.DataFrame:
    """Lay out the staff × date grid.

    Shift id (``:role`` for multi-skilled staff), ``-`` off, absence reason.
    """
    reasons = {(a.staff, a.day): a.reason for a in data.absences}
    rows = []
    for e in data.staff:
        row: dict[str, object] = {"staff": e.id, "competences": "|".join(e.competences)}
        for d in range(data.num_days):
            got = roster.get((e.id, d))
            if got is not None:
                cell = got[0] if len(e.competences) == 1 else f"{got[0]}:{got[1]}"
            elif (e.id, d) in reasons:
                cell = f"({reasons[e.id, d]})"
            else:
                cell = "-"
            row[data.date_of(d).isoformat()] = cell
        rows.append(row)
    return pd.DataFrame(rows)


def hours_table(data: RosterData, roster: Assignment) -> pd.DataFrame:
    """Per staff member: hours worked against the target, nights and weekends worked."""
    nights = {s.id for s in data.shifts if s.category == NIGHT}
    rows = []
    for e in data.staff:
        mine = [(d, s) for (ee, d), (s, _c) in roster.items() if ee == e.id]
        worked = minutes_worked(data, roster, e.id) / MINUTES_PER_HOUR
        target = None if e.target_minutes is None else e.target_minutes / MINUTES_PER_HOUR
        tol = e.tolerance_minutes / MINUTES_PER_HOUR
        rows.append(
            {
                "staff": e.id,
                "competences": "|".join(e.competences),
                "target_hours": target,
                "tolerance_hours": tol,
                "worked_hours": worked,
                "deviation_hours": None if target is None else worked - target,
                "within_tolerance": None if target is None else abs(worked - target) <= tol + 1e-9,
                "shifts": len(mine),
                "nights": sum(1 for _d, s in mine if s in nights),
                "weekends": sum(
                    1 for wk in data.weekends() if any((e.id, d) in roster for d in wk)
                ),
                "absent_days": sum(1 for a in data.absences if a.staff == e.id),
            }
        )
    return pd.DataFrame(rows)


def roster_vs_plan(data: RosterData, roster: Assignment, coverage: pd.DataFrame) -> pd.DataFrame:
    """Per ISO week and competence: hours needed, covered, provided, and the sick-leave buffer.

    ``provided`` counts every paid hour worked in that competence, ``covered`` only the hours
    that meet a demand; ``buffer = provided − needed`` is what is left to absorb sick leave
    (negative: the plan is not staffed).
    """
    paid = {s.id: s.paid_minutes / MINUTES_PER_HOUR for s in data.shifts}
    need: dict[tuple[str, str], list[float]] = {}
    for r in coverage.to_dict("records"):
        if r["staff"]:  # a named person is inside a cover row's need already
            continue
        acc = need.setdefault((str(r["week"]), str(r["competence"])), [0.0, 0.0, 0.0, 0.0])
        hours = paid[str(r["shift"])]
        acc[0] += int(r["required"]) * hours
        acc[1] += int(r["assigned"]) * hours
        acc[2 + (0 if int(r["tier"]) == 1 else 1)] += int(r["short"]) * hours
    provided: dict[tuple[str, str], float] = {}
    for (_e, d), (s, c) in roster.items():
        key = (data.iso_week(d), c)
        provided[key] = provided.get(key, 0.0) + paid[s]
    rows = []
    for key in sorted(set(need) | set(provided)):
        n = need.get(key, [0.0, 0.0, 0.0, 0.0])
        p = provided.get(key, 0.0)
        rows.append(
            {
                "week": key[0],
                "competence": key[1],
                "needed_hours": n[0],
                "covered_hours": n[1],
                "provided_hours": p,
                "short_hours": n[2] + n[3],
                "buffer_hours": p - n[0],
                "buffer_pct": round(100 * (p - n[0]) / n[0], 1) if n[0] else None,
            }
        )
    return pd.DataFrame(rows)

"""Why a shortfall is left: per shortfall the binding reasons, per week an escalation line.

For every short cell (date × shift × competence) each qualified person who is not on that
shift is classified by the first reason that keeps them off it, checked against the roster:
absent (with the absence reason), on another shift that day, daily rest (after / before a
neighbouring shift; "after nights" named), weekly rest, max consecutive days, weekend limit,
hours cap, not allowed on that shift type (e.g. no nights). A person with none of these is
"free" — for a proven tier this means moving them would cost a higher tier.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pks_opt.constants import DAYS_PER_WEEK, MINUTES_PER_HOUR
from pks_opt.rostering.data import RosterData
from pks_opt.rostering.solution import Assignment, longest_rest, minutes_worked, runs


def _daily_rest(data: RosterData, roster: Assignment, e_id: str, d: int, s: str) -> str:
    """Give the daily-rest reason (R5) ``s`` on day ``d`` would break, or ""."""
    for f in data.forbidden:
        if f.second == s and roster.get((e_id, d - f.gap_days), ("",))[0] == f.first:
            night = data.shift(f.first).category == "night"
            return "rest after nights" if night else "daily rest"
        if f.first == s and roster.get((e_id, d + f.gap_days), ("",))[0] == f.second:
            return "daily rest (before next shift)"
    return ""


def why_not(data: RosterData, roster: Assignment, e_id: str, d: int, s: str) -> str:
    """Find the first rule that keeps ``e_id`` off shift ``s`` on day ``d`` in this roster."""
    e = next(x for x in data.staff if x.id == e_id)
    absent = {(a.staff, a.day): a.reason for a in data.absences}
    if (e_id, d) in absent:
        return f"absent: {absent[e_id, d]}"
    if e.max_shifts.get(s, 1) <= 0:
        cat = data.shift(s).category
        return "no nights (contract)" if cat == "night" else f"may not work {s}"
    got = roster.get((e_id, d))
    if got is not None:
        return f"on another shift ({got[0]})" if got[0] != s else "on this shift in another role"
    rest = _daily_rest(data, roster, e_id, d, s)
    if rest:
        return rest
    works_with = [roster.get((e_id, k), (None, ""))[0] for k in range(data.num_days)]
    works_with[d] = s
    if e.max_consecutive_days is not None:
        on = [w is not None for w in works_with]
        if any(v and n > e.max_consecutive_days for _st, n, v in runs(on)):
            return "max consecutive days"
    if e.max_weekends is not None:
        we = data.weekends()
        if any(d in wk for wk in we):
            n_we = sum(1 for wk in we if any(works_with[k] is not None for k in wk))
            if n_we > e.max_weekends:
                return "weekend limit"
    if (
        e.max_minutes is not None
        and minutes_worked(data, roster, e_id) + data.shift(s).paid_minutes > e.max_minutes
    ):
        return "hours cap"
    if data.rules.weekly_rest_minutes > 0 and all(x.start_minute is not None for x in data.shifts):
        for d0 in (k for k in data.weekly_rest_starts() if k - 1 <= d < k + DAYS_PER_WEEK):
            if longest_rest(data, works_with, d0) < data.rules.weekly_rest_minutes:
                return "weekly rest"
    return "free"


def explain_shortfalls(
    data: RosterData, roster: Assignment, coverage: pd.DataFrame
) -> pd.DataFrame:
    """One row per short cell with the reasons each qualified person is not on it."""
    rows = []
    short = coverage[coverage["short"] > 0]
    for r in short.to_dict("records"):
        person = str(r.get("staff") or "")
        qualified = (
            [person]
            if person
            else [e.id for e in data.staff if str(r["competence"]) in e.competences]
        )
        reasons = Counter(
            why_not(data, roster, e, int(r["day"]), str(r["shift"])) for e in qualified
        )
        on_it = sum(
            1
            for e in qualified
            if roster.get((e, int(r["day"]))) == (str(r["shift"]), str(r["competence"]))
        )
        text = "; ".join(
            f"{n} {why}"
            for why, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            if not why.startswith("on this shift")
        )
        if not qualified:
            text = "no qualified staff"
        rows.append(
            {
                "date": r["date"],
                "week": r["week"],
                "shift": r["shift"],
                "competence": r["competence"],
                "tier": int(r["tier"]),
                "required": int(r["required"]),
                "assigned": int(r["assigned"]),
                "short": int(r["short"]),
                "short_hours": float(r["short_hours"]),
                "qualified_staff": len(qualified),
                "on_this_shift": on_it,
                "reasons": text,
                "staff": person,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "date",
            "week",
            "shift",
            "competence",
            "tier",
            "required",
            "assigned",
            "short",
            "short_hours",
            "qualified_staff",
            "on_this_shift",
            "reasons",
            "staff",
        ],
    )


def escalation(data: RosterData, roster: Assignment, shortfalls: pd.DataFrame) -> list[str]:
    """One line per week and tier: how short, in competence-hours, and the main causes."""
    lines: list[str] = []
    if shortfalls.empty:
        return lines
    is_named = shortfalls["staff"].astype(str) != ""
    for (week, tier), grp in shortfalls[is_named].groupby(["week", "tier"], sort=True):
        who = ", ".join(
            f"{r['staff']} on {r['date']} ({r['reasons']})" for r in grp.to_dict("records")
        )
        lines.append(
            f"week {week}: tier {tier} named staff not on the shifts the matrix gave them: {who}"
        )
    shortfalls = shortfalls[~is_named]
    for (week, tier), grp in shortfalls.groupby(["week", "tier"], sort=True):
        by_comp = grp.groupby("competence")["short_hours"].sum()
        size = " + ".join(f"{_num(h)} {c}-hours" for c, h in by_comp.items())
        n_shifts = int(grp["short"].sum())
        causes = _causes(data, roster, grp)
        lines.append(
            f"week {week}: tier {tier} short by {size} ({n_shifts} shift(s)), cause: "
            + (" + ".join(causes) if causes else "not enough qualified staff")
        )
    return lines


def _causes(data: RosterData, roster: Assignment, grp: pd.DataFrame) -> list[str]:
    """Find the causes of a week's short cells.

    Distinct people per reason (:func:`why_not`), most first; approved absences by reason;
    qualified staff on other shifts those days.
    """
    people: dict[str, set[str]] = {}
    busy: set[str] = set()  # qualified for a short cell, on a different shift that day
    absent_reasons: Counter[str] = Counter()
    comps = set(grp["competence"])
    records = grp.to_dict("records")
    for e in data.staff:
        if not comps & set(e.competences):
            continue
        for r in records:
            if str(r["competence"]) not in e.competences:
                continue
            day = (pd.Timestamp(str(r["date"])).date() - data.start_date).days
            why = why_not(data, roster, e.id, day, str(r["shift"]))
            if why.startswith("absent"):
                if e.id not in people.setdefault("absent", set()):
                    absent_reasons[why.split(": ", 1)[1]] += 1
                people["absent"].add(e.id)
            elif why.startswith("on another shift"):
                busy.add(e.id)
            elif not why.startswith("on ") and why != "free":
                people.setdefault(why, set()).add(e.id)
    causes = []
    if people.get("absent"):
        detail = ", ".join(f"{n} {r}" for r, n in absent_reasons.most_common())
        causes.append(f"{len(people['absent'])} approved absences ({detail})")
    for why, ids in sorted(people.items(), key=lambda kv: -len(kv[1])):
        if why != "absent":
            causes.append(f"{why} ({len(ids)} staff)")
    if busy:
        causes.append(f"{len(busy)} qualified staff on other shifts those days")
    return causes


def _num(h: float) -> str:
    return f"{h:g}" if abs(h - round(h)) > 1e-9 else str(round(h))


__all__ = ["MINUTES_PER_HOUR", "escalation", "explain_shortfalls", "why_not"]

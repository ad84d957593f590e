"""From solved cells to the activity-matrix result: objective recomputed, grids, explanations.

Everything here works on the plain cell assignments of :class:`MatrixRun` (``rooms``: cell →
activity type, ``staff``: (staff, day, session, type) → people) and the data — never on the
solver's objective — so :func:`stage_values` is an independent check of the CP-SAT model.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pandas as pd

from pks_opt.activity_matrix.data import DAY_NAMES, DAY_NAMES_LONG, ActivityType, MatrixData
from pks_opt.activity_matrix.model import (
    STAGE_CHANGES,
    STAGE_CONTINUITY,
    STAGE_DAY,
    STAGE_FIT,
    STAGE_PLANNED,
    STAGE_SPREAD,
    MatrixRun,
    day_requirements,
    even_share,
    misplaced,
    priority_weights,
    spread_types,
)
from pks_opt.feedback import FEEDBACK_COLUMNS as _FEEDBACK
from pks_opt.result import Result, SolveStatus
from pks_opt.stages import Check, self_check
from pks_opt.trace import TRACE_COLUMNS as _TRACE

KIND = "activity_matrix"
CLOSED = "closed"
ABSENT = "absent"

RoomCells = dict[tuple[str, int, str], str]
StaffCells = dict[tuple[str, int, str, str], int]


# --------------------------------------------------------------------------- recomputation


def counts(data: MatrixData, rooms: RoomCells) -> dict[tuple[str, int], int]:
    """Sessions per (activity type, day)."""
    out: dict[tuple[str, int], int] = defaultdict(int)
    for (_r, d, _k), t in rooms.items():
        out[(t, d)] += 1
    return out


def stage_values(data: MatrixData, rooms: RoomCells) -> dict[str, int]:
    """Every stage objective recomputed from the cells (spec: O1, O2, O3a–c)."""
    n = counts(data, rooms)
    day = sum(max(0, req - n[(t, d)]) for (t, d), req in day_requirements(data).items())
    weights = priority_weights(data)
    planned = sum(
        weights[t.id] * max(0, data.weekly_need(t.id) - sum(n[(t.id, d)] for d in data.days))
        for t in data.activity_types
    )
    return {
        STAGE_DAY: day,
        STAGE_PLANNED: planned,
        STAGE_CONTINUITY: continuity(data, rooms),
        STAGE_SPREAD: spread(data, rooms),
        STAGE_CHANGES: room_changes(data, rooms),
        STAGE_FIT: room_fit(data, rooms),
    }


def continuity(data: MatrixData, rooms: RoomCells) -> int:
    """(O3a) Distinct activity types per grid row (room × part of day)."""
    return len({(r, k, t) for (r, _d, k), t in rooms.items()})


def spread(data: MatrixData, rooms: RoomCells) -> int:
    """(O3b) Σ over spread types and days of sessions above ⌈N/D⌉ or below ⌊N/D⌋."""
    n = counts(data, rooms)
    total = 0
    for t in spread_types(data):
        lo, hi = even_share(data, t)
        total += sum(max(0, n[(t, d)] - hi) + max(0, lo - n[(t, d)]) for d in data.days)
    return total


def room_changes(data: MatrixData, rooms: RoomCells) -> int:
    """(O3c) Consecutive sessions of a day in which a room holds two different activities."""
    out = 0
    for r in data.rooms:
        for d in data.days:
            for k0, k1 in zip(data.sessions, data.sessions[1:], strict=False):
                a, b = rooms.get((r.id, d, k0.id)), rooms.get((r.id, d, k1.id))
                if a is not None and b is not None and a != b:
                    out += 1
    return out


def room_fit(data: MatrixData, rooms: RoomCells) -> int:
    """(O3d) Sessions that need no equipment held in equipped rooms."""
    return sum(misplaced(data, r, t) for (r, _d, _k), t in rooms.items())


def violations(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> list[str]:
    """Hard constraints (R0–R6) broken by a solution; empty for every solution we return."""
    return [
        *_room_violations(data, rooms),
        *_staff_violations(data, rooms, staff),
        *_pin_violations(data, rooms),
        *_count_violations(data, rooms),
    ]


def _room_violations(data: MatrixData, rooms: RoomCells) -> list[str]:
    """(R0) Rooms open and capable."""
    bad: list[str] = []
    for (r, d, k), t in rooms.items():
        if not data.is_open(r, d, k):
            bad.append(f"R0 room {r} closed on {DAY_NAMES[d]} {k}")
        if not data.capable(data.room(r), data.activity(t)):
            bad.append(f"R0 room {r} cannot hold {t}")
    return bad


def _staff_violations(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> list[str]:
    """(R2) Staff able and as many as each session needs; (R3) within their availability."""
    bad: list[str] = []
    by_id = {x.id: x for x in data.staff}
    people: dict[tuple[int, str, str, str], int] = defaultdict(int)
    for (s, d, k, t), p in staff.items():
        if not data.can_do(by_id[s], data.activity(t)):
            bad.append(f"R2 staff {s} cannot do {t}")
        people[(d, k, t, by_id[s].competence)] += p
    n_cell: dict[tuple[int, str, str], int] = defaultdict(int)
    for (_r, d, k), t in rooms.items():
        n_cell[(d, k, t)] += 1
    for d in data.days:
        for sess in data.sessions:
            for at in data.activity_types:
                for comp, need in at.staff_per_session.items():
                    if people[(d, sess.id, at.id, comp)] != need * n_cell[(d, sess.id, at.id)]:
                        bad.append(f"R2 {at.id} {DAY_NAMES[d]} {sess.id}: {comp} not as needed")
    used: dict[tuple[str, int, str], int] = defaultdict(int)
    for (s, d, k, _t), p in staff.items():
        used[(s, d, k)] += p
    for (s, d, k), used_people in used.items():
        if used_people > data.available(by_id[s], d, k):
            bad.append(f"R3 staff {s} over availability on {DAY_NAMES[d]} {k}")
    return bad


def _pin_violations(data: MatrixData, rooms: RoomCells) -> list[str]:
    """(R4) Pinned cells kept."""
    return [
        f"R4 pin {pin.room} {DAY_NAMES[pin.weekday]} {pin.session} not kept"
        for pin in data.pins
        if rooms.get((pin.room, pin.weekday, pin.session)) != pin.activity_type
    ]


def _count_violations(data: MatrixData, rooms: RoomCells) -> list[str]:
    """(R5) At most per day; (R6) no more than the weekly need."""
    bad: list[str] = []
    n = counts(data, rooms)
    for at in data.activity_types:
        for d in data.days:
            cap = data.day_max(at.id, d)
            if cap is not None and n[(at.id, d)] > cap:
                bad.append(f"R5 {at.id} above {cap} on {DAY_NAMES[d]}")
        if sum(n[(at.id, d)] for d in data.days) > data.weekly_cap(at.id):
            bad.append(f"R6 {at.id} above its weekly need")
    return bad


# --------------------------------------------------------------------------- capacity figures


def _room_cells(data: MatrixData, tid: str, days: tuple[int, ...]) -> list[tuple[str, int, str]]:
    t = data.activity(tid)
    return [
        (r.id, d, k.id)
        for r in data.rooms
        if data.capable(r, t)
        for d in days
        for k in data.sessions
        if data.is_open(r.id, d, k.id)
    ]


def _person_sessions(data: MatrixData, tid: str, comp: str, days: tuple[int, ...]) -> int:
    t = data.activity(tid)
    return sum(
        data.available(s, d, k.id)
        for s in data.staff
        if s.competence == comp and data.can_do(s, t)
        for d in days
        for k in data.sessions
    )


def _joint(data: MatrixData, tid: str, days: tuple[int, ...]) -> int:
    """Sessions of ``tid`` possible if it had every capable room and able person to itself."""
    t = data.activity(tid)
    total = 0
    for d in days:
        day_total = 0
        for k in data.sessions:
            rooms = sum(1 for r in data.rooms if data.capable(r, t) and data.is_open(r.id, d, k.id))
            for comp, need in t.staff_per_session.items():
                avail = sum(
                    data.available(s, d, k.id)
                    for s in data.staff
                    if s.competence == comp and data.can_do(s, t)
                )
                rooms = min(rooms, avail // need)
            day_total += rooms
        cap = data.day_max(tid, d)
        total += day_total if cap is None else min(cap, day_total)
    return total


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _reasons(
    data: MatrixData,
    tid: str,
    need: int,
    days: tuple[int, ...],
    rooms: RoomCells,
    staff: StaffCells,
    *,
    weekly: bool,
) -> list[str]:
    """Explain in planner terms why ``tid`` cannot get ``need`` sessions on ``days``.

    Too few rooms, people or allowed sessions; else too few times they are free together; else
    what took them.
    """
    when = "a week" if weekly else f"on {DAY_NAMES_LONG[days[0]]}"
    reasons = _limit_reasons(data, tid, need, days, staff, when)
    if not reasons:
        joint = _joint(data, tid, days)
        if joint < need:
            t = data.activity(tid)
            comps = " and ".join(sorted(t.staff_per_session)) or "staff"
            reasons.append(
                f"{_where(t)} and {comps} are free together in only "
                f"{_plural(joint, 'session')} {when}"
            )
    if not reasons:
        reasons = _competition_reasons(data, tid, days, rooms, staff, when, weekly=weekly)
    return reasons


def _where(t: ActivityType) -> str:
    return f"rooms with {t.capability}" if t.capability else "the rooms"


def _limit_reasons(
    data: MatrixData,
    tid: str,
    need: int,
    days: tuple[int, ...],
    staff: StaffCells,
    when: str,
) -> list[str]:
    """Say which of the rooms, a competence's people or the at-most rules alone fall short."""
    t = data.activity(tid)
    reasons: list[str] = []
    cells = _room_cells(data, tid, days)
    if len(cells) < need:
        reasons.append(f"{_where(t)} have {_plural(len(cells), 'open session')} {when}")
    by_id = {x.id: x for x in data.staff}
    for comp, people in sorted(t.staff_per_session.items()):
        avail = _person_sessions(data, tid, comp, days)
        if avail >= need * people:
            continue
        able = (
            " able to do it"
            if any(s.competence == comp and tid not in s.activities for s in data.staff)
            else ""
        )
        verb = "is" if avail == 1 else "are"
        elsewhere: dict[str, int] = defaultdict(int)
        for (sid, d, _k, other), p in staff.items():
            st = by_id[sid]
            if d in days and other != tid and st.competence == comp and data.can_do(st, t):
                elsewhere[other] += p
        used = "".join(
            f", {n} of these {'goes' if n == 1 else 'go'} to {o}"
            for o, n in sorted(elsewhere.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        reasons.append(
            f"{tid} needs {_plural(need * people, comp + ' session')} {when}; "
            f"{avail}{able} {verb} available{used}"
        )
    caps = [data.day_max(tid, d) for d in days]
    if all(c is not None for c in caps) and sum(c or 0 for c in caps) < need:
        allowed = _plural(sum(c or 0 for c in caps), tid + " session")
        reasons.append(f"the at-most rules allow {allowed} {when}")
    return reasons


def _competition_reasons(
    data: MatrixData,
    tid: str,
    days: tuple[int, ...],
    rooms: RoomCells,
    staff: StaffCells,
    when: str,
    *,
    weekly: bool,
) -> list[str]:
    """Name what took the rooms (or the people) when each alone would be enough.

    Also a clinic with fewer open room sessions than needed.
    """
    t = data.activity(tid)
    taken: dict[str, int] = defaultdict(int)
    for c in _room_cells(data, tid, days):
        holder = rooms.get(c)
        if holder is not None and holder != tid:
            taken[holder] += 1
    if not taken:  # rooms were free: the able people went elsewhere
        by_id = {x.id: x for x in data.staff}
        for (s, d, _k, other), p in staff.items():
            if d in days and other != tid and data.can_do(by_id[s], t):
                taken[other] += p
    busy = ", ".join(f"{o} {n}" for o, n in sorted(taken.items(), key=lambda kv: (-kv[1], kv[0])))
    reasons = [
        "the rooms and staff it could use go to same-day work, pinned cells or activities "
        f"of higher or equal priority ({busy})"
    ]
    n_open = sum(
        1 for r in data.rooms for d in days for k in data.sessions if data.is_open(r.id, d, k.id)
    )
    total = (
        sum(data.weekly_need(a.id) for a in data.activity_types)
        if weekly
        else sum(req for (_t, dd), req in day_requirements(data).items() if dd in days)
    )
    if total > n_open:
        reasons.append(
            f"the clinic has {_plural(n_open, 'open room session')} {when} for {total} needed"
        )
    return reasons


# --------------------------------------------------------------------------- explanations


def explain(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> list[str]:
    """One line per shortfall, naming the limiting room capability, competence or rule."""
    lines: list[str] = []
    n = counts(data, rooms)
    for (tid, d), req in day_requirements(data).items():
        got = n[(tid, d)]
        if got < req:
            same, rule = data.day_min(tid, d)
            what = "same-day sessions" if same >= rule else "sessions (at-least rule)"
            why = "; ".join(_reasons(data, tid, req, (d,), rooms, staff, weekly=False))
            lines.append(
                f"{DAY_NAMES_LONG[d]}: {tid} needs {req} "
                f"{what if req != 1 else what.replace('sessions', 'session')}, gets {got} "
                f"({req - got} short): {why}"
            )
    for t in sorted(data.activity_types, key=lambda a: (a.priority, a.id)):
        need = data.weekly_need(t.id)
        got = sum(n[(t.id, d)] for d in data.days)
        if got < need:
            why = "; ".join(_reasons(data, t.id, need, data.days, rooms, staff, weekly=True))
            lines.append(
                f"{t.id} (priority {t.priority}) needs {_plural(need, 'session')} a week, "
                f"gets {got} "
                f"({need - got} short): {why}"
            )
    return lines


def explain_infeasible(data: MatrixData) -> list[str]:
    """Why the hard rules (pins, at-most rules, staff for pinned cells) cannot all hold."""
    lines: list[str] = []
    per_day: dict[tuple[str, int], int] = defaultdict(int)
    per_cell: dict[tuple[int, str, str], int] = defaultdict(int)
    for p in data.pins:
        per_day[(p.activity_type, p.weekday)] += 1
        per_cell[(p.weekday, p.session, p.activity_type)] += 1
    for p in data.pins:
        if not data.is_open(p.room, p.weekday, p.session):
            lines.append(
                f"room {p.room} is pinned to {p.activity_type} on {DAY_NAMES_LONG[p.weekday]} "
                f"{p.session} but closed then in '{data.week_type}' weeks"
            )
    for (tid, d), k in sorted(per_day.items()):
        cap = data.day_max(tid, d)
        if cap is not None and k > cap:
            lines.append(
                f"{k} {tid} sessions are pinned on {DAY_NAMES_LONG[d]} but at most {cap} "
                "are allowed"
            )
    for (d, sess, tid), k in sorted(per_cell.items()):
        t = data.activity(tid)
        for comp, people in sorted(t.staff_per_session.items()):
            avail = sum(
                data.available(s, d, sess)
                for s in data.staff
                if s.competence == comp and data.can_do(s, t)
            )
            if avail < k * people:
                lines.append(
                    f"pinned {tid} on {DAY_NAMES_LONG[d]} {sess} needs {k * people} {comp}(s) "
                    f"able to do {tid}; {avail} are available"
                )
    if not lines:
        lines.append(
            "the pinned cells need more staff than are available in their sessions together"
        )
    return lines


# --------------------------------------------------------------------------- tables


def _label(rows: list[tuple[str, list[str]]]) -> str:
    return "; ".join(
        f"{t}{'' if len(rs) == 1 else f'×{len(rs)}'} @ {', '.join(rs)}" if rs else t
        for t, rs in rows
    )


def staff_rooms(
    data: MatrixData, rooms: RoomCells, staff: StaffCells
) -> dict[tuple[str, int, str], list[tuple[str, list[str]]]]:
    """(staff, day, session) → [(activity, [rooms])]: people matched to rooms in id order."""
    out: dict[tuple[str, int, str], list[tuple[str, list[str]]]] = defaultdict(list)
    room_ids = [r.id for r in data.rooms]
    comp = {s.id: s.competence for s in data.staff}
    for d in data.days:
        for k in data.sessions:
            for t in data.activity_types:
                held = sorted(
                    (
                        r
                        for (r, dd, kk), tt in rooms.items()
                        if dd == d and kk == k.id and tt == t.id
                    ),
                    key=room_ids.index,
                )
                for c, per in t.staff_per_session.items():
                    people = [
                        s
                        for s in sorted(comp)
                        for (ss, dd, kk, tt), p in staff.items()
                        if ss == s and dd == d and kk == k.id and tt == t.id and comp[s] == c
                        for _ in range(p)
                    ]
                    mine: dict[str, list[str]] = defaultdict(list)
                    for i, s in enumerate(people):
                        mine[s].append(held[i // per] if i // per < len(held) else "?")
                    for s, rs in mine.items():
                        out[(s, d, k.id)].append((t.id, rs))
    return out


def room_grid(data: MatrixData, rooms: RoomCells) -> pd.DataFrame:
    """Rows room × part of day, columns the days (the seeds' layout)."""
    rows = []
    for r in data.rooms:
        for k in data.sessions:
            row: dict[str, Any] = {"week_type": data.week_type, "room": r.id, "session": k.id}
            for d in data.days:
                row[DAY_NAMES[d]] = rooms.get(
                    (r.id, d, k.id), "" if data.is_open(r.id, d, k.id) else CLOSED
                )
            rows.append(row)
    return pd.DataFrame(rows)


def staff_grid(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> pd.DataFrame:
    """Rows staff × part of day, columns the days; a cell names activity and room(s)."""
    where = staff_rooms(data, rooms, staff)
    rows = []
    for s in sorted(data.staff, key=lambda x: (x.competence, x.id)):
        for k in data.sessions:
            row: dict[str, Any] = {
                "week_type": data.week_type,
                "staff": s.id,
                "name": s.name,
                "competence": s.competence,
                "count": s.count,
                "session": k.id,
            }
            for d in data.days:
                label = _label(where.get((s.id, d, k.id), []))
                if not label and data.available(s, d, k.id) == 0:
                    label = ABSENT
                row[DAY_NAMES[d]] = label
            rows.append(row)
    head = ["week_type", "staff", "name", "competence", "count", "session"]
    return pd.DataFrame(rows, columns=head + [DAY_NAMES[d] for d in data.days])


def assignments(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> pd.DataFrame:
    """One row per used room cell, with the people matched to it."""
    where = staff_rooms(data, rooms, staff)
    by_room: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    for (s, d, k), acts in sorted(where.items()):
        for _t, rs in acts:
            for rid in rs:
                by_room[(rid, d, k)].append(s)
    pinned = {(p.room, p.weekday, p.session) for p in data.pins}
    rows = []
    for d in data.days:
        for sess in data.sessions:
            for room in data.rooms:
                t = rooms.get((room.id, d, sess.id))
                if t is None:
                    continue
                people = by_room[(room.id, d, sess.id)]
                rows.append(
                    {
                        "week_type": data.week_type,
                        "weekday": d,
                        "day": DAY_NAMES[d],
                        "session": sess.id,
                        "start": sess.start,
                        "end": sess.end,
                        "room": room.id,
                        "activity_type": t,
                        "pinned": (room.id, d, sess.id) in pinned,
                        "staff": "; ".join(
                            f"{s}×{people.count(s)}" if people.count(s) > 1 else s
                            for s in dict.fromkeys(people)
                        ),
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "week_type",
            "weekday",
            "day",
            "session",
            "start",
            "end",
            "room",
            "activity_type",
            "pinned",
            "staff",
        ],
    )


def coverage(data: MatrixData, rooms: RoomCells) -> pd.DataFrame:
    """Sessions asked and given per activity type and week (``coverage.csv``)."""
    n = counts(data, rooms)
    rows = []
    for t in data.activity_types:
        got = sum(n[(t.id, d)] for d in data.days)
        row: dict[str, Any] = {
            "week_type": data.week_type,
            "activity_type": t.id,
            "priority": t.priority,
            "needed": data.weekly_need(t.id),
            "delivered": got,
            "shortfall": max(0, data.weekly_need(t.id) - got),
        }
        for d in data.days:
            row[DAY_NAMES[d]] = n[(t.id, d)]
        row["same_day_needed"] = sum(data.same_day.get((t.id, d), 0) for d in data.days)
        ask = data.plan_asks.get(t.id)
        pps = patients_per_session(data, t.id)
        row["patients_asked"] = None if ask is None else round(ask.patients, 3)
        row["patients_capacity"] = None if pps is None else round(got * pps, 3)
        source = data.need_source.get(t.id, "instance")
        if data.weekly_need(t.id) > data.need[t.id]:
            source += f" ({data.need[t.id]}), raised to the total of its day minimums"
        row["need_source"] = source
        rows.append(row)
    return pd.DataFrame(rows)


def day_coverage(data: MatrixData, rooms: RoomCells) -> pd.DataFrame:
    """Sessions asked and given per activity type and day: same-day slots and day rules."""
    n = counts(data, rooms)
    rows = []
    for (tid, d), req in day_requirements(data).items():
        same, rule = data.day_min(tid, d)
        rows.append(
            {
                "week_type": data.week_type,
                "activity_type": tid,
                "weekday": d,
                "day": DAY_NAMES[d],
                "same_day_needed": same,
                "at_least": rule,
                "delivered": n[(tid, d)],
                "shortfall": max(0, req - n[(tid, d)]),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "week_type",
            "activity_type",
            "weekday",
            "day",
            "same_day_needed",
            "at_least",
            "delivered",
            "shortfall",
        ],
    )


STAFF_DEMAND_COLUMNS = [
    "week_type",
    "weekday",
    "session",
    "start",
    "end",
    "competence",
    "staff",
    "activity_type",
    "named_staff",
    "trace_ids",
]


def cell_id(week_type: str, tid: str, day: int, session: str, room: str) -> str:
    """Trace id of one placed room cell.

    ``matrix:{week_type}:{activity_type}:{day}:{session}:{room}``.
    """
    return f"matrix:{week_type}:{tid}:{DAY_NAMES[day]}:{session}:{room}"


def named(data: MatrixData) -> set[str]:
    """Staff rows that are one named person (count 1), not a category of interchangeable people."""
    return {s.id for s in data.staff if s.count == 1}


def staff_demand(
    data: MatrixData, rooms: RoomCells, staff: StaffCells | None = None
) -> pd.DataFrame:
    """People per competence per session: the rostering level's tier-2 demand.

    ``named_staff`` lists the named people (staff rows of count 1, e.g. a physician with a
    specialty) the matrix put on those sessions, so the roster can ask for them by name;
    ``trace_ids`` the ids of the room cells behind the row (``trace.csv``).
    """
    n_cell: dict[tuple[int, str, str], int] = defaultdict(int)
    cells: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    room_ids = [r.id for r in data.rooms]
    for (r, d, k), t in sorted(rooms.items(), key=lambda kv: room_ids.index(kv[0][0])):
        n_cell[(d, k, t)] += 1
        cells[(d, k, t)].append(cell_id(data.week_type, t, d, k, r))
    persons = named(data)
    comp = {s.id: s.competence for s in data.staff}
    who: dict[tuple[int, str, str, str], list[str]] = defaultdict(list)
    for (s, d, k, t), p in sorted((staff or {}).items()):
        if p > 0 and s in persons:
            who[(d, k, t, comp[s])].append(s)
    rows = []
    for d in data.days:
        for sess in data.sessions:
            for at in data.activity_types:
                sessions = n_cell[(d, sess.id, at.id)]
                if not sessions:
                    continue
                for c, people in sorted(at.staff_per_session.items()):
                    rows.append(
                        {
                            "week_type": data.week_type,
                            "weekday": d,
                            "session": sess.id,
                            "start": sess.start,
                            "end": sess.end,
                            "competence": c,
                            "staff": people * sessions,
                            "activity_type": at.id,
                            "named_staff": ";".join(who[(d, sess.id, at.id, c)]),
                            "trace_ids": ";".join(cells[(d, sess.id, at.id)]),
                        }
                    )
    return pd.DataFrame(rows, columns=STAFF_DEMAND_COLUMNS)


# --------------------------------------------------------------------------- hand-over

FEEDBACK_COLUMNS = list(_FEEDBACK)  # the shared contract (pks_opt/feedback.py)
TRACE_COLUMNS = list(_TRACE)  # the shared contract (pks_opt/trace.py)
LEVEL = "matrix"
#: patients compared with this tolerance (the plan's production may carry float noise)
PATIENTS_TOLERANCE = 1e-6


def patients_per_session(data: MatrixData, tid: str) -> float | None:
    """Give the patients a session of ``tid`` takes (as the plan conversion used, else as given)."""
    ask = data.plan_asks.get(tid)
    return ask.patients_per_session if ask is not None else data.activity(tid).patients_per_session


def _weeks_text(weeks: list[int]) -> str:
    """1, 2, 3, 7 → '1–3, 7'."""
    parts: list[str] = []
    for w in weeks:
        if parts and parts[-1].split("–")[-1] == str(w - 1):
            parts[-1] = f"{parts[-1].split('–')[0]}–{w}"
        else:
            parts.append(str(w))
    return ", ".join(parts)


def _fb(
    data: MatrixData, obj: str, period: str, agreed: float, achievable: float, cause: str
) -> dict[str, Any]:
    return {
        "level": LEVEL,
        "unit": data.unit,
        "object": obj,
        "resource": "",
        "period": period,
        "agreed": round(agreed, 3),
        "achievable": round(achievable, 3),
        "gap": round(achievable - agreed, 3),
        "cause": cause,
    }


def feedback(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> pd.DataFrame:
    """One row per shortfall against what was asked; ``object`` = the activity type.

    ``resource`` stays empty (the row is about an object: one of the two, as
    :mod:`pks_opt.feedback` reads it). The measure: **patients a week** when the need came
    from the production plan (agreed = patients the plan asks in the week that decided the
    need, achievable = placed sessions × patients per session), else **sessions** (a week,
    or on one day for a same-day / at-least minimum, period ``{week type} {day}``); the
    cause names it and gives the sessions and the limiting rooms, staff or rules.
    """
    rows: list[dict[str, Any]] = []
    n = counts(data, rooms)
    wt = data.week_type
    for (tid, d), req in day_requirements(data).items():
        got = n[(tid, d)]
        if got < req:
            why = "; ".join(_reasons(data, tid, req, (d,), rooms, staff, weekly=False))
            rows.append(
                _fb(
                    data,
                    tid,
                    f"{wt} {DAY_NAMES[d]}",
                    req,
                    got,
                    f"sessions on {DAY_NAMES_LONG[d]} (same-day / at-least minimum): {why}",
                )
            )
    for t in sorted(data.activity_types, key=lambda a: (a.priority, a.id)):
        need = data.weekly_need(t.id)
        got = sum(n[(t.id, d)] for d in data.days)
        why = ""
        if got < need:
            why = "; ".join(_reasons(data, t.id, need, data.days, rooms, staff, weekly=True))
        gap = patients_gap(data, t.id, got)
        if gap is not None:
            asked, cap, cause = gap
            rows.append(
                _fb(
                    data,
                    t.id,
                    wt,
                    asked,
                    cap,
                    f"patients a week: {got} of {need} "
                    f"sessions placed; {cause}" + (f": {why}" if why else ""),
                )
            )
        elif got < need:
            source = data.need_source.get(t.id, "instance")
            rows.append(
                _fb(data, t.id, wt, need, got, f"sessions a week (need from {source}): {why}")
            )
    return pd.DataFrame(rows, columns=FEEDBACK_COLUMNS)


def patients_gap(data: MatrixData, tid: str, got: int) -> tuple[float, float, str] | None:
    """(patients asked, patients the ``got`` sessions take, wording) when the plan asks more."""
    ask = data.plan_asks.get(tid)
    if ask is None:
        return None
    cap = got * ask.patients_per_session
    if cap >= ask.patients - PATIENTS_TOLERANCE:
        return None
    over = [w for w, p in sorted(ask.patients_by_week.items()) if p > cap + PATIENTS_TOLERANCE]
    return (
        ask.patients,
        cap,
        (
            f"{_plural(got, 'session')} × {ask.patients_per_session:.3g} patients take {cap:.4g} "
            f"a week; the plan asks {ask.patients:.4g} in week {ask.week} and more than {cap:.4g} "
            f"in {len(over)} of {len(ask.patients_by_week)} '{data.week_type}' week(s) "
            f"({_weeks_text(over)})"
        ),
    )


def trace(data: MatrixData, rooms: RoomCells, staff: StaffCells) -> pd.DataFrame:
    """One row per placed room cell, its parents the plan rows that decided its need."""
    rows: list[dict[str, Any]] = []
    for a in assignments(data, rooms, staff).to_dict("records"):
        tid, d, k, r = str(a["activity_type"]), int(a["weekday"]), str(a["session"]), str(a["room"])
        pps = patients_per_session(data, tid)
        ask = data.plan_asks.get(tid)
        note = f"room {r} {DAY_NAMES_LONG[d]} {k} {a['start']}-{a['end']}"
        if a["staff"]:
            note += f"; staff {a['staff']}"
        if ask is not None:
            note += f"; need from plan week {ask.week}"
        rows.append(
            {
                "id": cell_id(data.week_type, tid, d, k, r),
                "level": LEVEL,
                "unit": data.unit,
                "object": tid,
                "period": f"{data.week_type} {DAY_NAMES[d]} {k}",
                "quantity": 1 if pps is None else pps,
                "measure": "sessions" if pps is None else "patients",
                "parent_ids": "" if ask is None else ";".join(ask.parent_ids),
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=TRACE_COLUMNS)


# --------------------------------------------------------------------------- result


KPI_SUMS = (
    "sessions_needed",
    "sessions_delivered",
    "sessions_short",
    "same_day_short",
    "room_sessions_open",
    "room_sessions_used",
    "room_changes",
    "continuity_rows",
    "spread",
    "misplaced_sessions",
    "feedback_rows",
)


def build_result(runs: list[MatrixRun], *, instance: str, workers: int, seed: int) -> Result:
    """Build the envelope of every week type's matrix (tables stacked, one week_type column)."""
    multi = len(runs) > 1
    stages = [
        type(st)(
            f"{r.data.week_type}: {st.name}" if multi else st.name,
            st.status,
            st.objective,
            st.bound,
            st.runtime_s,
        )
        for r in runs
        for st in r.stages
    ]
    status = _combined_status([r.status for r in runs])
    result = Result(
        kind=KIND,
        status=status,
        instance=instance,
        solver=f"ortools-cpsat(workers={workers}, seed={seed})",
        runtime_s=sum(r.runtime_s for r in runs),
        stages=stages,
    )
    if not status.has_solution:
        return _no_matrix(result, runs)
    objective = 0.0
    bound = 0.0
    tables: dict[str, list[pd.DataFrame]] = defaultdict(list)
    kpis: dict[str, Any] = {"week_types": len(runs), **dict.fromkeys(KPI_SUMS, 0)}
    per_type: dict[str, Any] = {}
    for r in runs:
        values, status = _checked_values(r, status, result, multi)
        objective += values[STAGE_DAY] + values[STAGE_PLANNED]
        stage_bounds = {s.name: s.bound for s in r.stages}
        bound += stage_bounds[STAGE_DAY] + stage_bounds[STAGE_PLANNED]
        per_type[r.data.week_type] = _add_run(r, values, tables, kpis, result, multi)
    kpis["room_utilisation"] = (
        kpis["room_sessions_used"] / kpis["room_sessions_open"]
        if kpis["room_sessions_open"]
        else 0.0
    )
    kpis["by_week_type"] = per_type
    result.status = status
    result.objective = objective
    result.bound = bound if status is not SolveStatus.OPTIMAL else min(bound, objective)
    result.kpis = kpis
    result.tables = {name: pd.concat(dfs, ignore_index=True) for name, dfs in tables.items()}
    result.extra = {
        "week_types": [r.data.week_type for r in runs],
        "activity_types": [t.id for t in runs[0].data.activity_types],
        "colours": {t.id: t.color for t in runs[0].data.activity_types if t.color},
        "objective_definition": "same-day shortfall + priority-weighted planned shortfall",
    }
    if not result.explanation:
        result.explanation.append("every session needed is in the matrix; no shortfall")
    if not math.isfinite(result.bound):
        result.bound = -math.inf
    return result


def _combined_status(statuses: list[SolveStatus]) -> SolveStatus:
    """Optimal when every week type is; feasible when each has a matrix; else the worst."""
    if all(s is SolveStatus.OPTIMAL for s in statuses):
        return SolveStatus.OPTIMAL
    if all(s.has_solution for s in statuses):
        return SolveStatus.FEASIBLE
    if any(s is SolveStatus.INFEASIBLE for s in statuses):
        return SolveStatus.INFEASIBLE
    return SolveStatus.NO_SOLUTION_IN_TIME


def _no_matrix(result: Result, runs: list[MatrixRun]) -> Result:
    """Build the envelope without a matrix: why, per week type, and empty hand-over files."""
    multi = len(runs) > 1
    for r in runs:
        if r.status is SolveStatus.INFEASIBLE:
            pre = f"[{r.data.week_type}] " if multi else ""
            result.explanation += [pre + line for line in explain_infeasible(r.data)]
        elif not r.status.has_solution and r.status is not SolveStatus.INTERRUPTED:
            result.explanation.append(
                f"[{r.data.week_type}] no matrix found within the time limit; raise --time-limit"
            )
    # the hand-over files exist in every output folder (header only: nothing placed)
    result.tables = {
        "feedback": pd.DataFrame(columns=FEEDBACK_COLUMNS),
        "trace": pd.DataFrame(columns=TRACE_COLUMNS),
    }
    return result


def _checked_values(
    r: MatrixRun, status: SolveStatus, result: Result, multi: bool
) -> tuple[dict[str, int], SolveStatus]:
    """Recompute the stage values from the cells and give the status after the self-check.

    See :func:`pks_opt.stages.self_check`: a stage value the cells do not give is a warning,
    and the matrix is no longer proven optimal. A broken hard rule is a bug: it raises.
    """
    d = r.data
    values = stage_values(d, r.rooms)
    status, problems = self_check(
        status,
        [Check(name, v, values[name], exact=True) for name, v in r.stage_objectives.items()],
        prefix=f"{d.week_type}: " if multi else "",
    )
    result.warnings += problems
    bad = violations(d, r.rooms, r.staff)
    if bad:
        raise RuntimeError(f"{d.week_type}: solution breaks {bad[0]}")
    return values, status


def _add_run(
    r: MatrixRun,
    values: dict[str, int],
    tables: dict[str, list[pd.DataFrame]],
    kpis: dict[str, Any],
    result: Result,
    multi: bool,
) -> dict[str, Any]:
    """One week type's tables, KPI sums and explanation; returns its ``by_week_type`` entry."""
    d = r.data
    tables["room_grid"].append(room_grid(d, r.rooms))
    tables["staff_grid"].append(staff_grid(d, r.rooms, r.staff))
    tables["coverage"].append(cov := coverage(d, r.rooms))
    tables["day_coverage"].append(day_coverage(d, r.rooms))
    tables["assignments"].append(assignments(d, r.rooms, r.staff))
    tables["staff_demand"].append(staff_demand(d, r.rooms, r.staff))
    tables["feedback"].append(fb := feedback(d, r.rooms, r.staff))
    tables["trace"].append(trace(d, r.rooms, r.staff))
    day_short = values[STAGE_DAY]
    kpis["sessions_needed"] += int(cov["needed"].sum())
    kpis["sessions_delivered"] += int(cov["delivered"].sum())
    kpis["sessions_short"] += int(cov["shortfall"].sum())
    kpis["same_day_short"] += day_short
    kpis["room_sessions_open"] += sum(
        1 for rm in d.rooms for dd in d.days for k in d.sessions if d.is_open(rm.id, dd, k.id)
    )
    kpis["room_sessions_used"] += len(r.rooms)
    kpis["room_changes"] += room_changes(d, r.rooms)
    kpis["continuity_rows"] += continuity(d, r.rooms)
    kpis["spread"] += spread(d, r.rooms)
    kpis["misplaced_sessions"] += room_fit(d, r.rooms)
    pre = f"[{d.week_type}] " if multi else ""
    result.explanation += [pre + line for line in explain(d, r.rooms, r.staff)]
    for t in d.activity_types:
        gap = patients_gap(d, t.id, sum(counts(d, r.rooms)[(t.id, dd)] for dd in d.days))
        if gap is not None:
            result.explanation.append(
                f"{pre}{t.id}: {gap[2]} — {gap[0] - gap[1]:.4g} patients a week short of "
                "the plan (feedback.csv)"
            )
    kpis["feedback_rows"] += len(fb)
    return {
        "needed": int(cov["needed"].sum()),
        "delivered": int(cov["delivered"].sum()),
        "short": int(cov["shortfall"].sum()),
        "same_day_short": day_short,
        "stage_values": values,
    }

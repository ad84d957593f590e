"""Follow-up of a roster (``pks follow-up ROSTER_DIR ACTUALS``): the shifts really worked.

Against the roster and against the demand it was laid for.

Reads a ``pks roster`` result folder (``result.json`` with ``kind: roster``, ``roster.csv``,
``assignments.csv``, ``coverage.csv``) and the actuals' ``shifts`` table (``staff, date,
shift[, comment]``; shift ``-`` = did not work, a row that only carries a comment).

- **Per staff × date** (``staff_followup.csv``): rostered shift against worked shift —
  ``as rostered``, ``absent`` (rostered, not worked), ``other shift`` (worked another shift
  than rostered) or ``extra`` (worked, not rostered).
- **Per date × shift × competence × tier** (``cover_followup.csv``): the cover asked, rostered
  and worked. Worked people are counted into the demand rows of their cell the way the roster
  counts rostered ones: tier 1 first, then 2, then 3 (the order of ``coverage.csv``). A worked
  shift takes the competence it was rostered in; a worked shift that was not rostered takes
  the person's competence (of several: the one whose cell is shortest of people at that
  point, ties in the order of ``roster.csv``). Named-person rows (``staff`` set) count the
  named person only.
- **Flags.** A tier-1 cell worked short of its demand is always flagged. Per tier ×
  competence × day, the share short r = (worked − asked) ÷ max(1, asked): tier 2 is flagged
  when r is beyond the threshold; tier 3 by the plan's rule
  (:func:`pks_opt.followup.compare.flags`): beyond the threshold **and** beyond the XmR
  limits of the days followed or part of a run of three days short.
- **Escalation list**: one line per flagged cell, in plain words, with the people absent, the
  people who stood in and the comments.

The days followed run from the roster's first day to the last date in ``shifts.csv``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.errors import InputError
from pks_opt.followup.actuals import INSTANCE_KIND, ShiftActual
from pks_opt.followup.compare import DEFAULT_THRESHOLD, flags, relative
from pks_opt.io import Table, check_unique, parse_rows, read_raw, read_result_csv
from pks_opt.result import Result, SolveStatus

ROSTER_KIND = "roster"
NOT_WORKED = "-"
AS_ROSTERED = "as rostered"
ABSENT = "absent"
OTHER_SHIFT = "other shift"
EXTRA = "extra"


@dataclass(frozen=True)
class RosterFolder:
    """The parts of a roster result that follow-up reads."""

    name: str
    folder: Path
    staff: dict[str, list[str]]  # id -> competences, in roster.csv order
    dates: list[str]  # the horizon, ISO dates in order
    cells: dict[tuple[str, str], str]  # (staff, date) -> roster.csv cell ("D", "(vacation)", "-")
    assignments: pd.DataFrame  # staff, date, shift, competence
    coverage: pd.DataFrame  # date, shift, competence, tier, required, assigned, staff
    shifts: list[str]


def result_kind(folder: str | Path) -> str | None:
    """``kind`` of ``folder/result.json``, or None without one (a plan folder may lack it)."""
    meta = Path(folder) / "result.json"
    if not meta.is_file():
        return None
    try:
        envelope = json.loads(meta.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("malformed JSON", file=str(meta)) from None
    kind = envelope.get("kind") if isinstance(envelope, dict) else None
    return str(kind) if kind is not None else None


def _csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    return read_result_csv(
        path,
        required,
        missing="missing: follow-up needs a roster result folder (pks roster --out)",
        text=True,
    )


def _counts(column: pd.Series, path: Path, field: str) -> pd.Series:
    """Read a column of whole numbers >= 0, cell by cell.

    A result table edited by hand is checked; errors name the file, row and field.
    """
    values: list[int] = []
    for i, v in enumerate(column):
        try:
            n = int(str(v).strip())
        except ValueError:
            n = -1
        if n < 0:
            raise InputError(
                f"expected a whole number >= 0 (got {v!r})", file=str(path), row=i + 2, field=field
            )
        values.append(n)
    return pd.Series(values, index=column.index, dtype=int)


def read_roster_folder(folder: str | Path) -> RosterFolder:
    """Read a roster result folder (roster, coverage, staff) for a follow-up."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder (expected a roster result)", file=str(folder))
    name = folder.name
    meta = folder / "result.json"
    if meta.is_file():
        try:
            name = str(json.loads(meta.read_text(encoding="utf-8")).get("instance") or name)
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            raise InputError("malformed JSON", file=str(meta)) from None
    grid = _csv(folder / "roster.csv", ("staff", "competences"))
    dates = [c for c in grid.columns if c not in ("staff", "competences")]
    staff = {str(r["staff"]): str(r["competences"]).split("|") for r in grid.to_dict("records")}
    cells = {(str(r["staff"]), d): str(r[d]) for r in grid.to_dict("records") for d in dates}
    assignments = _csv(folder / "assignments.csv", ("staff", "date", "shift", "competence"))
    for i, (who, day) in enumerate(zip(assignments["staff"], assignments["date"], strict=True)):
        if who not in staff or day not in dates:
            what = f"staff '{who}'" if who not in staff else f"date '{day}'"
            raise InputError(
                f"{what} is not in roster.csv (the result folder's tables do not belong together)",
                file=str(folder / "assignments.csv"),
                row=i + 2,
                field="staff" if who not in staff else "date",
            )
    coverage = _csv(
        folder / "coverage.csv", ("date", "shift", "competence", "tier", "required", "assigned")
    )
    if "staff" not in coverage.columns:
        coverage["staff"] = ""
    for col in ("tier", "required", "assigned"):
        coverage[col] = _counts(coverage[col], folder / "coverage.csv", col)
    shifts = sorted(set(assignments["shift"]) | set(coverage["shift"]))
    return RosterFolder(name, folder, staff, dates, cells, assignments, coverage, shifts)


def read_shift_actuals(path: str | Path) -> tuple[tuple[ShiftActual, ...], Table]:
    """Read the actuals' ``shifts`` table (the production table is not needed for a roster)."""
    raw = read_raw(path, expect_kind=INSTANCE_KIND)
    if not raw.has("shifts"):
        raise InputError(
            "no shifts table: the roster's follow-up needs shifts.csv (staff, date, shift)",
            file=str(raw.source),
        )
    table = raw.table("shifts")
    rows = parse_rows(table, ShiftActual)
    return rows, table


def check_shifts(rows: tuple[ShiftActual, ...], table: Table, rf: RosterFolder) -> None:
    """Check the shifts worked against the roster.

    Every row names a person and a shift of the roster and a date of its horizon; one row per
    person and date.
    """
    horizon = set(rf.dates)

    def error(msg: str, i: int, field: str) -> InputError:
        return InputError(msg, file=table.where, row=table.row_number(i), field=field)

    for i, s in enumerate(rows):
        if s.staff not in rf.staff:
            raise error(
                f"staff '{s.staff}' is not in the roster ({', '.join(rf.staff)})", i, "staff"
            )
        try:
            Date.fromisoformat(s.date)
        except ValueError:
            raise error(f"'{s.date}' is not a date (YYYY-MM-DD)", i, "date") from None
        if s.date not in horizon:
            raise error(
                f"date {s.date} is outside the roster's horizon {rf.dates[0]}..{rf.dates[-1]}",
                i,
                "date",
            )
        if s.shift != NOT_WORKED and s.shift not in rf.shifts:
            raise error(
                f"shift '{s.shift}' is not a shift of the roster "
                f"({', '.join(rf.shifts)}; '-' = not worked)",
                i,
                "shift",
            )
    check_unique(rows, table, "staff", "date", what="person and date")


def roster_follow_up(
    rf: RosterFolder,
    rows: tuple[ShiftActual, ...],
    table: Table,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    actuals: str = "",
) -> Result:
    """Compare the shifts worked with the roster and its demand (pure but for the check)."""
    check_shifts(rows, table, rf)
    last = max((s.date for s in rows), default="")
    followed = [d for d in rf.dates if d <= last]
    days = set(followed)
    worked = {(s.staff, s.date): s for s in rows}
    rostered = {
        (str(r["staff"]), str(r["date"])): (str(r["shift"]), str(r["competence"]))
        for r in rf.assignments.to_dict("records")
    }
    staff_rows = _staff_rows(rf, days, worked, rostered)
    cover_df = _cover(rf, days, staff_rows, rostered)
    _flag(cover_df, followed, threshold)
    by_staff = {(row["staff"], row["date"]): row for row in staff_rows}
    escalation = [
        _escalate(rf, {str(k): v for k, v in r.items()}, by_staff, rostered, worked)
        for r in cover_df[cover_df["flag"]].to_dict("records")
    ]
    staff_df = pd.DataFrame(staff_rows, columns=STAFF_COLUMNS)
    explanation = [e["text"] for e in escalation]
    if not followed:
        explanation.append("no shifts worked in the roster's horizon")
    elif not explanation:
        explanation.append(
            f"{followed[0]}..{followed[-1]}: every demand was covered as asked "
            "(or short by no more than the threshold, as noise)"
        )
    kpis = _roster_kpis(staff_df, cover_df, rows, rostered, days)
    kpis["escalations"] = len(escalation)
    return Result(
        "roster_follow_up",
        SolveStatus.OPTIMAL,
        rf.name,
        "closed form",
        objective=0.0,
        bound=0.0,
        kpis=kpis,
        tables={
            "staff_followup": staff_df,
            "cover_followup": cover_df,
            "escalation": pd.DataFrame(escalation, columns=ESCALATION_COLUMNS),
        },
        explanation=explanation,
        extra={
            "level": "roster",
            "threshold": threshold,
            "roster": str(rf.folder),
            "actuals": actuals,
            "days": [followed[0], followed[-1]] if followed else [],
        },
    )


Rostered = dict[tuple[str, str], tuple[str, str]]  # (staff, date) -> (shift, competence)


def _day_status(r_shift: str, w_shift: str) -> str:
    if not r_shift and not w_shift:
        return "off"
    if r_shift and w_shift == r_shift:
        return AS_ROSTERED
    if r_shift and not w_shift:
        return ABSENT
    return OTHER_SHIFT if r_shift else EXTRA


def _staff_rows(
    rf: RosterFolder,
    days: set[str],
    worked: dict[tuple[str, str], ShiftActual],
    rostered: Rostered,
) -> list[dict[str, Any]]:
    """One row per person and date rostered or worked: what was rostered, what was worked."""
    order = {e: i for i, e in enumerate(rf.staff)}
    keys = sorted(
        {k for k in rostered if k[1] in days} | set(worked), key=lambda k: (k[1], order[k[0]])
    )
    staff_rows: list[dict[str, Any]] = []
    for e, d in keys:
        r_shift, r_comp = rostered.get((e, d), ("", ""))
        w = worked.get((e, d))
        w_shift = w.shift if w is not None and w.shift != NOT_WORKED else ""
        staff_rows.append(
            {
                "staff": e,
                "date": d,
                "rostered_shift": r_shift,
                "rostered_competence": r_comp,
                "worked_shift": w_shift,
                "worked_competence": "",
                "status": _day_status(r_shift, w_shift),
                "roster_cell": rf.cells.get((e, d), ""),
                "comment": (w.comment or "") if w is not None else "",
            }
        )
    return staff_rows


def _cover(
    rf: RosterFolder, days: set[str], staff_rows: list[dict[str, Any]], rostered: Rostered
) -> pd.DataFrame:
    """Count the cover worked per demand row.

    The people who worked are put into cells (as rostered first, then the others by the
    competence rule), the tiers filled in order as the roster counts them.
    """
    cover = rf.coverage[rf.coverage["date"].isin(days)]
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in cover.to_dict("records")
    ]
    cell_rows = [r for r in records if not r["staff"]]
    named_rows = [r for r in records if r["staff"]]
    asked_cell: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in cell_rows:
        asked_cell[r["date"], r["shift"], r["competence"]] += int(r["required"])
    in_cell = _worked_cells(rf, staff_rows, asked_cell)
    rostered_in: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for (e, d), (s, c) in rostered.items():
        if d in days:
            rostered_in[d, s, c].append(e)
    cover_rows: list[dict[str, Any]] = []
    left: dict[tuple[str, str, str], int] = {}
    for r in cell_rows:
        key = (r["date"], r["shift"], r["competence"])
        left.setdefault(key, len(in_cell[key]))
        got = min(left[key], int(r["required"]))
        left[key] -= got
        cover_rows.append(
            _cover_row(r, int(r["assigned"]), got, "", rostered_in[key], in_cell[key])
        )
    for r in named_rows:
        key = (r["date"], r["shift"], r["competence"])
        on = int(r["staff"] in in_cell[key])
        cover_rows.append(
            _cover_row(r, int(r["assigned"]), on, r["staff"], rostered_in[key], in_cell[key])
        )
    return pd.DataFrame(cover_rows, columns=COVER_COLUMNS)


def _worked_cells(
    rf: RosterFolder,
    staff_rows: list[dict[str, Any]],
    asked_cell: dict[tuple[str, str, str], int],
) -> dict[tuple[str, str, str], list[str]]:
    """(date, shift, competence) → who worked in it; sets each row's ``worked_competence``.

    As rostered: the rostered competence. Another shift or an extra one: the person's
    competence with the most demand still open in that cell (ties: the first listed).
    """
    in_cell: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in staff_rows:
        if row["status"] == AS_ROSTERED:
            row["worked_competence"] = row["rostered_competence"]
            in_cell[row["date"], row["worked_shift"], row["worked_competence"]].append(row["staff"])
    for row in staff_rows:
        if row["status"] in (OTHER_SHIFT, EXTRA):
            d, s = row["date"], row["worked_shift"]
            comps = rf.staff[row["staff"]]
            comp = max(
                comps,
                key=lambda c: (
                    asked_cell.get((d, s, c), 0) - len(in_cell[d, s, c]),
                    -comps.index(c),
                ),
            )
            row["worked_competence"] = comp
            in_cell[d, s, comp].append(row["staff"])
    return in_cell


def _roster_kpis(
    staff_df: pd.DataFrame,
    cover_df: pd.DataFrame,
    rows: tuple[ShiftActual, ...],
    rostered: Rostered,
    days: set[str],
) -> dict[str, Any]:
    counts = staff_df["status"].value_counts() if not staff_df.empty else pd.Series(dtype=int)
    kpis: dict[str, Any] = {
        "days_followed": len(days),
        "rostered_shifts": int(sum(1 for k in rostered if k[1] in days)),
        "worked_shifts": int(sum(1 for s in rows if s.shift != NOT_WORKED)),
        **{
            k.replace(" ", "_"): int(counts.get(k, 0))
            for k in (AS_ROSTERED, ABSENT, OTHER_SHIFT, EXTRA)
        },
    }
    cov = cover_df[cover_df["staff"] == ""]
    for t in (1, 2, 3):
        part = cov[cov["tier"] == t]
        kpis[f"tier{t}_asked"] = int(part["asked"].sum())
        kpis[f"tier{t}_rostered_short"] = int((part["asked"] - part["rostered"]).sum())
        kpis[f"tier{t}_worked_short"] = int(part["short"].sum())
    kpis["flagged_cells"] = int(cover_df["flag"].sum())
    return kpis


STAFF_COLUMNS = [
    "staff",
    "date",
    "rostered_shift",
    "rostered_competence",
    "worked_shift",
    "worked_competence",
    "status",
    "roster_cell",
    "comment",
]
COVER_COLUMNS = [
    "date",
    "shift",
    "competence",
    "tier",
    "staff",
    "asked",
    "rostered",
    "worked",
    "short",
    "change",
    "share_short",
    "flag",
    "rostered_people",
    "worked_people",
]
ESCALATION_COLUMNS = [
    "level",
    "unit",
    "date",
    "shift",
    "competence",
    "tier",
    "asked",
    "rostered",
    "worked",
    "absent",
    "stood_in",
    "text",
    "comment",
]


def _cover_row(
    r: dict[str, Any],
    rostered: int,
    worked: int,
    staff: str,
    rostered_people: list[str],
    worked_people: list[str],
) -> dict[str, Any]:
    asked = int(r["required"])
    return {
        "date": r["date"],
        "shift": r["shift"],
        "competence": r["competence"],
        "tier": int(r["tier"]),
        "staff": staff,
        "asked": asked,
        "rostered": rostered,
        "worked": worked,
        "short": asked - worked,
        "change": worked - rostered,
        "share_short": round(relative(worked, asked), 4),
        "flag": False,
        "rostered_people": "|".join(sorted(rostered_people)),
        "worked_people": "|".join(sorted(worked_people)),
    }


def _flag(cover: pd.DataFrame, followed: list[str], threshold: float) -> None:
    """Flag the cells and people to escalate.

    Tier 1: every cell worked short. Tier 2: per competence, a day whose share short
    (worked − asked) ÷ max(1, asked) is beyond the threshold (patients' visits are at stake).
    Tier 3: the same share, and not noise — beyond the XmR limits of the days followed or in a
    run of three days short (the plan's rule, :func:`flags`). A named person (tier 2–3)
    rostered and then not on the shift is flagged.
    """
    if cover.empty:
        return
    cover.loc[(cover["tier"] == 1) & (cover["short"] > 0), "flag"] = True
    rest = cover[(cover["tier"] > 1) & (cover["staff"] == "")]
    for (tier, _comp), grp in rest.groupby(["tier", "competence"], sort=True):
        per_day = grp.groupby("date")[["asked", "worked"]].sum()
        asked = {str(k): float(v) for k, v in per_day["asked"].items()}
        did = {str(k): float(v) for k, v in per_day["worked"].items()}
        series = [d for d in followed if asked.get(d, 0.0) > 0]
        r = [relative(did[d], asked[d]) for d in series]
        if tier == 2:
            flagged = [abs(x) > threshold for x in r]
        else:
            flagged, _limit = flags(r, [True] * len(r), threshold)
        bad = {d for d, f, x in zip(series, flagged, r, strict=True) if f and x < 0}
        cover.loc[grp.index[grp["date"].isin(bad) & (grp["short"] > 0)], "flag"] = True
    named = (cover["staff"] != "") & (cover["tier"] > 1) & (cover["short"] > 0)
    cover.loc[named & (cover["rostered"] > 0), "flag"] = True  # rostered, then not there


def _escalate(
    rf: RosterFolder,
    r: dict[str, Any],
    by_staff: dict[tuple[str, str], dict[str, Any]],
    rostered: dict[tuple[str, str], tuple[str, str]],
    worked: dict[tuple[str, str], ShiftActual],
) -> dict[str, Any]:
    d, s, c = r["date"], r["shift"], r["competence"]
    planned = set(filter(None, r["rostered_people"].split("|")))
    came = set(filter(None, r["worked_people"].split("|")))
    absent = sorted(planned - came)
    stood_in = sorted(came - planned)
    if r["staff"]:
        text = f"{d} {s}: {r['staff']} ({c}, named, tier {r['tier']}) did not work the shift"
    else:
        text = f"{d} {s}: {c} cover {r['worked']} of {r['asked']} asked (tier {r['tier']})"
        if r["rostered"] < r["asked"]:
            text += f"; rostered {r['rostered']}: short in the roster already"
    parts = []
    for e in absent:
        row = by_staff.get((e, d))
        moved = row["worked_shift"] if row is not None and row["worked_shift"] else ""
        parts.append(f"{e} {'moved to ' + moved if moved else 'absent'}")
    if absent:
        text += ": " + ", ".join(parts)
        text += f" — stood in: {', '.join(stood_in)}" if stood_in else " — no replacement"
    elif stood_in:
        text += f": stood in: {', '.join(stood_in)}"
    comments = []
    for e in sorted(planned | came):
        w = worked.get((e, d))
        if w is not None and w.comment:
            comments.append(f"{e}: {w.comment}")
    if comments:
        text += f" (comment: {'; '.join(comments)})"
    return {
        "level": "roster",
        "unit": rf.name,
        "date": d,
        "shift": s,
        "competence": c,
        "tier": r["tier"],
        "asked": r["asked"],
        "rostered": r["rostered"],
        "worked": r["worked"],
        "absent": "|".join(absent),
        "stood_in": "|".join(stood_in),
        "text": text,
        "comment": "; ".join(comments),
    }

"""Tiny activity-matrix instances written to a tmp folder, and a one-call solve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pks_opt.activity_matrix import matrices_from_plan, read_matrix, solve_matrices
from pks_opt.activity_matrix.data import build_matrix
from pks_opt.io import read_raw
from pks_opt.result import Result

#: one physician-free activity per room by default: only rooms limit
DEFAULT_TABLES = {
    "sessions": "session,start,end\nam,08:00,12:00\n",
    "rooms": "room,capabilities\nR1,\n",
    "activity_types": "activity_type,priority,sessions_per_week\nA,1,1\n",
    "activity_staff": "activity_type,competence,staff\n",
    "staff": "staff,competence,count\n",
}


def write_instance(
    folder: Path,
    tables: dict[str, str] | None = None,
    *,
    days: list[int] | None = None,
    **params: Any,
) -> Path:
    """A folder instance: DEFAULT_TABLES overridden by ``tables`` (CSV text per table)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "kind": "activity_matrix",
        "name": folder.name,
        "parameters": {"days": days or [0], **params},
    }
    (folder / "instance.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    for name, text in {**DEFAULT_TABLES, **(tables or {})}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def solve(
    folder: Path, *, plan: Path | None = None, week: int | None = None, seed: int = 0
) -> Result:
    if plan is None:
        datas = [read_matrix(folder)]
    else:
        raw = read_raw(folder)
        datas = matrices_from_plan(build_matrix(raw), raw, plan, week=week)
    return solve_matrices(datas, time_limit_s=10, workers=1, seed=seed)


def grid(result: Result) -> dict[tuple[str, str, str], str]:
    """(room, session, day name) → cell text of the room grid."""
    rg = result.tables["room_grid"]
    days = [c for c in rg.columns if c not in ("week_type", "room", "session")]
    return {(r["room"], r["session"], d): r[d] for _, r in rg.iterrows() for d in days}


def delivered(result: Result, week_type: str = "normal") -> dict[str, int]:
    cov = result.tables["coverage"]
    cov = cov[cov["week_type"] == week_type]
    return dict(zip(cov["activity_type"], cov["delivered"].astype(int), strict=True))

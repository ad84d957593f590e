"""Tiny production-plan instances written to a tmp folder (each test works out its optimum)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pks_opt.production_plan.data import read_plan
from pks_opt.production_plan.milp import solve_plan
from pks_opt.production_plan.solution import plan_result
from pks_opt.result import Result

OBJECT_DEFAULTS: dict[str, Any] = {"priority": 1, "max_wait_weeks": 52, "queue_start": 0}


def write_instance(
    folder: Path,
    *,
    objects: list[dict[str, Any]],
    weeks: int | list[dict[str, Any]],
    resources: list[dict[str, Any]],
    hours: list[tuple[str, str, float]],
    inflow: list[dict[str, Any]] | None = None,
    capacity: list[dict[str, Any]] | None = None,
    parameters: dict[str, Any] | None = None,
) -> Path:
    """Write an instance folder; ``weeks`` is a count (all normal) or the rows of weeks.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"kind": "tactical", "name": folder.name, "parameters": parameters or {}}
    (folder / "instance.yaml").write_text(yaml.safe_dump(manifest))
    pd.DataFrame([OBJECT_DEFAULTS | o for o in objects]).to_csv(
        folder / "planning_objects.csv", index=False
    )
    week_rows = [{"week": w} for w in range(1, weeks + 1)] if isinstance(weeks, int) else weeks
    pd.DataFrame(week_rows).to_csv(folder / "weeks.csv", index=False)
    pd.DataFrame(resources).to_csv(folder / "resources.csv", index=False)
    pd.DataFrame(hours, columns=["planning_object", "resource", "hours_per_activity"]).to_csv(
        folder / "activity_hours.csv", index=False
    )
    if inflow is not None:
        pd.DataFrame(inflow).to_csv(folder / "inflow.csv", index=False)
    if capacity is not None:
        pd.DataFrame(capacity).to_csv(folder / "capacity.csv", index=False)
    return folder


def weekly_inflow(
    oid: str, values: list[float], removals: list[float] | None = None
) -> list[dict[str, Any]]:
    rows = [{"planning_object": oid, "week": w, "inflow": v} for w, v in enumerate(values, start=1)]
    if removals is not None:
        for row, r in zip(rows, removals, strict=True):
            row["other_removals"] = r
    return rows


def solve(folder: Path, backend: str, *, time_limit_s: float = 20.0) -> Result:
    """Read, solve with and without the reduction goal, and build the envelope."""
    data = read_plan(folder)
    with_target = solve_plan(data, backend=backend, time_limit_s=time_limit_s, with_target=True)
    without = solve_plan(data, backend=backend, time_limit_s=time_limit_s, with_target=False)
    return plan_result(data, with_target, without)


def production(result: Result, oid: str, table: str = "production_plan") -> list[int]:
    df = result.tables[table]
    return [int(v) for v in df[df["planning_object"] == oid].sort_values("week")["production"]]


def column(result: Result, oid: str, col: str, table: str = "production_plan") -> list[float]:
    df = result.tables[table]
    return [float(v) for v in df[df["planning_object"] == oid].sort_values("week")[col]]


def one_resource(hours_per_week: float) -> list[dict[str, Any]]:
    return [{"resource": "doc", "hours_per_week": hours_per_week}]

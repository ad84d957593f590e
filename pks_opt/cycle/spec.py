"""A cycle folder: which strategic instance and which tactical instance per unit (``cycle.yaml``).

```yaml
kind: cycle
name: region-cycle
strategic: ../region-small        # folder or .xlsx, relative to the cycle folder
year: "2027"                      # plan year (the balance's periods starting with it)
max_handshakes: 4                 # round 2: balance -> plans -> feedback at most this often
units:                            # unit -> tactical instance
  MEDCLIN: ../clinic-plan
  ORT: ort-plan
plan: {max_nodes: 200, time_limit: 60}
```

Every instance is read and validated before anything is solved (:func:`read_cycle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from pks_opt.balancing.data import BalancingData
from pks_opt.capacity_need.data import NeedData
from pks_opt.constants import DEFAULT_TIME_LIMIT_S
from pks_opt.errors import InputError
from pks_opt.io import RawInstance, Row, load_yaml, read_raw, validation_to_input_error
from pks_opt.production_plan.data import PlanData

CYCLE_FILE = "cycle.yaml"
KIND = "cycle"


class PlanOptions(Row):
    """The ``plan`` block of a cycle manifest: options of each unit's production plan."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    max_nodes: int = Field(default=200, ge=1)
    time_limit: float = Field(default=DEFAULT_TIME_LIMIT_S, gt=0)
    goal_tolerance: float | None = Field(default=None, ge=0, le=1)


class CycleManifest(Row):
    """A cycle manifest as written: the strategic instance and each unit's plan instance."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    kind: str
    name: str | None = None
    strategic: str = Field(min_length=1)
    year: str | None = None
    max_handshakes: int = Field(default=4, ge=1, le=20)
    units: dict[str, str]
    plan: PlanOptions = PlanOptions()


@dataclass(frozen=True)
class CycleSpec:
    """A validated cycle: the strategic instance read, each unit's plan instance read."""

    name: str
    folder: Path
    raw: RawInstance
    need: NeedData
    balancing: BalancingData
    year: str | None
    max_handshakes: int
    plans: dict[str, PlanData]  # unit -> its tactical instance
    plan_paths: dict[str, Path]
    plan_options: PlanOptions


def read_cycle(folder: str | Path) -> CycleSpec:
    """Read ``folder/cycle.yaml`` and every instance it names.

    Raises
    ------
    InputError
        The manifest's problems (file ``cycle.yaml``, field), a unit the strategic instance
        does not have, or any problem in the named instances (their own file, row, field).
    """
    from pks_opt.balancing import read_balancing
    from pks_opt.capacity_need import read_need
    from pks_opt.production_plan.data import read_plan

    folder = Path(folder)
    path = folder / CYCLE_FILE if folder.is_dir() else folder
    where = str(path)
    if not path.is_file():
        raise InputError(f"missing: a cycle folder needs {CYCLE_FILE}", file=where)
    loaded: Any = load_yaml(path)
    if not isinstance(loaded, dict):
        raise InputError("expected a mapping of keys (kind, strategic, units, …)", file=where)
    try:
        manifest = CycleManifest.model_validate(loaded)
    except ValidationError as exc:
        raise validation_to_input_error(exc, where, None) from None
    if manifest.kind != KIND:
        raise InputError(f"kind must be '{KIND}' (got {manifest.kind!r})", file=where, field="kind")
    if not manifest.units:
        raise InputError(
            "name at least one unit and its tactical instance", file=where, field="units"
        )
    base = path.parent
    raw = read_raw(base / manifest.strategic, expect_kind="strategic")
    need = read_need(raw)
    balancing = read_balancing(raw)
    plans: dict[str, PlanData] = {}
    paths: dict[str, Path] = {}
    for unit, rel in manifest.units.items():
        if unit not in balancing.figures.units:
            raise InputError(
                f"unit '{unit}' is not a unit of the strategic instance "
                f"({', '.join(balancing.figures.units)})",
                file=where,
                field=f"units.{unit}",
            )
        paths[unit] = base / rel
        plans[unit] = read_plan(base / rel)
        _check_plan_fits(plans[unit], base / rel, unit, balancing)
    return CycleSpec(
        name=manifest.name or folder.name,
        folder=base,
        raw=raw,
        need=need,
        balancing=balancing,
        year=manifest.year,
        max_handshakes=manifest.max_handshakes,
        plans=plans,
        plan_paths=paths,
        plan_options=manifest.plan,
    )


def _check_plan_fits(plan: PlanData, where: Path, unit: str, balancing: BalancingData) -> None:
    """Check that the tactical instance speaks the strategic one's language.

    Its ``balance_resource`` names are strategic resources, and some of its planning objects
    are strategic ones.
    """
    fig = balancing.figures
    for r in plan.resources:
        if r.balance_resource is not None and r.balance_resource not in fig.resources:
            raise InputError(
                f"balance_resource '{r.balance_resource}' of resource '{r.id}' is not a "
                f"resource of the strategic instance ({', '.join(fig.resources)})",
                file=str(where / "resources.csv") if where.is_dir() else str(where),
                field="balance_resource",
            )
    ids = [o.id for o in plan.objects]
    if not set(ids) & set(fig.planning_objects):
        raise InputError(
            f"none of unit {unit}'s planning objects ({', '.join(ids)}) is a planning object of "
            "the strategic instance",
            file=str(where / "planning_objects.csv") if where.is_dir() else str(where),
            field="planning_object",
        )

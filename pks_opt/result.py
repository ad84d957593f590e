"""The result envelope shared by every level: plain data, serialisable.

Never None for "no solution".

A :class:`Result` carries the solve status, objective and bound, runtime, KPIs, the tables
(pandas DataFrames) and any explanation lines. :mod:`pks_opt.report.output` writes it as
``result.json`` + CSV (+ xlsx) + PNG; the ``result.json`` keys are the envelope documented in
the README: ``kind, status, objective, bound, runtime_s, solver, instance, kpis, tables``
(plus ``charts``, ``stages``, ``explanation``, ``warnings``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import pandas as pd


class SolveStatus(StrEnum):
    """What is proven about a solution."""

    OPTIMAL = "OPTIMAL"  # proven optimal (within the solver's optimality tolerance)
    FEASIBLE = "FEASIBLE"  # a solution, not proven optimal; see bound / gap
    INFEASIBLE = "INFEASIBLE"  # proven that no solution exists
    NO_SOLUTION_IN_TIME = "NO_SOLUTION_IN_TIME"  # stopped (time limit) before finding one
    INTERRUPTED = "INTERRUPTED"  # stopped by Ctrl-C/SIGTERM; the best solution so far, if any
    COMPUTED = "COMPUTED"  # a closed-form calculation: nothing searched, nothing to prove

    @property
    def has_solution(self) -> bool:
        """True for a solution for sure (OPTIMAL, FEASIBLE).

        An INTERRUPTED result may hold one too: :attr:`Result.has_solution` tells.
        """
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.COMPUTED)

    @property
    def exit_code(self) -> int:
        """Command-line exit code: 0 solved, 1 infeasible or no solution, 130 interrupted."""
        if self is SolveStatus.INTERRUPTED:
            return EXIT_INTERRUPTED
        return 0 if self.has_solution else 1


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report an interrupted command


@dataclass(frozen=True)
class StageReport:
    """One stage of a lexicographic solve (e.g. "tier-1 shortfall")."""

    name: str
    status: SolveStatus
    objective: float
    bound: float
    runtime_s: float

    def to_json(self) -> dict[str, Any]:
        """Give the stage as ``result.json`` writes it (infinite numbers as null)."""
        return {
            "name": self.name,
            "status": self.status.value,
            "objective": json_number(self.objective),
            "bound": json_number(self.bound),
            "proven_optimal": self.status is SolveStatus.OPTIMAL,
            "runtime_s": round(self.runtime_s, 3),
        }


@dataclass
class Result:
    """What a planning level returns.

    ``objective`` is ``inf`` when there is no solution; ``bound`` is ``-inf`` when none is known
    (both appear as ``null`` in JSON). ``tables`` maps a name (``actions``) to a DataFrame,
    written as ``actions.csv``.
    """

    kind: str
    status: SolveStatus
    instance: str
    solver: str
    objective: float = math.inf
    bound: float = -math.inf
    runtime_s: float = 0.0
    kpis: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    stages: list[StageReport] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    #: sub-results written as sub-folders (a balance's scenarios)
    parts: dict[str, Result] = field(default_factory=dict)
    #: draws the charts (name → matplotlib Figure) in a language (``draw(lang)``, ``"en"`` or
    #: ``"sv"``); set by the level, not serialised
    draw: Callable[..., Mapping[str, Any]] | None = field(default=None, repr=False, compare=False)

    def write(
        self,
        folder: str | Path,
        *,
        excel: bool = False,
        charts: bool = True,
        csv_dialect: str = "comma",
        lang: str = "en",
    ) -> dict[str, Any]:
        """Write the result folder, replacing it whole; return the envelope written.

        ``result.json``, one CSV per table, PNG charts (with ``charts`` and a solution),
        ``tables.xlsx`` (with ``excel``) and the parts as sub-folders. ``csv_dialect="sv"`` writes
        the CSVs as Swedish Excel opens them (``;``, decimal comma); ``lang`` is the charts'
        language.

        Raises
        ------
        OutputError
            The folder cannot be written, or holds something that is not a pks result.
        """
        from pks_opt.report.output import write_result

        return write_result(
            self,
            folder,
            excel=excel,
            charts=self.charts(lang) if charts else {},
            replace=True,
            csv_dialect=csv_dialect,
            lang=lang,
        )

    def charts(self, lang: str = "en") -> Mapping[str, Any]:
        """Draw the level's charts of this result in ``lang`` (none with no solution or drawer)."""
        return self.draw(lang) if self.draw is not None and self.has_solution else {}

    @property
    def has_solution(self) -> bool:
        """A solution to show: solved, or interrupted with an incumbent (finite objective)."""
        if self.status is SolveStatus.INTERRUPTED:
            return math.isfinite(self.objective)
        return self.status.has_solution

    def interrupted(self, signame: str, after_s: float) -> Result:
        """Mark this result INTERRUPTED, keeping the best solution so far (if any)."""
        if "interrupted" in self.extra:  # marked already
            return self
        if self.status.has_solution:
            keeps = (
                f"the best solution found so far is kept (status when stopped: {self.status.value})"
            )
        elif self.status is SolveStatus.INTERRUPTED:  # a stage stopped before any solution
            keeps = "no solution was found before the stop"
        else:
            keeps = f"no solution was found before the stop ({self.status.value})"
        return replace(
            self,
            parts={n: p.interrupted(signame, after_s) for n, p in self.parts.items()},
            status=SolveStatus.INTERRUPTED,
            objective=self.objective if self.status.has_solution else math.inf,
            explanation=[
                f"interrupted by {signame} after {after_s:.1f} s: {keeps}",
                *self.explanation,
            ],
            extra={
                **self.extra,
                "interrupted": {
                    "signal": signame,
                    "status_when_stopped": self.status.value,
                    "after_s": round(after_s, 2),
                },
            },
        )

    @property
    def gap(self) -> float:
        """Relative gap |objective − bound| / max(1, |objective|); inf without both."""
        if not (math.isfinite(self.objective) and math.isfinite(self.bound)):
            return math.inf
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))

    def envelope(
        self, table_files: dict[str, str] | None = None, chart_files: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Build the JSON envelope (``tables`` maps name → file once written)."""
        return {
            "kind": self.kind,
            "status": self.status.value,
            "objective": json_number(self.objective),
            "bound": json_number(self.bound),
            "gap": json_number(self.gap),
            "runtime_s": round(self.runtime_s, 3),
            "solver": self.solver,
            "instance": self.instance,
            "kpis": jsonable(self.kpis),
            "tables": dict(table_files or {}),
            "charts": dict(chart_files or {}),
            "stages": [s.to_json() for s in self.stages],
            "explanation": list(self.explanation),
            "warnings": list(self.warnings),
            **({"parts": sorted(self.parts)} if self.parts else {}),
            **jsonable(self.extra),
        }


def json_number(x: float | int | None) -> float | int | None:
    """Finite numbers as they are (rounded to 6 decimals); inf/nan/None as ``None``."""
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    xf = float(x)
    if not math.isfinite(xf):
        return None
    r = round(xf, 6)
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def jsonable(obj: Any) -> Any:
    """Recursively turn numpy/pandas/enum values into JSON-friendly ones."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, int | float):
        return json_number(obj)
    if hasattr(obj, "item"):
        return jsonable(obj.item())
    return str(obj)

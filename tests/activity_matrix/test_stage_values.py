"""The solver's stage values equal the values recomputed from the returned cells.

Regression for `pks matrix instances/clinic-plan-matrix --from-plan <plan>` ending in
``RuntimeError: normal: stage room-changes recomputed 14 ≠ solver 16.0``: the room-changes
stage stopped at the time limit (FEASIBLE), and

- ``room_change`` was only bounded below (change ≥ busy(k) + busy(k+1) − 1 − Σ same), so in a
  solution the minimisation had not finished with it could be 1 without a change (the same
  held for ``row_uses``, the spread's over/under and the shortfalls);
- the stage was kept as ``Σ change ≤ 16`` while room fit was solved, and that solve found cells
  with 14 changes; the result still reported the 16 of the stage's own solve.

Now every term is exact and the stage values are read from the returned solution.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from pks_opt.activity_matrix import read_matrix, solve_matrices
from pks_opt.activity_matrix.model import STAGES, MatrixModel
from pks_opt.activity_matrix.solution import stage_values
from pks_opt.result import SolveStatus

from .helpers import write_instance

AM_PM = "session,start,end\nam,08:00,12:00\npm,13:00,17:00\n"


def _extreme(mm: MatrixModel, expr: Any, *, maximise: bool) -> int:
    from ortools.sat.python import cp_model

    if isinstance(expr, int):
        return expr
    if maximise:
        mm.model.maximize(expr)
    else:
        mm.model.minimize(expr)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(mm.model) == cp_model.OPTIMAL
    return int(round(solver.objective_value))


# 1 room × Monday × am/pm; A and B need 2 sessions each (so every filling is allowed by R6).
# Continuity = distinct (row, type); spread: one day, so lo = hi = 2 and every session of A or B
# below 2 counts (4 − sessions placed); room changes = 1 only for two different activities.
EXPECTED = {  # (am, pm) -> (continuity, spread, room changes)
    ("", ""): (0, 4, 0),
    ("A", ""): (1, 3, 0),
    ("", "B"): (1, 3, 0),
    ("A", "A"): (2, 2, 0),  # the smallest mismatch: the old model allowed room_change = 1 here
    ("A", "B"): (2, 2, 1),
    ("B", "A"): (2, 2, 1),
}


def test_stage_terms_are_exact_for_every_filling(tmp_path: Path) -> None:
    # With the cells fixed, each stage expression has a single value: its minimum and its
    # maximum over the auxiliary variables both equal the count of solution.stage_values.
    # (Before the fix, maximising room changes with A in both sessions gave 1, not 0.)
    data = read_matrix(
        write_instance(
            tmp_path / "i",
            {
                "sessions": AM_PM,
                "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\nB,1,2\n",
            },
        )
    )
    for am, pm in itertools.product(("", "A", "B"), repeat=2):
        rooms = {("R1", 0, k): t for k, t in (("am", am), ("pm", pm)) if t}
        want = stage_values(data, rooms)
        if (am, pm) in EXPECTED:
            assert (want["continuity"], want["spread"], want["room-changes"]) == EXPECTED[(am, pm)]
        for name in STAGES:
            lo_hi = []
            for maximise in (False, True):
                mm = MatrixModel(data)
                for (r, d, k, t), v in mm.z.items():
                    mm.model.add(v == int(rooms.get((r, d, k)) == t))
                lo_hi.append(_extreme(mm, mm.objectives[name], maximise=maximise))
            assert lo_hi == [want[name], want[name]], (am, pm, name)


def test_stage_stopped_early_reports_the_returned_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2 general rooms × Monday × am/pm; A and B need 2 each. Continuity 4 (each row holds one
    # type) and spread 0 whatever the layout; room changes: A A in one room and B B in the
    # other → 0, A and B both split over the rooms → 2. The room-changes stage (5th solve) is
    # made to stop at its first solution, as a time limit would. Before the fix the result
    # reported room changes 1 for a matrix with 0 (build_result raised "recomputed 0 ≠ solver
    # 1.0"); now the reported value is that of the returned cells, never below the bound.
    from ortools.sat.python import cp_model

    real = cp_model.CpSolver
    calls = {"n": 0}

    class FirstSolutionAtStage5(real):  # type: ignore[misc, valid-type]
        def solve(self, model: Any, *args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 5:
                self.parameters.stop_after_first_solution = True
                self.parameters.cp_model_presolve = False
            return super().solve(model, *args, **kwargs)

    monkeypatch.setattr(cp_model, "CpSolver", FirstSolutionAtStage5)
    data = read_matrix(
        write_instance(
            tmp_path / "i",
            {
                "sessions": AM_PM,
                "rooms": "room,capabilities\nR1,\nR2,\n",
                "activity_types": "activity_type,priority,sessions_per_week\nA,1,2\nB,1,2\n",
            },
        )
    )
    run = MatrixModel(data).solve(time_limit_s=10, workers=1, seed=0)
    assert calls["n"] == 6
    assert stage_values(data, run.rooms) == {k: int(v) for k, v in run.stage_objectives.items()}
    changes = next(s for s in run.stages if s.name == "room-changes")
    assert changes.bound <= changes.objective == stage_values(data, run.rooms)["room-changes"]
    assert run.stage_objectives["continuity"] == 4 and run.stage_objectives["spread"] == 0

    calls["n"] = 0
    res = solve_matrices([data], time_limit_s=10)  # the independent check in build_result
    assert res.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert res.kpis["room_changes"] == next(
        s.objective for s in res.stages if s.name == "room-changes"
    )

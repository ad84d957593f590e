"""`pks matrix --time-limit`: wall-clock seconds by default, CP-SAT work units with
--deterministic (the same input and seed give the same matrix under any load)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pks_opt.activity_matrix.data import read_matrix
from pks_opt.activity_matrix.model import CpSatAdapter, MatrixModel, WallClockCpSatAdapter
from pks_opt.commands import main
from pks_opt.instances import instance_path


def test_deterministic_runs_give_the_same_matrix(tmp_path: Path) -> None:
    grids = []
    for i in (1, 2):
        out = tmp_path / f"run{i}"
        res = CliRunner().invoke(
            main,
            [
                "matrix",
                str(instance_path("clinic-matrix")),
                "--deterministic",
                "--time-limit",
                "2",
                "--out",
                str(out),
                "--json",
            ],
        )
        assert res.exit_code == 0, res.output
        grids.append((out / "room_grid.csv").read_text())
    assert grids[0] == grids[1]


def test_wall_clock_mode_counts_wall_seconds() -> None:
    """The wall-clock adapter's clock is the wall; the deterministic one's is CP-SAT's work
    units (0 before any solve)."""
    model = MatrixModel(read_matrix(instance_path("clinic-matrix")))
    wall = WallClockCpSatAdapter(model.model)
    det = CpSatAdapter(model.model)
    assert det.used_s() == 0.0
    assert wall.used_s() > 0.0
    run = model.solve(time_limit_s=5, workers=1, seed=0, deterministic=False)
    assert run.status.has_solution
    assert [s.name for s in run.stages][0] == "same-day"

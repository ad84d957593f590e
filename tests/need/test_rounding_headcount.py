"""Issue 20's honest need labels on the seed example (instances/seed-inpatient).

Round 1: 2 000 admissions × 3.5 days = 7 000 bed-days / 365 / 0.95 = 20.187 beds; the ward has
20 staffed beds = 7 300 bed-days.

* ``bed_rounding: nearest`` (default): 20 planned beds × 365 = 7 300 → balanced (gap 0).
* ``bed_rounding: up``: 21 × 365 = 7 665 → gap 365 bed-days (one bed), ratio 1.05.
* ``bed_rounding: 0.25`` (tolerance): 20.187 is 0.187 ≤ 0.25 above 20 → 20, balanced;
  ``0.1``: 0.187 > 0.1 → 21, as ``up``.

Headcount: staffing keys 1 / 1.25 / 0.08333 per bed on 20 planned beds = 20 / 25 / 1.67 → 2
FTE; with employment rates 0.8 / 0.9 / blank the headcount is ⌈20 / 0.8⌉ = 25, ⌈25 / 0.9⌉ =
⌈27.8⌉ = 28 and none (no rate given).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from pks_opt.capacity_need import round_by
from pks_opt.commands import main
from pks_opt.instances import instance_path

SEED = instance_path("seed-inpatient")


def _copy(tmp_path: Path, rounding: object = None) -> Path:
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    if rounding is not None:
        manifest = yaml.safe_load((folder / "instance.yaml").read_text())
        manifest["parameters"]["bed_rounding"] = rounding
        (folder / "instance.yaml").write_text(yaml.safe_dump(manifest))
    return folder


def _need(folder: Path, tmp_path: Path) -> tuple[int, Path, str]:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["need", str(folder), "--out", str(out)])
    return res.exit_code, out, res.output


@pytest.mark.parametrize(
    ("rounding", "planned", "gap"),
    [(None, 20, 0.0), ("up", 21, 365.0), (0.25, 20, 0.0), (0.1, 21, 365.0)],
)
def test_bed_rounding_sets_the_bed_gap(
    tmp_path: Path, rounding: object, planned: int, gap: float
) -> None:
    code, out, output = _need(_copy(tmp_path, rounding), tmp_path)
    assert code == 0, output
    beds = pd.read_csv(out / "inpatient_beds.csv").iloc[0]
    assert beds["beds_planned"] == planned
    row = pd.read_csv(out / "gaps.csv").iloc[0]
    assert row["need"] == pytest.approx(planned * 365)
    assert row["gap"] == pytest.approx(gap)


def test_tolerance_rule() -> None:
    assert round_by(20.187, 0.25) == 20 and round_by(20.3, 0.25) == 21
    assert round_by(24.0, 0.0) == 24 and round_by(24.01, 0.0) == 25


def test_a_bad_rounding_names_the_field(tmp_path: Path) -> None:
    code, _out, output = _need(_copy(tmp_path, 1.5), tmp_path)
    assert code == 2 and "parameters.bed_rounding" in output and "tolerance" in output


def test_headcount_from_employment_rates(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    keys = pd.read_csv(folder / "staffing_keys.csv")
    keys["employment_rate"] = [0.8, 0.9, None]
    keys.to_csv(folder / "staffing_keys.csv", index=False)
    code, out, output = _need(folder, tmp_path)
    assert code == 0, output
    staff = pd.read_csv(out / "staffing.csv").set_index("role")
    assert staff["fte"].to_dict() == {
        "registered_nurse": 20, "assistant_nurse": 25, "other_staff": 2,
    }  # fmt: skip
    assert staff.loc["registered_nurse", "headcount"] == 25
    assert staff.loc["assistant_nurse", "headcount"] == 28
    assert pd.isna(staff.loc["other_staff", "headcount"])
    assert "20 registered_nurse (25 people)" in output and "staff (FTE)" in output

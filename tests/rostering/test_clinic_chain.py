"""The chain activity matrix -> roster on the shipped clinic-roster instance.

A hand-written ``staff_demand.csv`` (the matrix's output format, competences ``physician`` and
``nurse`` as in instances/clinic-plan-matrix) is passed with ``--from-matrix``; the roster must
place its sessions on the D shift (08:00-17:00) of the right week type and cover tier 2 as far
as the absences allow.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path

# Wednesdays (weekday 2) only, plus Monday nurses. Normal Wednesday: am 2 cardio + 2 neuro +
# 2 gastro = 6 physicians, pm 4 -> D needs max(6, 4) = 6. Summer Wednesday: 3 physicians.
# Normal Monday: 7 nurses am, 5 pm -> 7 (plus the instance's tier-1 triage nurse = 8 on D).
MATRIX = """\
week_type,weekday,session,start,end,competence,staff,activity_type
normal,2,am,08:00,12:00,physician,2,cardio
normal,2,am,08:00,12:00,physician,2,neuro
normal,2,am,08:00,12:00,physician,2,gastro
normal,2,pm,13:00,17:00,physician,4,other
summer,2,am,08:00,12:00,physician,3,cardio
normal,0,am,08:00,12:00,nurse,7,diabetes
normal,0,pm,13:00,17:00,nurse,5,allergy
"""


def test_matrix_demand_covered_as_far_as_absences_allow(tmp_path: Path) -> None:
    mdir = tmp_path / "matrix"
    mdir.mkdir()
    (mdir / "staff_demand.csv").write_text(MATRIX, encoding="utf-8")
    out = tmp_path / "roster"
    res = CliRunner().invoke(
        main,
        [
            "roster",
            str(instance_path("clinic-roster")),
            "--from-matrix",
            str(mdir),
            "--out",
            str(out),
            "--time-limit",
            "10",
            "--workers",
            "1",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    env = json.loads((out / "result.json").read_text(encoding="utf-8"))
    tier2_stage = env["stages"][1]
    assert tier2_stage["name"] == "tier-2 shortfall" and tier2_stage["proven_optimal"]
    with (out / "coverage.csv").open(encoding="utf-8") as f:
        cov = {(r["date"], r["shift"], r["competence"], r["tier"]): r for r in csv.DictReader(f)}

    def cell(day: str, comp: str) -> tuple[int, int, int]:
        r = cov[(day, "D", comp, "2")]
        return int(r["required"]), int(r["assigned"]), int(r["short"])

    # 2027-08-25, normal Wednesday (week 34): 7 physicians less int1's admin day = 6 -> covered.
    assert cell("2027-08-25", "physician") == (6, 6, 0)
    # 2027-09-01, normal Wednesday (week 35): neuro2 is also on a course -> 5 of 6, one short.
    assert cell("2027-09-01", "physician") == (6, 5, 1)
    # 2027-08-11, summer Wednesday (week 32, week_types.csv): the summer row, 3 physicians;
    # present: card1, neuro1, gast2 (card2, gast1, neuro2 on vacation, int1 admin) -> covered.
    assert cell("2027-08-11", "physician") == (3, 3, 0)
    # 2027-08-23, normal Monday (week 34): 7 nurses tier 2 + 1 triage (tier 1) = 8 of the
    # 9 nurses less n02 on sick leave = 8 -> covered; the summer Monday 2027-08-09 has no
    # summer nurse row, so no tier-2 nurse cell at all.
    assert cell("2027-08-23", "nurse") == (7, 7, 0)
    assert ("2027-08-09", "D", "nurse", "2") not in cov
    # the only tier-2 shortfall of the 5 weeks is the one forced by absences, and it is named
    assert env["kpis"]["tier2_short_shifts"] == 1
    assert env["kpis"]["tier1_short_shifts"] == 0
    with (out / "shortfalls.csv").open(encoding="utf-8") as f:
        short = [r for r in csv.DictReader(f) if r["tier"] == "2"]
    assert [(r["date"], r["competence"]) for r in short] == [("2027-09-01", "physician")]
    assert "absent: course" in short[0]["reasons"]

"""``csv_dialect: sv`` in instance.yaml: a Swedish instance's results (and its folder as
``pks convert`` writes it) use ';' and decimal comma without a flag; the flag still wins."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.io import read_raw
from tests.production_plan.tiny import one_resource, write_instance


def _instance(tmp_path: Path, dialect: str) -> Path:
    folder = write_instance(
        tmp_path / "inst",
        objects=[{"planning_object": "a", "annual_inflow": 26, "queue_start": 3}],
        weeks=[{"week": 1, "capacity_factor": 0.5}, {"week": 2}],
        resources=one_resource(10),
        hours=[("a", "doc", 0.5)],
    )
    manifest = yaml.safe_load((folder / "instance.yaml").read_text())
    manifest["csv_dialect"] = dialect
    (folder / "instance.yaml").write_text(yaml.safe_dump(manifest))
    return folder


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.output


def test_results_follow_the_instance_setting_unless_the_flag_says(tmp_path: Path) -> None:
    inst = _instance(tmp_path, "sv")
    code, out = _run("plan", str(inst), "--out", str(tmp_path / "sv"), "--json")
    assert code == 0, out
    head = (tmp_path / "sv" / "capacity_use.csv").read_text(encoding="utf-8-sig").splitlines()
    assert head[0].startswith("week;week_type;") and ";0,5;" not in head[0]
    # week 1: 10 h x 0.5 = 5 h available, written with a decimal comma
    assert ";5,0;" in head[1]
    code, out = _run(
        "plan", str(inst), "--out", str(tmp_path / "comma"), "--json", "--csv-dialect", "comma"
    )
    assert code == 0, out
    assert (tmp_path / "comma" / "capacity_use.csv").read_text().startswith("week,week_type,")


def test_a_bad_setting_is_an_input_error(tmp_path: Path) -> None:
    inst = _instance(tmp_path, "swedish")
    code, out = _run("plan", str(inst))
    assert code == 2
    assert "instance.yaml, field 'csv_dialect': must be one of comma, sv" in out


def test_convert_writes_a_swedish_folder_that_reads_back_the_same(tmp_path: Path) -> None:
    inst = _instance(tmp_path, "sv")
    assert _run("convert", str(inst), str(tmp_path / "i.xlsx"))[0] == 0
    assert _run("convert", str(tmp_path / "i.xlsx"), str(tmp_path / "back"))[0] == 0
    text = (tmp_path / "back" / "activity_hours.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["planning_object;resource;hours_per_activity", "a;doc;0,5"]
    cells = {n: [dict(r) for r in t.rows] for n, t in read_raw(tmp_path / "back").tables.items()}
    assert cells == {n: [dict(r) for r in t.rows] for n, t in read_raw(inst).tables.items()}

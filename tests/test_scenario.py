"""Scenarios: generic operations on raw tables, shortcuts, and errors that name the change."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from need.tiny import write_folder  # tests/ is on sys.path (rootdir-relative import)

from pks_opt.capacity_need import compute_figures, compute_need, read_need
from pks_opt.commands import main
from pks_opt.errors import InputError
from pks_opt.instances import instance_path
from pks_opt.io import read_raw
from pks_opt.scenario import (
    apply_scenario,
    load_scenario,
    read_variant,
    register_shortcut,
    scenario_errors,
)

SEED = instance_path("seed-inpatient")


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _tiny(tmp_path: Path):  # type: ignore[no-untyped-def]
    return read_raw(write_folder(tmp_path / "tiny"), expect_kind="strategic")


def _read(raw, *paths: Path):  # type: ignore[no-untyped-def]
    return read_variant(raw, [load_scenario(p) for p in paths], read_need)


def test_round2_scenario_raises_the_ward_share() -> None:
    raw = read_raw(SEED)
    sc = load_scenario(SEED / "round2.yaml")
    assert sc.name == "round2" and "2 400" in sc.description
    variant = apply_scenario(raw, sc)
    assert raw.table("demand").rows[2]["share_of_parent"] == "0.25"  # base untouched
    data = read_need(variant)
    assert compute_figures(data).production_need[("WARD", "admission", "2026")] == pytest.approx(
        2400
    )
    assert data.name == "seed-inpatient + round2"


def test_set_scale_add_append_remove(tmp_path: Path) -> None:
    # scale op base 100 → 200: care 200 × 1.1 − 10 = 210, production 215;
    # add −2.5 to the op waiting-list reduction 5 → 2.5: production 212.5;
    # staffed beds set to 10 for the blank-period row (Q2 row keeps 4);
    # append a Q2 visit demand of 40 (conversion 1 → 40); remove the realised imaging improvement.
    p = _scenario(
        tmp_path,
        """
name: mixed
changes:
  - {table: demand, where: {unit: SURG, planning_object: op}, scale: {base_volume: 2}}
  - {table: demand, where: {planning_object: op}, add: {waiting_list_reduction: -2.5}}
  - {table: beds, where: {period: null}, set: {staffed_beds: 10}}
  - table: demand
    append: [{unit: SURG, planning_object: visit, period: Q2, base_volume: 40}]
  - {table: improvements, where: {improvement: faster_scans}, remove: true}
""",
    )
    data = _read(_tiny(tmp_path), p)
    fig = compute_figures(data)
    assert fig.production_need[("SURG", "op", "Q1")] == pytest.approx(212.5)
    assert fig.production_need[("SURG", "visit", "Q2")] == pytest.approx(40)
    assert fig.available[("SURG", "beds", "Q1")] == pytest.approx(910)  # 10 × 91
    assert fig.available[("SURG", "beds", "Q2")] == pytest.approx(182)  # Q2 row: 4 × 91 × 0.5
    assert fig.available[("IMG", "imaging_hours", "Q1")] == pytest.approx(80)  # no +10


def test_where_list_matches_any(tmp_path: Path) -> None:
    # remove both SURG demand rows (op and visit) via a list: no production need left
    p = _scenario(
        tmp_path,
        "changes:\n  - {table: demand, where: {planning_object: [op, visit]}, remove: true}\n",
    )
    fig = compute_figures(_read(_tiny(tmp_path), p))
    assert fig.production_need == {} and fig.capacity_need == {}


def test_negative_care_need_is_zero_with_a_warning(tmp_path: Path) -> None:
    # op: 100 × 1.1 − 200 = −90 → 0 (warned); production = (0 + 5) × 1 = 5
    p = _scenario(
        tmp_path,
        "changes:\n"
        "  - {table: demand, where: {planning_object: op}, set: {mission_change: -200}}\n",
    )
    res = compute_need(_read(_tiny(tmp_path), p))
    prod = res.tables["production_need"].set_index(["planning_object", "period"])
    assert prod.loc[("op", "Q1"), "care_need"] == 0
    assert prod.loc[("op", "Q1"), "production_need"] == pytest.approx(5)
    assert any(
        w.startswith(
            f"{p} change 1, field 'mission_change': care need of SURG/op/Q1 "
            "is negative (110 + mission_change -200 = -90); 0 used"
        )
        for w in res.warnings
    ), res.warnings


def test_parameters_change_and_stacking(tmp_path: Path) -> None:
    # bed_rounding up: 2.885 → 3 anyway; with the ALOS doubled (4 days): 5.77 → 6
    p1 = _scenario(tmp_path, "changes:\n  - parameters: {bed_rounding: up}\n", "a.yaml")
    p2 = _scenario(
        tmp_path,
        "changes:\n  - {table: inpatient, set: {average_length_of_stay_days: 4}}\n",
        "b.yaml",
    )
    data = _read(_tiny(tmp_path), p1, p2)
    beds = compute_need(data).tables["inpatient_beds"].set_index("period")
    assert beds.loc["Q1", "beds_planned"] == 6
    assert data.parameters.bed_rounding == "up"


def test_need_shortcuts(tmp_path: Path) -> None:
    # demand_pct +50 on SURG: op base 150 → 150 × 1.1 − 10 = 155 + 5 = 160; visit 300 × 1.5 − 20
    # staff_fte −1 surgeon: 1 × 1700 / 4 × 0.9 × 0.5 = 191.25 in Q1
    p = _scenario(
        tmp_path,
        """
changes:
  - {shortcut: demand_pct, unit: SURG, pct: 50}
  - {shortcut: staff_fte, unit: SURG, function: surgeon, delta: -1}
""",
    )
    fig = compute_figures(_read(_tiny(tmp_path), p))
    assert fig.production_need[("SURG", "op", "Q1")] == pytest.approx(160)
    assert fig.production_need[("SURG", "visit", "Q1")] == pytest.approx(430)
    assert fig.available[("SURG", "surgeon_hours", "Q1")] == pytest.approx(191.25)


def test_demand_pct_leaves_share_rows_to_follow_their_parent(tmp_path: Path) -> None:
    # region +10 %: 44 000 → 8 800 → 2 200 admissions at the ward (share rows are blank-skipped)
    p = _scenario(tmp_path, "changes:\n  - {shortcut: demand_pct, pct: 10}\n")
    fig = compute_figures(_read(read_raw(SEED), p))
    assert fig.production_need[("WARD", "admission", "2026")] == pytest.approx(2200)


def test_registered_shortcut_from_another_level(tmp_path: Path) -> None:
    @register_shortcut("test_close_room")
    def close_room(args):  # type: ignore[no-untyped-def]
        return [{"table": "rooms", "where": {"room": args["room"]}, "remove": True}]

    p = _scenario(tmp_path, "changes:\n  - {shortcut: test_close_room, room: OR1}\n")
    fig = compute_figures(_read(_tiny(tmp_path), p))
    assert ("SURG", "or_hours", "Q1") not in fig.available
    bad = _scenario(tmp_path, "changes:\n  - {shortcut: test_close_room}\n", "bad.yaml")
    with pytest.raises(
        InputError, match=r"bad.yaml change 1: shortcut 'test_close_room' needs 'room'"
    ):
        _read(_tiny(tmp_path), bad)


ERRORS = [
    (
        "changes:\n  - {table: inpatient, where: {unit: WARD9}, set: {occupancy_target: 0.9}}\n",
        "s.yaml change 1, field 'where': no row of table 'inpatient' has unit 'WARD9'",
    ),
    (
        "changes:\n  - {table: demand, where: {unit: WARD}, set: {share_of_parent: 1.2}}\n",
        "s.yaml change 1, field 'share_of_parent': Input should be less than or equal to 1",
    ),
    (
        "changes:\n  - {table: beds, append: [{unit: WARD7, resource: beds, staffed_beds: 2}]}\n",
        "s.yaml change 1, field 'unit': unit 'WARD7' is not defined",
    ),
    (
        "changes:\n  - {table: demand, where: {unit: WARD}, scale: {unit: 2}}\n",
        "s.yaml change 1, field 'scale.unit': cannot scale 'unit' of table 'demand' row 4",
    ),
    (
        "changes:\n  - {table: demand, where: {unit: WARD}, scale: {base_volume: 2}}\n",
        "s.yaml change 1, field 'scale.base_volume': cannot scale 'base_volume' of table 'demand'"
        " row 4: it is blank",
    ),
    (
        "changes:\n  - {table: rooms, where: {unit: WARD}, remove: true}\n",
        "s.yaml change 1, field 'table': the instance has no table 'rooms'",
    ),
    (
        "changes:\n  - {table: demand, where: {ward: WARD}, remove: true}\n",
        "s.yaml change 1, field 'where': table 'demand' has no column 'ward'",
    ),
    (
        "changes:\n  - {table: demand, where: {unit: WARD}, sett: {x: 1}}\n",
        "s.yaml change 1, field 'sett': unknown key 'sett'",
    ),
    (
        "changes:\n  - {table: demand, set: {x: 1}, add: {x: 1}}\n",
        "s.yaml change 1: give exactly one of set, scale, add, append, remove (got set, add)",
    ),
    (
        "changes:\n  - {table: demand, add: {conversion: lots}}\n",
        "s.yaml change 1, field 'add.conversion': must be a number (got 'lots')",
    ),
    ("changes:\n  - {shortcut: teleport}\n", "s.yaml change 1, field 'shortcut': unknown shortcut"),
    (
        "changes:\n  - {shortcut: demand_pct, pct: ten}\n",
        "s.yaml change 1: shortcut 'demand_pct': 'pct' must be a number",
    ),
    (
        "changes:\n  - parameters: {bed_rounding: sideways}\n",
        "s.yaml change 1, field 'parameters.bed_rounding'",
    ),
    ("changes:\n  - {table: demand, remove: 1}\n", "s.yaml change 1, field 'remove': must be true"),
    (
        "changes:\n  - {table: beds, where: {unit: WARD}, append: [{unit: WARD}]}\n",
        "s.yaml change 1, field 'where': 'append' takes no 'where'",
    ),
    ("changes: []\n", "s.yaml, field 'changes': 'changes' must be a non-empty list"),
    ("changes: [unclosed\n", "s.yaml: malformed YAML"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_scenario_errors_name_file_change_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    p = _scenario(tmp_path, text)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["need", str(SEED), "--scenario", str(p), "--out", str(out)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], res.output
    assert not out.exists()


def test_base_row_numbers_survive_a_removal(tmp_path: Path) -> None:
    # Removing demand row 2 (REGION) shifts the rows; the error in the base file's row 4
    # (WARD's share, now without a parent demand) must still say row 4.
    p = _scenario(tmp_path, "changes:\n  - {table: demand, where: {unit: MED}, remove: true}\n")
    with pytest.raises(InputError) as err:
        _read(read_raw(SEED), p)
    assert "demand.csv row 4, field 'share_of_parent': parent unit 'MED' has no demand" in str(
        err.value
    )
    assert str(err.value).endswith("(with scenario s)")


def test_nested_scenario_errors_explain_once(tmp_path: Path) -> None:
    p = _scenario(tmp_path, "changes:\n  - {table: units, where: {unit: MED}, remove: true}\n")
    variant = apply_scenario(read_raw(SEED), load_scenario(p))
    with pytest.raises(InputError) as err, scenario_errors(variant):
        read_need(variant)  # read_need re-points by itself too
    assert str(err.value).count("(with scenario s)") == 1
    assert "units.csv row 4, field 'parent': unit 'MED' is not defined" in str(err.value)


def test_missing_scenario_file(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["need", str(SEED), "--scenario", str(tmp_path / "no.yaml")])
    assert res.exit_code == 2 and "no.yaml: no such scenario file" in res.output

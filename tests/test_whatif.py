"""What-if at the plan, matrix and roster levels (pks_opt.whatif): each scenario variant is
solved beside the base; the comparison table, the change lines, the chart and the parts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from production_plan.tiny import write_instance as write_plan
from rostering.conftest import write_instance as write_roster

import pks_opt as pks
from pks_opt.commands import main
from pks_opt.instances import instance_path
from pks_opt.result import Result, SolveStatus
from pks_opt.whatif import comparison_lines, with_comparison


def _scenario(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_plan_scenario_with_fewer_hours_produces_less(tmp_path: Path) -> None:
    # One object, 4 weeks, inflow 10 a week, queue 0, 1 h an activity. Base: 10 h a week, so
    # production 10 a week = 40. Scenario: 5 h a week, so at most 5 a week = 20 (queue 20).
    folder = write_plan(
        tmp_path / "p",
        objects=[{"planning_object": "a", "annual_inflow": 130}],
        weeks=4,
        resources=[{"resource": "doc", "hours_per_week": 10}],
        hours=[("a", "doc", 1.0)],
        inflow=[{"planning_object": "a", "week": w, "inflow": 10} for w in range(1, 5)],
    )
    half = _scenario(
        tmp_path / "half.yaml",
        "name: half\nchanges:\n  - table: resources\n    set: {hours_per_week: 5}\n",
    )
    res = pks.plan(folder, scenarios=[half])
    assert set(res.parts) == {"half"}
    table = res.tables["scenario_comparison"].set_index("scenario")
    assert table.loc["base", "total_production"] == pytest.approx(40)
    assert table.loc["half", "total_production"] == pytest.approx(20)
    assert table.loc["half", "change total_production"] == pytest.approx(-20)
    assert res.explanation[0].startswith("scenario half: ")
    assert "total_production 40 → 20 (-20)" in res.explanation[0]
    env = res.write(tmp_path / "out")
    assert "scenario_comparison" in env["charts"] and env["parts"] == ["half"]
    assert (tmp_path / "out" / "half" / "production_plan.csv").is_file()
    # the comparison chart speaks the reader's language (title and KPI panels)
    assert res.draw is not None
    sv = res.draw("sv")["scenario_comparison"]
    assert "scenarier mot basen" in sv._suptitle.get_text()
    ticks = [t.get_text() for t in sv.axes[0].get_xticklabels()]
    assert ticks == ["basen", "half"]  # the base run named in Swedish, scenarios by their name
    en = res.draw("en")["scenario_comparison"]
    assert "scenarios against the base" in en._suptitle.get_text()


def test_roster_scenario_absence_shows_as_shortfall(tmp_path: Path) -> None:
    # Two nurses, one D shift a day for 3 days asking 2 (tier 1): the base covers it; with ann
    # absent all 3 days the scenario is 3 shifts short (1 a day).
    folder = write_roster(
        tmp_path / "r",
        staff="id,competences\nann,RN\nbo,RN\n",
        demand="weekday,shift,competence,staff,tier\n"
        + "".join(f"{d},D,RN,2,1\n" for d in range(7)),
    )
    away = _scenario(
        tmp_path / "away.yaml",
        "name: away\nchanges:\n  - table: absences\n"
        "    append: [{staff: ann, start: 2026-03-30, end: 2026-04-01}]\n",
    )
    res = pks.roster(folder, scenarios=[away], time_limit=5)
    table = res.tables["scenario_comparison"].set_index("scenario")
    assert table.loc["base", "tier1_short_shifts"] == 0
    assert table.loc["away", "tier1_short_shifts"] == 3
    assert "tier1_short_shifts 0 → 3 (+3)" in res.explanation[0]
    # printed: the tiers by their names, in the reader's language; no objective terms
    en = comparison_lines(res, "en")
    row = next(r for r in en if "Shifts short, time-critical work" in r)
    assert row.split()[-3:] == ["0", "3", "(+3)"]
    assert not any("tier" in r.lower() or "Objective term" in r for r in en)
    sv = comparison_lines(res, "sv")
    assert sv[0] == "Scenariojämförelse:" and "basen" in sv[1]
    assert any(r.strip().startswith("Saknade pass, tidskritiskt (akut, jour)") for r in sv)
    # the comparison chart's panels name the tiers too
    assert res.draw is not None
    fig = res.draw("en")["scenario_comparison"]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert "Shifts short, time-critical work (acute, on-call)" in titles
    assert not any("tier" in t.lower() for t in titles)


def test_comparison_printout_rounds_to_the_unit() -> None:
    # A plan-like comparison, each row at one precision: 1 234.567 → 1 000.2 visits (1 000 and
    # above: whole, 1 235 → 1 000, change -234.367 → -234), a queue 12.3456 → 20 (10 and above:
    # one decimal, +7.7), a utilisation share 0.95741 → 1 (95.7 % → 100.0 %, +4.3), 4 → 4.003
    # weeks above target (the change rounds to nothing at 2 decimals: the row is left out),
    # and the objective's terms are not printed.
    base = Result("tactical", SolveStatus.OPTIMAL, "t", "", objective=5.0, bound=5.0)
    part = Result("tactical", SolveStatus.FEASIBLE, "t", "", objective=7.25, bound=5.0)
    base.kpis = {"total_production": 1234.567, "queue_end_total": 12.3456}
    base.kpis |= {"room_utilisation": 0.95741, "weeks_above_target_wait": 4.0, "term_over": 1}
    part.kpis = {"total_production": 1000.2, "queue_end_total": 20.0}
    part.kpis |= {"room_utilisation": 1.0, "weeks_above_target_wait": 4.003, "term_over": 3}
    res = with_comparison(base, {"cut": part})
    lines = comparison_lines(res, "en")
    rows = {c[0]: c[1:] for c in (re.split(r"\s{2,}", r.strip()) for r in lines[2:])}
    assert lines[0] == "Scenario comparison:"
    assert rows == {
        "Status": ["Optimal", "Solution, not proven optimal"],
        "Objective": ["5.00", "7.25 (+2.25)"],
        "Planned production in total": ["1 235", "1 000 (-234)"],
        "Queue at the end": ["12.3", "20.0 (+7.7)"],
        "Room utilisation": ["95.7 %", "100.0 % (+4.3 %)"],
    }
    sv = "\n".join(comparison_lines(res, "sv"))
    assert "12,3" in sv and "95,7 %" in sv and "1 235" in sv and "7,25 (+2,25)" in sv


def test_matrix_scenario_cli_prints_changes_and_writes_subfolders(tmp_path: Path) -> None:
    # clinic-matrix with room 3 closed on Monday and Tuesday: 4 room sessions fewer.
    inst = instance_path("clinic-matrix")
    out = tmp_path / "m"
    run = CliRunner().invoke(
        main,
        [
            "matrix",
            str(inst),
            "--scenario",
            str(inst / "scenarios" / "room3_closed.yaml"),
            "--out",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    # what changed, in words and rounded; the base's own summary (its KPI list) not repeated
    assert "Scenario comparison:" in run.output
    row = next(r for r in run.output.splitlines() if r.strip().startswith("Room sessions open"))
    assert row.split()[-3:] == ["47", "43", "(-4)"]
    assert "kpis:" not in run.output and "room_sessions_open" not in run.output
    assert "coverage (delivered" not in run.output
    assert (out / "room3_closed" / "result.json").is_file()
    assert (out / "scenario_comparison.png").is_file()


def test_a_bad_scenario_stops_before_anything_is_solved(tmp_path: Path) -> None:
    inst = instance_path("clinic-matrix")
    bad = _scenario(
        tmp_path / "bad.yaml",
        "changes:\n  - table: rooms\n    where: {room: R9}\n    set: {name: x}\n",
    )
    run = CliRunner().invoke(
        main, ["matrix", str(inst), "--scenario", str(bad), "--out", str(tmp_path / "o")]
    )
    assert run.exit_code == 2 and "bad.yaml change 1" in run.output
    assert not (tmp_path / "o").exists()


def test_change_lines_print_readable_numbers() -> None:
    # objective 1 000 000 → 1 230 400: the change +230 400 (not +2.304e+05); a share 0.95 →
    # a share is read to 3 decimals (0.9512 → 0.951, +0.001); a change of 3e-06 is 0 to a
    # planner (not 3e-06)
    import pandas as pd

    from pks_opt.whatif import change_lines

    table = pd.DataFrame(
        {
            "scenario": ["base", "more"],
            "status": ["OPTIMAL", "OPTIMAL"],
            "objective": [1_000_000.0, 1_230_400.0],
            "share": [0.95, 0.9512],
            "tiny": [1.0, 1.000003],
        }
    )
    for k in ["objective", "share", "tiny"]:
        table[f"change {k}"] = table[k] - table[k].iloc[0]
    (line,) = change_lines(table)
    assert line == (
        "scenario more: objective 1 000 000 → 1 230 400 (+230 400), share 0.95 → 0.951 "
        "(+0.001), tiny 1 → 1 (+0)"
    )
    assert "e+" not in line and "e-" not in line

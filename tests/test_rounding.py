"""Tables for people are rounded to their unit (pks_opt.rounding); hand-over tables are not."""

from __future__ import annotations

import math

import pandas as pd

from pks_opt.result import Result, SolveStatus
from pks_opt.rounding import for_people, unit_of


def test_units_from_column_names() -> None:
    assert [unit_of(c) for c in ("cost", "price_per_activity", "budget")] == ["money"] * 3
    assert [unit_of(c) for c in ("utilisation_after", "relief_share_of_capacity", "ratio")] == [
        "share"
    ] * 3
    assert [unit_of(c) for c in ("used_hours", "physician_h", "target_hours")] == ["hours"] * 3
    assert unit_of("queue_end") == "count"


def test_for_people_rounds_each_float_column_to_its_unit() -> None:
    df = pd.DataFrame(
        {
            "cost": [26982.504897, float("nan")],  # SEK, whole; an empty cell stays empty
            "used_hours": [199.708415, 3.04],  # hours to 0.1
            "utilisation": [0.785061, 1.0],  # a share to 0.1 %
            "volume": [7065.147483, 12.0],  # 10 or more: 0.1
            "mean_delay_periods": [0.053359, 0.5],  # below 10: 0.01
            "beds_exact": [20.187454938716655, 1.0],  # *_exact: as computed
            "shifts": [24, 3],  # whole numbers: untouched
        }
    )
    out = for_people(df)
    assert out["cost"].tolist()[0] == 26983 and pd.isna(out["cost"].tolist()[1])
    assert out["used_hours"].tolist() == [199.7, 3.0]
    assert out["utilisation"].tolist() == [0.785, 1.0]
    assert out["volume"].tolist() == [7065.1, 12.0]
    assert out["mean_delay_periods"].tolist() == [0.05, 0.5]
    assert out["beds_exact"].tolist()[0] == 20.187454938716655
    assert out["shifts"].tolist() == [24, 3]
    assert df["cost"].tolist()[0] == 26982.504897  # the result's own table is not changed


def test_written_tables(tmp_path) -> None:
    """A person table's CSV is rounded, a hand-over table's is not; the workbook shows a
    share as a percentage and money whole."""
    import openpyxl

    from pks_opt.report.output import write_result

    goals = pd.DataFrame({"unit": ["A"], "goal": [128.367233]})
    actions = pd.DataFrame({"cost": [26982.504897], "utilisation": [0.785061]})
    res = Result(kind="balance", status=SolveStatus.OPTIMAL, instance="t", solver="x")
    res.objective = res.bound = 1.0
    res.tables = {"production_goals": goals, "actions": actions}
    write_result(res, tmp_path / "out", excel=True)
    assert "128.367233" in (tmp_path / "out" / "production_goals.csv").read_text()
    assert (tmp_path / "out" / "actions.csv").read_text().splitlines()[1] == "26983,0.785"
    wb = openpyxl.load_workbook(tmp_path / "out" / "tables.xlsx")
    row = [c for c in wb["actions"][2]]
    assert row[0].value == 26983 and row[0].number_format == "#,##0"
    assert math.isclose(row[1].value, 0.785) and row[1].number_format == "0.0 %"
    assert wb["production_goals"]["B2"].value == 128.4  # the workbook is for people


def test_round_value_for_the_summary_sheet() -> None:
    from pks_opt.rounding import round_value

    assert round_value("action_cost", 6000000.001089) == 6000000
    assert round_value("postponed_activity_periods", 1952.889869) == 1952.9
    assert round_value("max_utilisation_after", 0.9999996) == 1.0
    assert round_value("weeks", 52) == 52 and round_value("status", "OPTIMAL") == "OPTIMAL"
    assert math.isnan(round_value("gap", float("nan")))

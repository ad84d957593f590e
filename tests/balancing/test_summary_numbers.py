"""The balance's terminal summary in plain words and whole activities: no solver names
(``capacity[KIR,or_h,2027Q3]``), no ``307.0 activities``."""

from __future__ import annotations

from pks_opt.balancing.compare import comparison_lines
from pks_opt.balancing.report import summary
from pks_opt.commands.common import summary_lines
from pks_opt.result import Result, SolveStatus


def _result() -> Result:
    # the figures of region-small with demand_up's base: 307 activities unmet, 2 546
    # activity-periods postponed, 5 418 505 SEK of actions
    res = Result(kind="balance", status=SolveStatus.OPTIMAL, instance="tiny", solver="highs")
    res.kpis = {
        "unmet_activities": 307.0,
        "postponed_activity_periods": 2546.0,
        "action_cost": 5_418_505.0,
        "max_utilisation_before": 1.364,
        "max_utilisation_after": 1.0,
    }
    res.explanation = [
        # an old result's line (result.json written before the balance wrote plain words)
        "2 activities of hernia_op at KIR stay unmet; limiting: capacity[KIR,or_h,2027Q3]",
    ]
    return res


def test_unmet_and_postponed_are_whole_activities() -> None:
    assert summary(_result(), "en")[0] == (
        "unmet 307 activities, postponed 2 546 activity-periods, action cost 5 418 505 SEK"
    )
    assert summary(_result(), "sv")[0].startswith("ej utfört 307 aktiviteter")


def test_the_summary_names_capacities_in_plain_words() -> None:
    text = "\n".join(summary_lines(_result(), None, "en"))
    assert "limiting: KIR or_h 2027Q3" in text
    assert "capacity[" not in text


def test_the_scenario_comparison_counts_whole_activities() -> None:
    import pandas as pd

    res = _result()
    res.tables["scenario_comparison"] = pd.DataFrame(
        [
            {"scenario": "base", "status": "OPTIMAL", "unmet_activities": 307.0},
            {"scenario": "demand_up", "status": "OPTIMAL", "unmet_activities": 2803.0},
        ]
    )
    lines = comparison_lines(res)
    assert lines[2].split()[:3] == ["base", "OPTIMAL", "307"]
    assert lines[3].split()[:4] == ["demand_up", "OPTIMAL", "2", "803"]

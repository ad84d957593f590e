"""Honest statuses when a stage runs out of time, and the workbook format."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.balancing import balance, milp
from pks_opt.balancing import build_data as _build_data
from pks_opt.balancing.data import Increase
from pks_opt.commands import main
from pks_opt.milp import MilpOutcome
from pks_opt.result import SolveStatus

from .helpers import figures
from .test_cli import write_instance


def build_data(fig, **kw):  # type: ignore[no-untyped-def]
    """The model in fractional activities: the optima in the comments are worked out so
    (whole activities, the default rounding, are tested in test_whole_and_time.py)."""
    from pks_opt.balancing.data import BalancingParameters as _Params

    params = kw.pop("params", None) or _Params()
    return _build_data(fig, params=params.model_copy(update={"whole_activities": "none"}), **kw)


def _data():
    # A short by 4 h, an increase closes it: every stage has something to decide.
    fig = figures(
        units=["A"],
        resources=["RN"],
        periods=["Q1"],
        need={("A", "o", "Q1"): 10},
        usage={("A", "o"): [("A", "RN", 1.0)]},
        available={("A", "RN", "Q1"): 6},
    )
    inc = Increase(unit="A", resource="RN", kind="recruitment", cost_per_unit=1, max_per_period=10)
    return build_data(fig, increases=[inc])


def _stop_at(monkeypatch, stage_name: str):
    """Make the solver stop without a solution when it reaches ``stage_name``."""
    real = milp.solve_pulp

    def fake(prob, backend, **kw):
        if prob.name == f"balancing_{stage_name}":
            return MilpOutcome(SolveStatus.NO_SOLUTION_IN_TIME, math.inf, -math.inf, 0.0, backend)
        return real(prob, backend, **kw)

    monkeypatch.setattr(milp, "solve_pulp", fake)


def test_no_solution_in_first_stage_is_reported(monkeypatch):
    _stop_at(monkeypatch, "need")
    res = balance(_data(), "highs")
    assert res.status is SolveStatus.NO_SOLUTION_IN_TIME
    assert math.isinf(res.objective) and res.tables == {}
    assert res.status.exit_code == 1


def test_later_stage_out_of_time_keeps_the_earlier_plan_as_feasible(monkeypatch):
    # The need stage is proven (0 unmet); the ladder stage stops: the plan of stage 1 is
    # returned, FEASIBLE, not OPTIMAL.
    _stop_at(monkeypatch, "ladder")
    res = balance(_data(), "highs")
    assert res.status is SolveStatus.FEASIBLE
    assert [s.name for s in res.stages] == ["need", "ladder"]
    assert res.stages[0].status is SolveStatus.OPTIMAL
    assert res.objective == pytest.approx(0, abs=1e-6)
    assert "production_goals" in res.tables


def test_workbook_gives_the_same_plan_as_the_folder(tmp_path):
    folder = write_instance(tmp_path / "tiny")
    book = tmp_path / "tiny.xlsx"
    with pd.ExcelWriter(book) as xw:
        pd.DataFrame(
            {
                "key": ["kind", "name", "parameters.balancing.whole_activities"],
                "value": ["strategic", "tiny", "none"],  # as the folder's instance.yaml
            }
        ).to_excel(xw, sheet_name="instance", index=False)
        for csv in sorted(folder.glob("*.csv")):
            pd.read_csv(csv).to_excel(xw, sheet_name=csv.stem, index=False)
    a = CliRunner().invoke(main, ["balance", str(folder), "--out", str(tmp_path / "a")])
    b = CliRunner().invoke(main, ["balance", str(book), "--out", str(tmp_path / "b")])
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    for f in ("production_goals.csv", "actions.csv", "budget.csv"):
        assert (tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text()

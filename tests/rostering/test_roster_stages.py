"""Rostering on the one stage driver (pks_opt/stages.py, issue 17): the driver's options for a
solution before stage 1 and an unheld last stage, and the self-check policy at the roster's
benchmark level forced to fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pks_opt import interrupt
from pks_opt.result import SolveStatus
from pks_opt.stages import Adapter, Outcome, Stage, TimeSplit, exact, run_stages


class _Scripted(Adapter):
    """An adapter whose stages return the given outcomes, recording what is held."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.outcomes = list(outcomes)
        self.held: list[tuple[str, float]] = []

    def solve(self, stage: Stage, budget_s: float | None) -> Outcome:
        return self.outcomes.pop(0)

    def hold(self, stage: Stage, expr: Any, upper: float) -> None:
        self.held.append((stage.name, upper))


def _ok(value: float, status: SolveStatus = SolveStatus.OPTIMAL) -> Outcome:
    return Outcome(status, value, value, 0.0)


NONE = Outcome(SolveStatus.NO_SOLUTION_IN_TIME, float("inf"), float("-inf"), 0.0)
TWO = [Stage("a", "a"), Stage("b", "b")]


def test_hold_last_false_keeps_the_last_stage_out_of_the_model() -> None:
    ad = _Scripted([_ok(3), _ok(5)])
    run = run_stages(TWO, ad, TimeSplit(None), exact, hold_last=False)
    assert ad.held == [("a", 3)]  # b is recorded, not added to the model
    assert run.held == {"a": 3, "b": 5} and run.status is SolveStatus.OPTIMAL
    ad = _Scripted([_ok(3), _ok(5)])
    run_stages(TWO, ad, TimeSplit(None), exact)
    assert ad.held == [("a", 3), ("b", 5)]  # the default holds every stage (other levels)


def test_without_a_start_a_first_stage_without_solution_gives_its_status() -> None:
    run = run_stages(TWO, _Scripted([NONE]), TimeSplit(None), exact)
    assert run.status is SolveStatus.NO_SOLUTION_IN_TIME and not run.has_solution


def test_a_start_makes_a_first_stage_without_solution_feasible() -> None:
    # the greedy start's roster exists: the stage found nothing better, the roster stands
    run = run_stages(TWO, _Scripted([NONE]), TimeSplit(None), exact, started=True)
    assert run.status is SolveStatus.FEASIBLE and run.stopped == "no solution"
    assert run.has_solution


def test_a_signal_before_stage_one_keeps_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interrupt, "requested", lambda: "SIGTERM")
    ad = _Scripted([_ok(1), _ok(1)])
    run = run_stages(TWO, ad, TimeSplit(None), exact, started=True)
    assert run.stopped == "signal" and run.reports == [] and len(ad.outcomes) == 2
    assert run.status is SolveStatus.FEASIBLE and run.has_solution
    # without a start, stage 1 runs (there is nothing to keep yet)
    run = run_stages(TWO, _Scripted([_ok(1), _ok(1)]), TimeSplit(None), exact)
    assert [r.name for r in run.reports] == ["a"] and run.stopped == "signal"


def test_roster_stages_run_on_the_driver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """solve_roster calls run_stages once, with the greedy start and the last stage unheld."""
    import pks_opt.rostering.cpsat as cpsat
    from pks_opt.rostering import SolveOptions, read_roster
    from tests.rostering.conftest import write_instance

    seen: list[dict[str, Any]] = []
    real = cpsat.run_stages

    def spy(stages: Any, adapter: Any, split: Any, tol: Any, **kw: Any) -> Any:
        seen.append({"names": [s.name for s in stages], **kw})
        return real(stages, adapter, split, tol, **kw)

    monkeypatch.setattr(cpsat, "run_stages", spy)
    # one nurse, a day shift asked on day 0: the greedy start covers it, every stage is 0
    data = read_roster(
        write_instance(
            tmp_path / "r",
            staff="id,competences\nA,RN\n",
            demand="weekday,shift,competence,staff\n0,D,RN,1\n",
        )
    )
    sol = cpsat.solve_roster(data, SolveOptions(time_limit_s=5, workers=1, seed=1))
    assert len(seen) == 1 and seen[0]["started"] is True and seen[0]["hold_last"] is False
    assert seen[0]["names"] == [cpsat.STAGE_TIER1, cpsat.STAGE_TIER2, cpsat.STAGE_REST]
    assert sol.status is SolveStatus.OPTIMAL and sol.assignment[("A", 0)] == ("D", "RN")
    assert [r.objective for r in sol.stages] == [0, 0, 0]


def test_benchmark_self_check_mismatch_warns_and_is_feasible(
    curtois_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instance1 is proven optimal (607); an evaluator 5 higher than the solver's value is a
    self-check warning and the status drops to FEASIBLE, as at every other level."""
    import pks_opt.formats.curtois as curtois
    from pks_opt.rostering import SolveOptions, benchmark_result

    opts = SolveOptions(time_limit_s=20, workers=1, seed=0)
    good, _ = benchmark_result(curtois_dir / "Instance1.txt", opts)
    assert good.status is SolveStatus.OPTIMAL and good.objective == 607
    assert not good.warnings
    real = curtois.evaluate

    def off(inst: Any, roster: Any) -> Any:
        ev = real(inst, roster)
        ev.objective += 5
        return ev

    monkeypatch.setattr(curtois, "evaluate", off)
    bad, _ = benchmark_result(curtois_dir / "Instance1.txt", opts)
    assert bad.status is SolveStatus.FEASIBLE and bad.objective == 612
    assert any(
        w.startswith("self-check: stage weighted objective recomputed 612") for w in bad.warnings
    )


def test_full_share_option(tmp_path: Path) -> None:
    """The full search's share of an LNS stage: half, or as given."""
    import pks_opt.rostering.cpsat as cpsat
    from pks_opt.rostering import SolveOptions, read_roster
    from tests.rostering.conftest import write_instance

    data = read_roster(
        write_instance(
            tmp_path / "r",
            staff="id,competences\nA,RN\n",
            demand="weekday,shift,competence,staff\n0,D,RN,1\n",
        )
    )
    rm = cpsat.RosterModel(data)
    assert cpsat.full_share(rm, SolveOptions()) == cpsat.FULL_SHARE == 0.5
    assert cpsat.full_share(rm, SolveOptions(full_share=0.2)) == 0.2


def test_a_signal_after_the_greedy_start_keeps_its_roster(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SIGINT/SIGTERM between the greedy start and stage 1: no stage runs, the start's roster
    is the result, FEASIBLE (not proven), and the envelope is built without a stage report."""
    import pks_opt.rostering.cpsat as cpsat
    from pks_opt.rostering import SolveOptions, read_roster, roster_result
    from tests.rostering.conftest import write_instance

    signalled: list[str] = []
    real = cpsat._StageRun.greedy_start

    def start_then_signal(self: Any) -> None:
        real(self)
        signalled.append("SIGINT")

    monkeypatch.setattr(cpsat._StageRun, "greedy_start", start_then_signal)
    monkeypatch.setattr(interrupt, "requested", lambda: signalled[0] if signalled else None)
    data = read_roster(
        write_instance(
            tmp_path / "r",
            staff="id,competences\nA,RN\n",
            demand="weekday,shift,competence,staff\n0,D,RN,1\n",
        )
    )
    res, sol = roster_result(data, SolveOptions(time_limit_s=5, workers=1, seed=1))
    assert sol.stages == [] and sol.assignment == {("A", 0): ("D", "RN")}
    assert res.status is SolveStatus.FEASIBLE and res.objective == 0
    assert res.kpis["tier1_short_shifts"] == 0

"""`pks plan` through the CLI: outputs contract, closed-form checks, --from-balance, bad input."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from pks_opt.commands import main
from pks_opt.milp import MILP_BACKENDS, MilpOutcome
from pks_opt.production_plan import milp as plan_milp
from pks_opt.production_plan.data import read_plan
from pks_opt.production_plan.solution import closed_form, relief_hours
from pks_opt.result import SolveStatus

from .tiny import one_resource, weekly_inflow, write_instance


def run(*args: Any) -> Result:
    return CliRunner().invoke(main, ["plan", *map(str, args)], catch_exceptions=False)


def relief_instance(folder: Path, hours_per_week: float) -> Path:
    # q0 = 100, inflow 10/week for 4 weeks, target 60 by week 4, max wait 6 weeks; weeks 3–4
    # are summer weeks at half capacity.
    return write_instance(
        folder,
        objects=[
            {
                "planning_object": "a",
                "queue_start": 100,
                "max_wait_weeks": 6,
                "target_queue": 60,
                "target_week": 4,
            }
        ],
        weeks=[
            {"week": 1},
            {"week": 2},
            {"week": 3, "week_type": "summer", "capacity_factor": 0.5},
            {"week": 4, "week_type": "summer", "capacity_factor": 0.5},
        ],
        resources=one_resource(hours_per_week),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10, 10, 10]),
    )


@pytest.mark.rule("production_plan", "C1", "C2", "C3")
def test_closed_form_relief_and_littles_law(tmp_path: Path) -> None:
    # Needed by week 4: 100 + 4·10 − 60 = 80 activities → relief 80 / 4 = 20 per week flat, or
    # 80 / (1 + 1 + 0.5 + 0.5) = 26.67 per normal week (13.33 in a half week).
    # Little's law: net inflow 10/week × 6 weeks = a queue of 60 keeps the wait at 6 weeks.
    data = read_plan(relief_instance(tmp_path / "cf", 30))
    cf = closed_form(data, data.objects[0])
    assert cf.needed_by_target_week == pytest.approx(80)
    assert cf.relief_production_per_week == pytest.approx(20)
    assert cf.relief_production_per_normal_week == pytest.approx(80 / 3)
    assert cf.littles_law_target_queue == pytest.approx(60)
    # C3: relief hours per normal week = relief per normal week × 1 h per activity
    assert relief_hours(data, {"a": cf})["doc"] == pytest.approx(80 / 3)


@pytest.mark.rule("production_plan", "C1")
@pytest.mark.parametrize("backend", MILP_BACKENDS)
def test_reachable_target_is_in_line_with_the_closed_form(tmp_path: Path, backend: str) -> None:
    # 30 h per normal week gives up to 30 + 30 + 15 + 15 = 90 ≥ 80: the target is reached, so
    # the plan's mean production to week 4 is at least the relief rate of 20.
    out = tmp_path / "out"
    res = run(relief_instance(tmp_path / "ok", 30), "--solver", backend, "--out", out)
    assert res.exit_code == 0, res.output
    cf = pd.read_csv(out / "closed_form_checks.csv")
    assert bool(cf.loc[0, "plan_reaches_target"]) is True
    assert (
        cf.loc[0, "plan_mean_production_to_target_week"]
        >= cf.loc[0, "relief_production_per_week"] - 1e-9
    )
    assert cf.loc[0, "relief_production_per_week"] == pytest.approx(20)
    assert cf.loc[0, "littles_law_target_queue"] == pytest.approx(60)
    assert "in line" in res.output


@pytest.mark.parametrize("backend", MILP_BACKENDS)
def test_unreachable_target_gives_a_plan_with_shortfall_and_explanation(
    tmp_path: Path, backend: str
) -> None:
    # 20 h per normal week: at most 20 + 20 + 10 + 10 = 60 < 80, so the best plan produces all
    # of it (x = 20, 20, 10, 10), the queue is 80 at week 4 (20 above target) and the relief
    # capacity (26.67 h per normal week) exceeds the 20 h available. Exit 0 with the reasons.
    out = tmp_path / "out"
    res = run(relief_instance(tmp_path / "short", 20), "--solver", backend, "--out", out)
    assert res.exit_code == 0, res.output
    envelope = json.loads((out / "result.json").read_text())
    assert envelope["status"] == "OPTIMAL"
    plan = pd.read_csv(out / "production_plan.csv")
    assert list(plan["production"]) == [20, 20, 10, 10]
    assert plan["target_excess"].iloc[-1] == pytest.approx(20)
    text = "\n".join(envelope["explanation"])
    assert "short by 20.0" in text and "needs 20.0/week on average, the plan gives 15.0" in text
    assert (
        "resource doc: reaching every target needs 26.7 h per normal week, 20 h available" in text
    )
    cf = pd.read_csv(out / "closed_form_checks.csv")
    assert bool(cf.loc[0, "plan_reaches_target"]) is False


def test_outputs_keep_the_downstream_contract(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = run(relief_instance(tmp_path / "c", 30), "--out", out, "--excel")
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "production_plan.csv")
    for col in (
        "planning_object",
        "week",
        "week_type",
        "inflow",
        "production",
        "queue_start",
        "queue_end",
        "expected_wait_weeks",
    ):
        assert col in plan.columns
    assert list(plan["week_type"]) == ["normal", "normal", "summer", "summer"]
    cap = pd.read_csv(out / "capacity_use.csv")
    assert list(cap.columns[:1]) == ["week"] and {
        "resource",
        "used_hours",
        "available_hours",
    } <= set(cap.columns)
    assert list(cap["available_hours"]) == [30, 30, 15, 15]
    hours = pd.read_csv(out / "activity_hours.csv")
    assert list(hours.columns) == ["planning_object", "resource", "hours_per_activity"]
    for f in (
        "result.json",
        "queue_forecast.png",
        "capacity_use.png",
        "tables.xlsx",
        "production_plan_no_reduction.csv",
    ):
        assert (out / f).exists(), f


def test_same_input_same_output(tmp_path: Path) -> None:
    folder = relief_instance(tmp_path / "d", 30)
    run(folder, "--out", tmp_path / "o1")
    run(folder, "--out", tmp_path / "o2")
    for f in ("production_plan.csv", "capacity_use.csv", "closed_form_checks.csv"):
        assert (tmp_path / "o1" / f).read_text() == (tmp_path / "o2" / f).read_text()


def test_shipped_clinic_instance_reads() -> None:
    # The region instance's unit MEDCLIN plans exactly these six objects.
    from pks_opt.instances import instance_path

    data = read_plan(instance_path("clinic-plan"))
    assert sorted(o.id for o in data.objects) == [
        "allergy",
        "cardio",
        "diabetes",
        "gastro",
        "neuro",
        "other",
    ]
    assert data.num_weeks == 52 and data.unit == "MEDCLIN"
    assert {w.week_type for w in data.weeks} >= {"normal", "summer", "christmas", "easter"}
    assert all(o.queue_start > (o.target_path()[-1] or 0) for o in data.objects if o.has_target)


# --------------------------------------------------------------------------- --from-balance


def balance_instance(folder: Path) -> Path:
    # Four weeks (one per quarter of the balance's year). a: queue 50, inflow 10 a week, uses
    # doc (the balance's doc_h); b: queue 50, no inflow, an instance goal of 520 a year
    # (40 over the 4 weeks), uses room (not planned by the balance).
    return write_instance(
        folder,
        objects=[
            {"planning_object": "a", "queue_start": 50, "annual_goal": 520},
            {"planning_object": "b", "queue_start": 50, "annual_goal": 520},
        ],
        weeks=4,
        resources=[
            {"resource": "doc", "hours_per_week": 100, "balance_resource": "doc_h"},
            {"resource": "room", "hours_per_week": 100},
        ],
        hours=[("a", "doc", 1.0), ("b", "room", 1.0)],
        inflow=weekly_inflow("a", [10, 10, 10, 10]) + weekly_inflow("b", [0, 0, 0, 0]),
    )


GOALS = """unit,planning_object,period,goal,need,for_other_units,by_other_units,purchased
U1,a,2027P1,12,10,0,0,0
U1,a,2027P2,8,10,0,0,4
U1,a,2027P3,0,10,0,10,0
U1,a,2027P4,10,10,3,0,0
U2,b,2027P1,999,999,0,0,0
U1,c,2027P1,5,5,0,0,0
U1,a,2028P1,260,260,0,0,0
"""

UTILISATION = """unit,resource,period,available_after
U1,doc_h,2027P1,30
U1,doc_h,2027P2,30
U1,doc_h,2027P3,30
U1,doc_h,2027P4,5
U2,doc_h,2027P4,500
"""


def balance_dir(tmp_path: Path, text: str = GOALS, utilisation: str | None = None) -> Path:
    d = tmp_path / "balance"
    d.mkdir(exist_ok=True)
    (d / "production_goals.csv").write_text(text)
    if utilisation is not None:
        (d / "utilisation.csv").write_text(utilisation)
    return d


@pytest.mark.rule("production_plan", "R6", "R9b")
def test_from_balance_hands_over_goals_need_and_capacity(tmp_path: Path) -> None:
    # Week w is period w (periods P1..P4: not quarters, so the weeks are split evenly).
    # a's goals bind per quarter: 12, 8, 0, 10. Its inflow keeps only the
    # need that stays: Q2 buys 4 of 10 (10 × 6/10 = 6), Q3 gives all 10 to another unit (0),
    # Q4 adds 3 produced for another unit (13). doc has the balance's hours after its actions:
    # 30, 30, 30, 5 — so Q4 can give only 5 of the 10 agreed: a request for a new agreement
    # (a, 2027P4, agreed 10, achievable 5), naming doc. b has no U1 goal and keeps its own
    # (40 over the plan: 10 a week, room keeps the instance's hours, with a warning); c is not
    # in the plan (warning). Queue of a: 50 + 10 − 12 = 48, + 6 − 8 = 46, 46, + 13 − 5 = 54.
    out = tmp_path / "out"
    res = run(
        balance_instance(tmp_path / "i"),
        "--from-balance",
        balance_dir(tmp_path, utilisation=UTILISATION),
        "--unit",
        "U1",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "production_plan.csv")
    a = plan[plan["planning_object"] == "a"]
    assert list(a["production"]) == [12, 8, 0, 5]
    assert list(a["inflow"]) == [10, 6, 0, 13]
    assert list(a["queue_end"]) == [48, 46, 46, 54]
    assert list(plan[plan["planning_object"] == "b"]["production"]) == [10, 10, 10, 10]
    cap = pd.read_csv(out / "capacity_use.csv")
    assert list(cap[cap["resource"] == "doc"]["available_hours"]) == [30, 30, 30, 5]
    assert list(cap[cap["resource"] == "room"]["available_hours"]) == [100] * 4
    goals = pd.read_csv(out / "goals.csv")
    ga = goals[goals["planning_object"] == "a"]
    assert list(ga["period"]) == ["2027P1", "2027P2", "2027P3", "2027P4"]
    assert list(ga["met"]) == [True, True, True, False]
    # one request; with it the plan answers with its whole plan: a's three goals it meets
    # (confirmed at 12, 8, 0) and the doc_h hours it was made on (30, 30, 30, 5)
    feedback = pd.read_csv(out / "feedback.csv", keep_default_na=False)
    assert len(feedback) == 1 + 3 + 4
    confirmed = feedback[feedback["cause"] == "met: confirmed as achievable"]
    assert list(confirmed["achievable"]) == [12, 8, 0]
    planned_on = feedback[feedback["resource"] == "doc_h"]
    assert list(planned_on["achievable"]) == [30, 30, 30, 5]
    row = feedback.iloc[0]
    assert (row["level"], row["unit"], row["object"], row["period"]) == (
        "plan",
        "U1",
        "a",
        "2027P4",
    )
    assert (row["agreed"], row["achievable"], row["gap"]) == (10, 5, -5)
    assert "doc (doc_h)" in row["cause"]
    handover = pd.read_csv(out / "handover_goals.csv")
    assert list(handover["share_staying"]) == [1.0, 0.6, 0.0, 1.0]
    result = json.loads((out / "result.json").read_text())
    assert result["kpis"]["requests_for_new_agreement"] == 1
    assert any(
        "request for a new agreement: a 2027P4 agreed 10" in e for e in result["explanation"]
    )
    warnings = result["warnings"]
    assert any("'b' has no goal for unit 'U1'" in w for w in warnings)
    assert any("'c' (unit 'U1') is not in the plan" in w for w in warnings)
    assert any("resource 'room' has no balance_resource" in w for w in warnings)
    trace = pd.read_csv(out / "trace.csv", keep_default_na=False).set_index("id")
    assert trace.loc["plan:U1:a:w4", "parent_ids"] == "goal:U1:a:2027P4"
    assert trace.loc["plan:U1:a:w4", "quantity"] == 5
    assert trace.loc["plan:U1:b:w1", "parent_ids"] == ""


def test_from_balance_year_option(tmp_path: Path) -> None:
    # --year 2028: only 2028P1, so all four weeks are one goal period of 260; without
    # utilisation.csv doc keeps the instance's 100 h (a warning). Only 50 + 4 × 10 = 90
    # patients ever wait, so 90 is achievable: the request names the empty queue.
    out = tmp_path / "out"
    res = run(
        balance_instance(tmp_path / "i"),
        "--from-balance",
        balance_dir(tmp_path),
        "--unit",
        "U1",
        "--year",
        "2028",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    goals = pd.read_csv(out / "goals.csv").set_index("planning_object")
    assert goals.loc["a", "period"] == "2028P1" and goals.loc["a", "weeks"] == "1–4"
    assert goals.loc["a", "agreed"] == 260 and goals.loc["a", "planned"] == 90
    feedback = pd.read_csv(out / "feedback.csv")
    assert list(feedback["achievable"]) == [90]  # no doc_h row: doc kept the instance's hours
    assert feedback.loc[0, "cause"].startswith("not enough patients waiting")
    warnings = json.loads((out / "result.json").read_text())["warnings"]
    assert any("utilisation.csv is missing" in w for w in warnings)


def test_from_balance_unknown_balance_resource_is_bad_input(tmp_path: Path) -> None:
    bad = UTILISATION.replace("U1,doc_h", "U1,nurse_h")
    out = tmp_path / "out"
    res = run(
        balance_instance(tmp_path / "i"),
        "--from-balance",
        balance_dir(tmp_path, utilisation=bad),
        "--unit",
        "U1",
        "--out",
        out,
    )
    assert res.exit_code == 2
    assert "balance_resource 'doc_h' of resource 'doc' has no capacity for unit 'U1'" in res.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("goals", "extra", "message"),
    [
        (GOALS, ["--unit", "NOPE"], "unit 'NOPE' has no goals"),
        (GOALS, ["--unit", "U1", "--year", "2031"], "no period of year 2031"),
        (
            "unit,planning_object,period\nU1,a,2027Q1\n",
            ["--unit", "U1"],
            "row 1: missing column 'goal'",
        ),
        (
            "unit,planning_object,period,goal\nU1,a,2027Q1,10\nU1,a,2027Q2,lots\n",
            ["--unit", "U1"],
            "row 3, field 'goal': not a number",
        ),
        (
            "unit,planning_object,period,goal\nU1,a,2027Q1,-4\n",
            ["--unit", "U1"],
            "row 2, field 'goal'",
        ),
        (
            "unit,planning_object,period,goal\nU3,z,2027Q1,10\n",
            ["--unit", "U3"],
            "none of the plan's planning objects",
        ),
        (None, ["--unit", "U1"], "production_goals.csv: missing"),
    ],
)
def test_from_balance_bad_input(
    tmp_path: Path, goals: str | None, extra: list[str], message: str
) -> None:
    d = balance_dir(tmp_path, goals) if goals is not None else tmp_path / "no-goals"
    d.mkdir(exist_ok=True)
    out = tmp_path / "out"
    res = run(balance_instance(tmp_path / "i"), "--from-balance", d, *extra, "--out", out)
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()


def test_unit_without_from_balance_is_a_usage_error(tmp_path: Path) -> None:
    res = run(balance_instance(tmp_path / "i"), "--unit", "U1")
    assert res.exit_code == 2 and "only go with --from-balance" in res.stderr


# --------------------------------------------------------------------------- bad input


def _edit(name: str, fn: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        p = folder / name
        p.write_text(fn(p.read_text()))

    return apply


def _remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


BAD_INPUT = [
    (_remove("weeks.csv"), "missing table 'weeks'"),
    (
        _edit("planning_objects.csv", lambda s: s + s.splitlines()[1] + "\n"),
        "planning_objects.csv row 3, field 'planning_object': duplicate planning object 'a'",
    ),
    (
        _edit("activity_hours.csv", lambda s: s.replace(",doc,", ",nurse,")),
        "activity_hours.csv row 2, field 'resource': resource 'nurse' is not defined",
    ),
    (
        _edit("weeks.csv", lambda s: s.replace("\n3,", "\n5,")),
        "weeks.csv row 4, field 'week': weeks must be numbered",
    ),
    (
        _edit("resources.csv", lambda s: s.replace(",30", ",-30")),
        "resources.csv row 2, field 'hours_per_week'",
    ),
    (
        _edit("planning_objects.csv", lambda s: s.replace(",60,4", ",60,9")),
        "planning_objects.csv row 2, field 'target_week': week 9 is after",
    ),
    (
        _edit(
            "inflow.csv",
            lambda s: (
                s.replace("inflow\n", "inflow,other_removals\n")
                .replace(",10\n", ",10,\n")  # every row has the new field (blank)
                .replace("a,2,10,", "a,2,10,500")
            ),
        ),
        "inflow.csv row 3, field 'other_removals': other removals of 'a' exceed",
    ),
    (
        _edit("inflow.csv", lambda s: s.replace("a,3,10", "b,3,10")),
        "inflow.csv row 4, field 'planning_object': planning object 'b' is not defined",
    ),
    (
        _edit("planning_objects.csv", lambda s: s.replace("1,6,100,a", "high,6,100,a")),
        "planning_objects.csv row 2, field 'priority'",
    ),
    (
        _edit(
            "planning_objects.csv",
            lambda s: s.replace("target_week\n", "target_week,reduction_per_week\n").replace(
                ",60,4\n", ",60,4,5\n"
            ),
        ),
        "planning_objects.csv row 2, field 'reduction_per_week': "
        "give either target_queue or reduction_per_week",
    ),
    (
        _edit("activity_hours.csv", lambda s: s.splitlines()[0] + "\n"),
        "'a' has no row in activity_hours",
    ),
    (
        _edit("instance.yaml", lambda s: s.replace("kind: tactical", "kind: strategic")),
        "expected 'tactical'",
    ),
    (
        _edit(
            "instance.yaml",
            lambda s: s.replace("parameters: {}", "parameters: {change_weight: -1}"),
        ),
        "field 'parameters.change_weight'",
    ),
    (
        _edit("capacity.csv", lambda s: s.replace("doc", "room")),
        "capacity.csv row 2, field 'resource': resource 'room' is not defined",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, mutate: Callable[[Path], None], message: str
) -> None:
    folder = relief_instance(tmp_path / "bad", 30)
    (folder / "capacity.csv").write_text("week,resource,available_hours\n1,doc,30\n")
    mutate(folder)
    out = tmp_path / "out"
    res = run(folder, "--out", out)
    assert res.exit_code == 2, res.output
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()


# --------------------------------------------------------------------------- statuses


def _no_solution(*_args: Any, **_kwargs: Any) -> MilpOutcome:
    return MilpOutcome(SolveStatus.NO_SOLUTION_IN_TIME, math.inf, -math.inf, 0.1, "highs")


def test_no_plan_at_all_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The solver stops before any solution in the first stage: no plan, exit 1, the envelope says
    # so and no plan tables or charts are written.
    monkeypatch.setattr(plan_milp, "solve_pulp", _no_solution)
    out = tmp_path / "out"
    res = run(relief_instance(tmp_path / "n", 30), "--out", out)
    assert res.exit_code == 1, res.output
    envelope = json.loads((out / "result.json").read_text())
    assert envelope["status"] == "NO_SOLUTION_IN_TIME" and envelope["objective"] is None
    assert any("no plan" in e for e in envelope["explanation"])
    assert not (out / "production_plan.csv").exists() and not (out / "queue_forecast.png").exists()


def test_later_stage_without_solution_keeps_the_earlier_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two priorities; the real solver runs stage 1, stage 2 "times out": the plan is stage 1's
    # (a, priority 1, cleared: 10 + 10), reported FEASIBLE with a note — never OPTIMAL.
    real = plan_milp.solve_pulp
    calls = iter(range(100))

    def first_only(*args: Any, **kwargs: Any) -> MilpOutcome:
        if not kwargs.get("warm_start"):  # the LP relaxation behind a stage's MIP start
            return real(*args, **kwargs)
        # goals of priorities 1 and 2, then priority 1's service; priority 2's service fails
        return real(*args, **kwargs) if next(calls) < 3 else _no_solution()

    monkeypatch.setattr(plan_milp, "solve_pulp", first_only)
    folder = write_instance(
        tmp_path / "two",
        objects=[
            {"planning_object": "a", "priority": 1, "queue_start": 20, "target_queue": 0},
            {"planning_object": "b", "priority": 2, "queue_start": 20, "target_queue": 0},
        ],
        weeks=2,
        resources=one_resource(10),
        hours=[("a", "doc", 1.0), ("b", "doc", 1.0)],
        inflow=weekly_inflow("a", [0, 0]) + weekly_inflow("b", [0, 0]),
    )
    data = read_plan(folder)
    sol = plan_milp.solve_plan(data, backend="highs", time_limit_s=10, with_target=True)
    assert sol.status is SolveStatus.FEASIBLE
    assert sol.production["a"] == (10, 10)
    assert any("stage 'priority 2' ended NO_SOLUTION_IN_TIME" in n for n in sol.notes)


def test_workbook_reads_like_the_folder(tmp_path: Path) -> None:
    # The same instance as one .xlsx (sheet 'instance' with key/value, one sheet per table).
    folder = relief_instance(tmp_path / "f", 30)
    book = tmp_path / "plan.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame({"key": ["kind", "name"], "value": ["tactical", "f"]}).to_excel(
            writer, sheet_name="instance", index=False
        )
        for csv in sorted(folder.glob("*.csv")):
            pd.read_csv(csv).to_excel(writer, sheet_name=csv.stem, index=False)
    from_folder, from_book = read_plan(folder), read_plan(book)
    assert from_book.objects == from_folder.objects
    assert from_book.weeks == from_folder.weeks and from_book.resources == from_folder.resources


def test_cbc_start_is_a_feasible_plan(tmp_path: Path) -> None:
    # The rounded LP start handed to CBC: on the relief instance with 20 h per normal week the
    # LP relaxation is x = 20, 20, 10, 10 (all capacity) — the start must respect capacity,
    # never produce more than is waiting, and here equals that LP plan.
    data = read_plan(relief_instance(tmp_path / "s", 20))
    model = plan_milp.PlanModel(data, with_target=True)
    model.open_up_to(1)
    model.prob.setObjective(model.service(1) + model.levelling(1))
    model.set_start(1, None, 5.0)
    start = [int(model.x["a", w].varValue) for w in range(4)]
    assert start == [20, 20, 10, 10]


def test_reduction_path_missed_midway_is_explained_without_negative_shortfall(
    tmp_path: Path,
) -> None:
    # Reduction of 10 per week from 30 with no inflow, but only 5 h a week and 3 weeks:
    # path 20, 10, 0; queue 25, 20, 15 → above the path by 5, 10, 15 every week; at the last
    # week the queue is 15 against 0: "short by 15.0" (never a negative shortfall).
    folder = write_instance(
        tmp_path / "red",
        objects=[{"planning_object": "a", "queue_start": 30, "reduction_per_week": 10}],
        weeks=3,
        resources=one_resource(5),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [0, 0, 0]),
    )
    out = tmp_path / "out"
    res = run(folder, "--out", out)
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "production_plan.csv")
    assert list(plan["target_queue"]) == [20, 10, 0]
    assert list(plan["target_excess"]) == [5, 10, 15]
    text = "\n".join(json.loads((out / "result.json").read_text())["explanation"])
    assert (
        "queue above its target in 3 week(s) (1–3); at week 3 it is 15 against 0 (short by 15.0)"
        in text
    )
    assert "short by -" not in text


def test_quarters_are_13_weeks_and_a_half_year_plan_takes_two() -> None:
    # 52 weeks over 2027Q1..Q4: 13 each. 26 weeks: the first two quarters (a warning), weeks
    # 1-13 and 14-26. 20 weeks is no whole number of quarters: bad input. Other period names
    # share the weeks evenly (10 weeks over 4 periods: 3, 3, 2, 2).
    from pks_opt.calendar import of_year
    from pks_opt.errors import InputError
    from pks_opt.production_plan.balance_link import period_weeks, plan_periods_of

    year = ("2027Q1", "2027Q2", "2027Q3", "2027Q4")
    assert period_weeks(52, year) == {
        "2027Q1": (1, 13),
        "2027Q2": (14, 26),
        "2027Q3": (27, 39),
        "2027Q4": (40, 52),
    }
    chosen, warnings = plan_periods_of(26, year)
    assert chosen == ("2027Q1", "2027Q2") and warnings
    assert period_weeks(26, chosen) == {"2027Q1": (1, 13), "2027Q2": (14, 26)}
    with pytest.raises(InputError, match="not a whole number of 13-week quarters"):
        plan_periods_of(20, year)
    assert period_weeks(10, ("a", "b", "c", "d")) == {
        "a": (1, 3),
        "b": (4, 6),
        "c": (7, 8),
        "d": (9, 10),
    }
    assert of_year("2027Q1", "2027") and not of_year("2027Q1", "202")

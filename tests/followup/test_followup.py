"""`pks follow-up` and `pks plan --actuals --from-week` on tiny instances with worked numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from production_plan.tiny import one_resource, weekly_inflow, write_instance

from pks_opt.commands import main
from pks_opt.followup.compare import flags


def run(*args: object):  # noqa: ANN201
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def plan_folder(folder: Path) -> Path:
    # A plan result as `pks plan` writes it: object a, 8 weeks, week 4 is Easter (half
    # capacity): production 10 a week (5 in week 4), forecast inflow the same, queue 50.
    folder.mkdir(parents=True)
    weeks = range(1, 9)
    easter = {4}
    pd.DataFrame(
        {
            "planning_object": "a",
            "week": list(weeks),
            "week_type": ["easter" if w in easter else "normal" for w in weeks],
            "inflow": [5 if w in easter else 10 for w in weeks],
            "production": [5 if w in easter else 10 for w in weeks],
            "queue_end": [50] * 8,
        }
    ).to_csv(folder / "production_plan.csv", index=False)
    pd.DataFrame(
        {
            "week": list(weeks),
            "resource": "doc",
            "available_hours": [10 if w in easter else 20 for w in weeks],
        }
    ).to_csv(folder / "capacity_use.csv", index=False)
    (folder / "result.json").write_text(json.dumps({"unit": "U", "instance": "tiny"}))
    return folder


def actuals_folder(folder: Path, production: str | None = None) -> Path:
    # What happened: production as planned (Easter too); inflow 13 from week 5 (+30 %), so the
    # queue ends 53, 56, 59, 62; doc lost 30 % of its hours in weeks 6-7 (sick leave).
    folder.mkdir(parents=True)
    (folder / "instance.yaml").write_text("kind: actuals\nname: tiny-actuals\n")
    rows = []
    queue = 50
    for w in range(1, 9):
        planned = 5 if w == 4 else 10
        inflow = 13 if w >= 5 else planned
        queue += inflow - planned
        rows.append(f"U,a,{w},{planned},{inflow},{queue},0,{'referrals' if w >= 5 else ''}")
    text = "unit,planning_object,week,production,inflow,waiting,other_removals,comment\n"
    (folder / "production.csv").write_text(production or text + "\n".join(rows) + "\n")
    cap = ["unit,resource,week,available_hours,comment"]
    for w in range(1, 9):
        hours = 10 if w == 4 else (14 if w in (6, 7) else 20)
        cap.append(f"U,doc,{w},{hours},{'sick leave' if w in (6, 7) else ''}")
    (folder / "capacity.csv").write_text("\n".join(cap) + "\n")
    return folder


def test_flags_need_the_threshold_and_either_the_limits_or_a_run() -> None:
    # Normal weeks' relative deviations 0, 0, 0, 0.3, 0.3, 0.3, 0.3: moving ranges 0, 0, 0,
    # 0.3, 0, 0 → mean 0.05 → limits ±0.133; every 0.3 is beyond 10 % and the limits.
    r = [0, 0, 0, 0, 0.3, 0.3, 0.3, 0.3]
    normal = [True, True, True, False, True, True, True, True]
    flagged, limit = flags(r, normal, 0.10)
    assert limit == pytest.approx(2.66 * 0.3 / 6)
    assert flagged == [False] * 4 + [True] * 4
    # noisy ±12 % alternating: beyond 10 % but inside wide limits and never three on one side
    noisy = [0.12, -0.12, 0.12, -0.12, 0.12, -0.12]
    assert flags(noisy, [True] * 6, 0.10)[0] == [False] * 6


def test_follow_up_flags_inflow_queue_and_capacity_not_the_planned_low_week(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = run(
        "follow-up", plan_folder(tmp_path / "plan"), actuals_folder(tmp_path / "act"), "--out", out
    )
    assert res.exit_code == 0, res.output
    f = pd.read_csv(out / "followup.csv")
    assert list(f["inflow_flag"]) == [False] * 4 + [True] * 4
    # the queue is 3, 6, 9, 12 above 50: 6 %, 12 %, 18 %, 24 % — beyond 10 % from week 6
    assert list(f["queue_flag"]) == [False] * 5 + [True] * 3
    assert not f["production_flag"].any()  # Easter week 4 went as planned: no flag
    assert list(f["cumulative_deviation"]) == [0] * 8
    cap = pd.read_csv(out / "capacity_followup.csv")
    # -30 % in weeks 6-7: normal-week moving ranges 0,0,0,0,.3,0,.3 → mean 0.1 → limit 0.266
    assert list(cap["available_flag"]) == [False] * 5 + [True, True, False]
    esc = json.loads((out / "result.json").read_text())["explanation"]
    assert esc[0] == (
        "weeks 5–8: a inflow +30% against the forecast (+12 patients), waiting list +12 "
        "against the forecast queue (comment: referrals)"
    )
    assert any(
        e.startswith("weeks 6–7: doc available hours -30% against the plan (-12 h)")
        and "sick leave" in e
        for e in esc
    )
    summary = pd.read_csv(out / "followup_summary.csv")
    assert set(summary["week_class"]) == {"normal", "low-production"}
    low = summary[summary["week_class"] == "low-production"].iloc[0]
    assert (low["weeks"], low["production_plan"], low["production_actual"]) == (1, 5, 5)
    assert (out / "production_followup.png").is_file() and (out / "queue_followup.png").is_file()


def test_queue_chart_puts_the_inflow_deviation_on_its_own_axis(tmp_path: Path) -> None:
    # The tiny follow-up: queue 50 → 62, inflow 3 a week above the forecast in weeks 5-8 (13
    # against 10). On the queue's axis (≈ 50-62) bars of 3 would be lost: they get a right
    # axis of their own, centred on zero (±1.15 × 3), and both charts tick whole weeks only.
    from pks_opt import api

    result = api.follow_up(plan_folder(tmp_path / "plan"), actuals_folder(tmp_path / "act"))
    figs = result.charts("en")
    queue_ax, inflow_ax = figs["queue_followup"].axes[:2]
    assert [p.get_height() for p in inflow_ax.patches] == [0, 0, 0, 0, 3, 3, 3, 3]
    assert not queue_ax.patches  # no bars on the queue's axis
    low, high = inflow_ax.get_ylim()
    assert (round(low, 2), round(high, 2)) == (-3.45, 3.45)
    for fig in figs.values():
        fig.canvas.draw()
        ticks = fig.axes[0].get_xticks()
        assert all(float(t).is_integer() for t in ticks)
        # the legend sits under the title, above every panel (does not cover a panel title)
        legend_bottom = fig.legends[0].get_window_extent().y0
        title_top = max(ax.title.get_window_extent().y1 for ax in fig.axes)
        assert legend_bottom >= title_top


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("U,a,3,", "U,zz,3,"), "field 'planning_object': planning object 'zz'"),
        (lambda t: t.replace("U,a,8,", "U,a,9,"), "field 'week': week 9 is after the plan's last"),
        (lambda t: t.replace("U,a,2,10,", "U,a,2,-10,"), "row 3, field 'production'"),
        (lambda t: t.replace("U,a,2,", "U,a,1,"), "row 3, field 'unit': duplicate"),
    ],
)
def test_bad_actuals_exit_2_with_file_row_field(tmp_path: Path, edit, message: str) -> None:  # noqa: ANN001
    good = actuals_folder(tmp_path / "good")
    text = edit((good / "production.csv").read_text())
    out = tmp_path / "out"
    res = run(
        "follow-up",
        plan_folder(tmp_path / "plan"),
        actuals_folder(tmp_path / "bad", production=text),
        "--out",
        out,
    )
    assert res.exit_code == 2, res.output
    assert "production.csv" in res.stderr and message in res.stderr
    assert not out.exists()


def four_week_plan(folder: Path, **obj: object) -> Path:
    """The re-plan tests' tiny plan: object a, 4 weeks, 20 waiting, forecast 10 joining a week,
    20 h a week of doc at 1 h each; ``obj`` adds fields to object a (a goal, limits)."""
    return write_instance(
        folder,
        objects=[{"planning_object": "a", "queue_start": 20, **obj}],
        weeks=4,
        resources=one_resource(20),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10, 10, 10, 10]),
        parameters={"unit": "U"},
    )


def replan_actuals(folder: Path, production_csv: str) -> Path:
    """An actuals folder with only ``production.csv`` (its text as given)."""
    folder.mkdir()
    (folder / "instance.yaml").write_text("kind: actuals\n")
    (folder / "production.csv").write_text(production_csv)
    return folder


@pytest.mark.rule("production_plan", "R0")
def test_replan_locks_the_weeks_done_and_catches_up_the_goal(tmp_path: Path) -> None:
    # 4 weeks, goal 40 (annual 520 × 4/52), 20 waiting, 10 joining a week, 20 h a week (1 h
    # each). Weeks 1-2 went 5, 5 (sick leave), the queue 25, 30. From week 3 the goal needs
    # 30 more: 15, 15 (levelled), the queue 25, 20. The original plan was 10 a week.
    inst = four_week_plan(tmp_path / "p", annual_goal=520)
    act = replan_actuals(
        tmp_path / "act",
        "unit,planning_object,week,production,inflow,waiting\nU,a,1,5,10,25\nU,a,2,5,10,30\n",
    )
    out = tmp_path / "out"
    res = run("plan", inst, "--actuals", act, "--from-week", 3, "--out", out)
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "production_plan.csv")
    assert list(plan["production"]) == [5, 5, 15, 15]
    assert list(plan["queue_end"]) == [25, 30, 25, 20]
    diff = pd.read_csv(out / "replan_diff.csv")
    assert list(diff["original"]) == [10, 10, 10, 10] and list(diff["change"]) == [-5, -5, 5, 5]
    inputs = pd.read_csv(out / "replan_inputs.csv")
    assert inputs.loc[0, "reforecast_ratio"] == 1.0 and inputs.loc[0, "queue_start_used"] == 20
    assert pd.read_csv(out / "feedback.csv").empty
    # With 12 h a week only 12 + 12 can be caught up: the goal is short by 6, named upward.
    (inst / "resources.csv").write_text("resource,hours_per_week\ndoc,12\n")
    out2 = tmp_path / "out2"
    res = run("plan", inst, "--actuals", act, "--from-week", 3, "--out", out2)
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(out2 / "production_plan.csv")["production"]) == [5, 5, 12, 12]
    fb = pd.read_csv(out2 / "feedback.csv")
    assert (fb.loc[0, "agreed"], fb.loc[0, "achievable"]) == (40, 34)


def test_replan_names_a_goal_too_low_for_the_reforecast_inflow(tmp_path: Path) -> None:
    # 4 weeks, goal 40 (annual 520 × 4/52), 20 waiting, at most 25, target 20 by week 4,
    # forecast 10 joining a week, 20 h a week (1 h each). Weeks 1-2 went 10, 10 produced while
    # 15, 15 joined: the queue 25, 30. Re-forecast ratio 30 / 20 = 1.5: 15 a week ahead. The
    # goals come first, so weeks 3-4 produce the 20 left of the goal (10, 10) and the queue
    # ends 35, 40: above the maximum by 0, 5, 10, 15 and the target by 20 in week 4. Keeping
    # both needs 20 more (the running maximum of the excess, 20 by week 4); weeks 3-4 have
    # 2 × 10 h free, room for 20: agreed 40, achievable 60, a request for a new agreement.
    inst = four_week_plan(
        tmp_path / "p", annual_goal=520, max_queue=25, target_queue=20, target_week=4
    )
    act = replan_actuals(
        tmp_path / "act",
        "unit,planning_object,week,production,inflow,waiting\nU,a,1,10,15,25\nU,a,2,10,15,30\n",
    )
    out = tmp_path / "out"
    res = run("plan", inst, "--actuals", act, "--from-week", 3, "--out", out)
    assert res.exit_code == 0, res.output
    plan = pd.read_csv(out / "production_plan.csv")
    assert list(plan["production"]) == [10, 10, 10, 10]
    assert list(plan["queue_end"]) == [25, 30, 35, 40]
    fb = pd.read_csv(out / "feedback.csv")
    assert len(fb) == 1
    row = fb.iloc[0]
    assert (row["unit"], row["object"], row["period"]) == ("U", "a", "plan")
    assert (row["agreed"], row["achievable"], row["gap"]) == (40, 60, 20)
    # inflow over weeks 1-4: 15 + 15 actual, 15 + 15 re-forecast = 60
    assert row["cause"] == (
        "queue ends 40 against maximum 25 / target 20 at the agreed goal; "
        "inflow 60 in weeks 1–4 against the goal's 40; inflow re-forecast +50 %"
    )
    # the rolling horizon: weeks 5-6 are next year's weeks 1-2 (from week 3, W − 1 = 2 weeks),
    # no goal agreed: the re-plan leaves 40 waiting, above the maximum 25, so these weeks aim
    # at 25 by their last week; the re-forecast inflow is 15 a week (10 × 1.5) and 20 h allow
    # 20 a week: production 20, 20 and the queue 35, 30 (as close to 25 as capacity allows)
    ahead = pd.read_csv(out / "next_year_plan.csv")
    assert list(ahead["week"]) == [5, 6] and list(ahead["week_next_year"]) == [1, 2]
    assert list(ahead["inflow"]) == [15, 15] and list(ahead["production"]) == [20, 20]
    assert list(ahead["queue_end"]) == [35, 30] and not ahead["agreed"].any()
    result = json.loads((out / "result.json").read_text())
    assert any(line.startswith("rolling horizon: weeks 5–6") for line in result["explanation"])
    assert result["kpis"]["requests_for_new_agreement"] == 1
    assert any(
        line.startswith("request for a new agreement: a plan agreed 40, achievable 60 (+20)")
        for line in result["explanation"]
    )
    # With 10 h a week, weeks 3-4 have no hour free after the goal's 10 + 10: capacity, not the
    # goal, holds the queue up, so no request (the queue is the same 35, 40).
    (inst / "resources.csv").write_text("resource,hours_per_week\ndoc,10\n")
    out2 = tmp_path / "out2"
    res = run("plan", inst, "--actuals", act, "--from-week", 3, "--out", out2)
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(out2 / "production_plan.csv")["queue_end"]) == [25, 30, 35, 40]
    assert pd.read_csv(out2 / "feedback.csv").empty


def test_replan_needs_actuals_of_every_week_before(tmp_path: Path) -> None:
    inst = four_week_plan(tmp_path / "p")
    act = replan_actuals(
        tmp_path / "act", "unit,planning_object,week,production,inflow\nU,a,1,5,10\n"
    )
    res = run("plan", inst, "--actuals", act, "--from-week", 3)
    assert res.exit_code == 2 and "needs actuals of weeks 1–2" in res.stderr
    res = run("plan", inst, "--from-week", 3)
    assert res.exit_code == 2 and "--actuals and --from-week go together" in res.stderr


# ---------------------------------------------------------------- the shipped clinic-followup


def test_shipped_followup_flags_inflow_and_capacity_not_easter(tmp_path: Path) -> None:
    # instances/clinic-followup: the published plan and weeks 1–20 as they happened (README):
    # gastro inflow +15 % in weeks 10–20, nurses −25 % in weeks 14–16, Easter (12–13) as planned.
    from pks_opt.instances import instance_path

    folder = instance_path("clinic-followup")
    out = tmp_path / "out"
    res = run("follow-up", folder / "published-plan", folder / "actuals", "--out", out)
    assert res.exit_code == 0, res.output
    esc = pd.read_csv(out / "escalation.csv", dtype={"weeks": str})
    lines = set(
        zip(
            esc["object"].fillna(""),
            esc["resource"].fillna(""),
            esc["measure"],
            esc["weeks"].fillna(""),
            strict=True,
        )
    )
    assert ("gastro", "", "inflow", "10–20") in lines
    assert ("", "nurse", "available capacity", "14–16") in lines
    table = pd.read_csv(out / "followup.csv")
    easter = table[table["week"].isin([12, 13])]
    assert set(easter["week_type"]) != {"normal"}  # the plan's low-production weeks
    assert not easter["production_flag"].any()
    summary = pd.read_csv(out / "followup_summary.csv")
    assert set(summary["week_class"]) == {"normal", "low-production"}
    assert (out / "production_followup.png").is_file() and (out / "queue_followup.png").is_file()


def test_shipped_actuals_are_the_generator_output_on_the_published_plan(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from pks_opt.instances import instance_path

    folder = instance_path("clinic-followup")
    copy = tmp_path / "clinic-followup"
    shutil.copytree(folder, copy)
    subprocess.run(
        [sys.executable, str(copy / "make_actuals.py"), str(folder / "published-plan")],
        check=True,
        capture_output=True,
    )
    for name in ("production.csv", "capacity.csv"):
        assert (copy / "actuals" / name).read_text() == (folder / "actuals" / name).read_text()


def test_next_year_weeks_get_their_own_holidays(tmp_path: Path) -> None:
    """Next year's weeks of a rolling re-plan are dated 52 weeks on: Easter moves.

    Week 1 starts Monday 2027-01-04. Good Friday is 2027-03-26 (week 12) and 2028-04-14:
    52 weeks on, week 1 starts 2028-01-03, so Good Friday falls in week 15 (04-10..04-16).
    With 20 next-year weeks, week 12 has no holiday and week 15 has Good Friday; its hours are
    4/5 of a normal week (one weekday off) and no goal binds any week.
    """
    from pks_opt.io import read_raw
    from pks_opt.production_plan.data import plan_from_raw
    from pks_opt.production_plan.replan import next_year_data

    inst = write_instance(
        tmp_path / "p",
        objects=[{"planning_object": "a", "queue_start": 20, "annual_goal": 520}],
        weeks=52,
        resources=one_resource(20),
        hours=[("a", "doc", 1.0)],
        inflow=weekly_inflow("a", [10] * 52),
        parameters={"unit": "U", "start_date": "2027-01-04"},
    )
    base = plan_from_raw(read_raw(inst))
    ahead = next_year_data(base, {"a": 33.0}, {"a": 1.2}, 20)
    # a queue above its maximum (max_queue 30 here, 45 left) comes back to it by week 20
    capped = next_year_data(base.replace({"a": {"max_queue": 30}}), {"a": 45.0}, {}, 20)
    assert (capped.objects[0].target_queue, capped.objects[0].target_week) == (30, 20)
    assert ahead.objects[0].target_queue is None  # 33 with no maximum: kept level
    assert ahead.num_weeks == 20
    assert "Good Friday" in ahead.weeks[14].holiday or "Långfredag" in ahead.weeks[14].holiday
    assert "2028-04-14" in ahead.weeks[14].holiday and ahead.weeks[11].holiday == ""
    assert (
        ahead.resources[0].available_hours[14] == 16
        and ahead.resources[0].available_hours[11] == 20
    )
    a = ahead.objects[0]
    assert a.queue_start == 33 and a.inflow[0] == 12 and not a.has_goal and not a.has_target

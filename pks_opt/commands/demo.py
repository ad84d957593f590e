"""`pks demo`: run the chain on the shipped instances and write to ./pks-demo-out/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from pks_opt.commands.common import current_lang, lang_option
from pks_opt.i18n import messages
from pks_opt.instances import instance_path

DEFAULT_DEMO_OUT = Path("pks-demo-out")

# (title, output sub-folder, argv of the pks command without --out). Order = the PKS chain.
# argv may use {instances} (the shipped instances folder) and {out} (the demo's output folder,
# so a step can read an earlier step's result).
DEMO_STEPS: list[tuple[str, str | None, list[str]]] = [
    (
        "Need and capacity (seeds' inpatient example)",
        "need-seed",
        ["need", "{instances}/seed-inpatient"],
    ),
    (
        "Need and capacity, round 2 (ward share raised to 2 400)",
        "need-seed-round2",
        [
            "need",
            "{instances}/seed-inpatient",
            "--scenario",
            "{instances}/seed-inpatient/round2.yaml",
        ],
    ),
    (
        "Strategic balancing (region-small)",
        "balance-region",
        ["balance", "{instances}/region-small"],
    ),
    (
        "Strategic balancing, base vs scenarios (region-small)",
        "balance-region-scenarios",
        [
            "balance",
            "{instances}/region-small",
            "--scenario",
            "{instances}/region-small/scenarios/summer_budget.yaml",
            "--scenario",
            "{instances}/region-small/scenarios/demand_up.yaml",
            "--scenario",
            "{instances}/region-small/scenarios/new_hip_contract.yaml",
        ],
    ),
    # needs "balance-region": the plan takes MEDCLIN's balanced goals, need and capacity
    (
        "Production plan on the balanced goals (clinic MEDCLIN)",
        "plan-clinic",
        [
            "plan",
            "{instances}/clinic-plan",
            "--from-balance",
            "{out}/balance-region",
            "--unit",
            "MEDCLIN",
            "--max-nodes",
            "50",
        ],
    ),
    ("Activity matrix (clinic)", "matrix-clinic", ["matrix", "{instances}/clinic-matrix"]),
    # needs the production-plan step "plan-clinic" (pks plan instances/clinic-plan) before it
    (
        "Activity matrix from the production plan",
        "matrix-from-plan",
        ["matrix", "{instances}/clinic-plan-matrix", "--from-plan", "{out}/plan-clinic"],
    ),
    # needs "matrix-from-plan" before it: tier-2 demand from that matrix's staff_demand.csv
    (
        "Roster from the activity matrix (clinic)",
        "roster-clinic",
        [
            "roster",
            "{instances}/clinic-roster",
            "--from-matrix",
            "{out}/matrix-from-plan",
            "--time-limit",
            "30",
            "--quiet",
        ],
    ),
    # no output folder: prints one roster row's chain back to its goal and need
    (
        "Trace one roster row back to its goal and need (cardio at MEDCLIN)",
        None,
        [
            "trace",
            "{out}/balance-region",
            "{out}/plan-clinic",
            "{out}/matrix-from-plan",
            "{out}/roster-clinic",
            "--unit",
            "MEDCLIN",
            "--object",
            "cardio",
        ],
    ),
    (
        "Roster, big rocks first (ward-roster, 6 weeks, 27 staff)",
        "roster-ward",
        ["roster", "{instances}/ward-roster", "--time-limit", "10", "--quiet"],
    ),
    (
        "Roster that cannot be fully covered: named shortfalls (ward-roster-short)",
        "roster-ward-short",
        ["roster", "{instances}/ward-roster-short", "--time-limit", "10", "--quiet"],
    ),
    (
        "The three planning rounds: balance, plans, feedback, handshake (region-cycle)",
        "cycle-region",
        ["cycle", "{instances}/region-cycle"],
    ),
    (
        "Forecast of 2027's inflow from two years of history (clinic-followup)",
        "forecast-clinic",
        ["forecast", "{instances}/clinic-followup/history"],
    ),
    # the clinic's published 2027 plan (pks plan instances/clinic-plan at the defaults, shipped:
    # the actuals were written against it), weeks 1-20 as they happened
    (
        "Follow-up of weeks 1-20: actuals against the published plan (clinic-followup)",
        "followup-clinic",
        [
            "follow-up",
            "{instances}/clinic-followup/published-plan",
            "{instances}/clinic-followup/actuals",
        ],
    ),
    # needs "balance-region": the same actuals, quarter to date, against the balance
    (
        "Follow-up of the same weeks against the region's balance (MEDCLIN, quarter to date)",
        "followup-balance",
        [
            "follow-up",
            "{out}/balance-region",
            "{instances}/clinic-followup/actuals",
            "--resources-from",
            "{instances}/clinic-plan",
        ],
    ),
    (
        "Follow-up of the published ward roster's first two weeks (ward-followup)",
        "followup-roster",
        [
            "follow-up",
            "{instances}/ward-followup/published-roster",
            "{instances}/ward-followup/actuals",
        ],
    ),
    (
        "Re-plan from week 21 on the actuals",
        "replan-clinic",
        [
            "plan",
            "{instances}/clinic-plan",
            "--actuals",
            "{instances}/clinic-followup/actuals",
            "--from-week",
            "21",
            "--max-nodes",
            "50",
        ],
    ),
    (
        "Batch: 6 balances of region-small, budget margin x demand growth (sweep-demo.yaml)",
        "batch-sweep",
        ["batch", "{instances}/region-small/sweep-demo.yaml", "--workers", "1"],
    ),
    (
        "Self-assessment of the PKS work, 2025 against 2026 (three respondents)",
        "assessment",
        [
            "assess",
            "report",
            "{instances}/assessment-example/answers-2025.xlsx",
            "{instances}/assessment-example/answers.xlsx",
        ],
    ),
]


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DEMO_OUT,
    show_default=True,
    help="Folder that receives one sub-folder per step and report.html.",
)
@lang_option
def demo(out: Path) -> None:
    """Run every level of the chain on the shipped instances, then write OUT/report.html.

    Each step is the `pks` command it names, run in this process; the terminal shows one line
    per step with its status and headline figure (the step's full output is in its
    result.json); a step that fails is reported with its error and the demo goes on; Ctrl-C
    stops the demo (exit 130). ``--lang sv``: every step's summary, charts and the report in
    Swedish.
    """
    from pks_opt import interrupt
    from pks_opt.commands import main
    from pks_opt.result import EXIT_INTERRUPTED

    lang = current_lang()
    m = messages(lang)
    failed = 0
    with interrupt.installed():
        for i, (title, sub, argv) in enumerate(DEMO_STEPS, start=1):
            args = [a.format(instances=instance_path(""), out=out) for a in argv]
            if sub is not None:
                args += ["--out", str(out / sub)]
            if _takes_lang(main, args):
                args += ["--lang", lang]
            title = _title(title, sub, m)
            click.echo(f"[{i:2}/{len(DEMO_STEPS)}] {title} ... ", nl=False)
            try:
                code, err = _run_quiet(main, args)
            except interrupt.Interrupted as exc:
                click.echo("")
                click.echo(f"{m.text('summary', 'demo_interrupted')}: {exc.signame}", err=True)
                sys.exit(EXIT_INTERRUPTED)
            if code == EXIT_INTERRUPTED or interrupt.requested():
                click.echo("")
                click.echo(m.text("summary", "demo_interrupted"), err=True)
                sys.exit(EXIT_INTERRUPTED)
            if code not in (0, 1):
                failed += 1
                last = err.strip().splitlines()[-1:] or [""]
                click.echo(m.text("summary", "demo_step_failed", code=code, error=last[0]))
                continue
            click.echo(_step_line(out / sub if sub else None, code, lang))
    report = _report(out, lang)
    click.echo(m.text("summary", "demo_finished", steps=len(DEMO_STEPS), failed=failed, out=out))
    if report is not None:
        click.echo(m.text("summary", "demo_open", report=report))
    sys.exit(1 if failed else 0)


def _title(title: str, sub: str | None, m: Any) -> str:
    """Title the step in ``m``'s language.

    The catalogue's ``demo_steps`` when it holds this step (its English text is the title in
    code), else the title as written.
    """
    key = sub or "trace"
    known = messages("en").get("demo_steps", key, default="") == title
    return m.get("demo_steps", key, default=title) if known else title


def _takes_lang(main: click.Group, args: list[str]) -> bool:
    """Tell whether the step's command has the shared ``--lang``.

    The summary and charts' language; ``pks assess report`` has its own, for its texts.
    """
    command = main.commands.get(args[0]) if args else None
    if command is None or isinstance(command, click.Group):
        return False
    return any(p.name == "lang" and not p.expose_value for p in command.params)


def _step_line(folder: Path | None, code: int, lang: str = "en") -> str:
    """Read a step's status and headline figure back from its result.json, in ``lang``."""
    m = messages(lang)
    if folder is None or not (folder / "result.json").is_file():
        return (
            m.text("summary", "demo_step_done")
            if code == 0
            else m.text("summary", "demo_step_exit", code=code)
        )
    from pks_opt.report.html.collect import read_run
    from pks_opt.report.html.findings import headline
    from pks_opt.report.html.i18n import Messages

    run = read_run(folder)
    figure = headline(run, Messages(lang))
    status = run.status if lang == "en" else m.get("status", run.status, default=run.status)
    return f"{status}{' · ' + figure if figure else ''} -> {folder}/result.json"


def _report(out: Path, lang: str) -> Path | None:
    """OUT/report.html of the steps' result folders (None when no step wrote one)."""
    from pks_opt.errors import InputError, OutputError
    from pks_opt.report.html import build_report

    try:
        return build_report([out], out / "report.html", lang=lang)
    except (InputError, OutputError) as exc:
        click.echo(f"no report: {exc}", err=True)
        return None


def _run_quiet(main: click.Group, args: list[str]) -> tuple[int, str]:
    """One `pks` command in this process with its output captured; (exit code, stderr)."""
    import contextlib
    import io

    captured_out, captured_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(captured_out), contextlib.redirect_stderr(captured_err):
        code = _run(main, args)
    return code, captured_err.getvalue()


def _run(main: click.Group, args: list[str]) -> int:
    """One `pks` command in this process; its exit code."""
    try:
        main.main(args, prog_name="pks", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0

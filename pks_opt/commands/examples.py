"""An example or two per `pks` command, added to its --help (``Examples:``) at registration.

Every example uses shipped instances or the output folder of an earlier example, so the
chain can be copied line by line; tests/test_help.py parses every example with its command.
"""

from __future__ import annotations

import inspect

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "need": (
        "pks need instances/region-small --out out/need --excel",
        "pks need instances/seed-inpatient --scenario instances/seed-inpatient/round2.yaml",
    ),
    "balance": (
        "pks balance instances/region-small --out out/balance --excel",
        "pks balance instances/region-small --scenario "
        "instances/region-small/scenarios/budget_cut_10.yaml --out out/budget-cut",
    ),
    "plan": (
        "pks plan instances/clinic-plan --out out/plan --excel",
        "pks plan instances/clinic-plan --from-balance out/balance --unit MEDCLIN --year 2027 "
        "--out out/plan-from-balance",
        "pks plan instances/clinic-plan --scenario "
        "instances/clinic-plan/scenarios/fewer_physicians.yaml --out out/plan-what-if",
    ),
    "matrix": (
        "pks matrix instances/clinic-matrix --out out/matrix",
        "pks matrix instances/clinic-plan-matrix --from-plan out/plan --out out/matrix-from-plan",
    ),
    "roster": (
        "pks roster instances/ward-roster --time-limit 60 --out out/roster --excel",
        "pks roster instances/clinic-roster --from-matrix out/matrix-from-plan --out "
        "out/clinic-roster",
    ),
    "forecast": ("pks forecast instances/clinic-followup/history --out out/forecast",),
    "follow-up": (
        "pks follow-up instances/clinic-followup/published-plan "
        "instances/clinic-followup/actuals --out out/follow-up",
    ),
    "cycle": ("pks cycle instances/region-cycle --out out/cycle",),
    "trace": ("pks trace pks-demo-out --unit MEDCLIN --object cardio",),
    "report": ("pks report out/plan out/matrix --out report.html --lang sv",),
    "demo": ("pks demo --out pks-demo-out --lang sv",),
    "batch": ("pks batch instances/region-small/sweep.yaml --out out/sweep --workers 2",),
    "batch-report": ("pks batch-report out/sweep --top 3",),
}


def add_examples(group: click.Group) -> None:
    """Append each command's examples to its help text (once)."""
    for name, lines in EXAMPLES.items():
        cmd = group.commands.get(name)
        if cmd is None or cmd.help is None or "Examples:" in cmd.help:
            continue
        text = inspect.cleandoc(cmd.help)
        cmd.help = text + "\n\n\b\nExamples:\n" + "\n".join(f"  {x}" for x in lines)


class Group(click.Group):
    """The `pks` group: the command list shows each command's first sentence whole.

    click cuts it at 45 characters, often mid-word; a long one wraps.
    """

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the command list, each command's first sentence whole and wrapped."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            rows.append((name, cmd.get_short_help_str(limit=200)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

"""The `pks` command line (click). Each command lives in its own module and is added here."""

from __future__ import annotations

import click

from pks_opt import __version__
from pks_opt.commands.examples import Group, add_examples


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pks")
def main() -> None:
    """pks-opt: production and capacity management (PKS) for healthcare.

    Levels: need → balance (strategic) → plan (tactical weekly plan) → matrix (activity
    matrix) → roster (operational). Run `pks demo` for the whole chain on shipped instances;
    `pks template plan --out my-plan.xlsx` starts a new instance in Excel; see
    docs/getting-started.md. `pks COMMAND --help` shows a command's options and examples.
    """


def _register() -> None:
    from pks_opt.commands.balance import balance
    from pks_opt.commands.demo import demo
    from pks_opt.commands.forecast import forecast
    from pks_opt.commands.need import need

    main.add_command(demo)
    main.add_command(forecast)
    main.add_command(need)
    main.add_command(balance)
    from pks_opt.commands.plan import plan

    main.add_command(plan)
    from pks_opt.commands.matrix import matrix

    main.add_command(matrix)

    from pks_opt.commands.roster import roster

    main.add_command(roster)
    from pks_opt.commands.cycle import cycle
    from pks_opt.commands.trace import trace

    main.add_command(cycle)
    main.add_command(trace)
    from pks_opt.commands.followup import follow_up

    main.add_command(follow_up)
    from pks_opt.commands.batch import batch, batch_report

    main.add_command(batch)
    main.add_command(batch_report)
    from pks_opt.commands.assess import assess

    main.add_command(assess)
    from pks_opt.commands.convert import convert

    main.add_command(convert)
    from pks_opt.commands.template import template

    main.add_command(template)
    from pks_opt.commands.report import report

    main.add_command(report)
    add_examples(main)


_register()

"""`pks --help` lists every command's first sentence whole; every command's --help ends with
examples that parse with that command and name shipped instances that exist."""

from __future__ import annotations

import re
import shlex

import click
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.commands.examples import EXAMPLES
from pks_opt.instances import instances_root


def test_command_list_is_not_cut_mid_word() -> None:
    out = CliRunner().invoke(main, ["--help"], terminal_width=80).output
    commands = out.split("Commands:")[1]
    assert "..." not in commands
    assert "time-critical work" in commands  # roster's first sentence, whole


def test_every_command_has_examples_that_parse() -> None:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        cmd = main.get_command(ctx, name)
        assert cmd is not None
        text = CliRunner().invoke(main, [name, "--help"]).output
        assert "pks " in text.split("Options:")[0], f"{name}: no example in --help"
    for name, lines in EXAMPLES.items():
        cmd = main.get_command(ctx, name)
        assert cmd is not None, name
        for line in lines:
            words = shlex.split(line)
            assert words[:2] == ["pks", name], line
            cmd.make_context(name, words[2:])  # unknown options or bad values raise
            for w in words:
                if w.startswith("instances/"):
                    assert (instances_root().parent / w).exists(), w


def test_getting_started_commands_parse() -> None:
    """Every `pks …` command the planners' page shows parses with its command."""
    page = (instances_root().parent / "docs" / "getting-started.md").read_text(encoding="utf-8")
    found = [m.group(1) for m in re.finditer(r"`(pks [^`]+)`", page)]
    found += [line.strip() for line in page.splitlines() if line.startswith("pks ")]
    assert len(found) >= 10
    ctx = click.Context(main)
    for line in found:
        words = shlex.split(line.replace("\\", "/"))
        if len(words) < 2 or words[1] in ("COMMAND",) or "…" in line:
            continue
        cmd = main.get_command(ctx, words[1])
        assert cmd is not None, line
        if len(words) > 2:
            cmd.make_context(words[1], words[2:])

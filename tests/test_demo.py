"""The demo's steps point at shipped instances and registered commands, in chain order."""

from __future__ import annotations

from pathlib import Path

from pks_opt.commands import main
from pks_opt.commands.demo import DEMO_STEPS
from pks_opt.instances import instance_path


def test_every_demo_step_is_runnable_in_principle(tmp_path: Path) -> None:
    subs = [sub for _, sub, _ in DEMO_STEPS if sub is not None]
    assert len(set(subs)) == len(subs), "two steps would write to the same folder"
    commands = [argv[0] for _, _, argv in DEMO_STEPS]
    for name in commands:
        assert name in main.commands, f"demo step uses unknown command {name!r}"
    # the PKS chain, top to bottom
    order = [
        "need",
        "balance",
        "plan",
        "matrix",
        "roster",
        "trace",
        "cycle",
        "forecast",
        "follow-up",
        "batch",
        "assess",
    ]
    assert [c for c in dict.fromkeys(commands)] == [c for c in order if c in commands]
    for _, sub, argv in DEMO_STEPS:
        for arg in argv[1:]:
            if "{instances}" in arg:
                path = Path(arg.format(instances=instance_path(""), out=tmp_path))
                assert path.exists(), f"step {sub}: {path} does not exist"
            if "{out}" in arg:
                earlier = Path(arg.format(instances="", out="OUT")).relative_to("OUT").parts[0]
                assert earlier in subs[: subs.index(sub) if sub is not None else len(subs)], (
                    f"step {sub} reads {earlier} before it runs"
                )

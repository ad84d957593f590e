"""Where the shipped example instances are (the repository's top-level ``instances/``)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "PKS_INSTANCES"


def instances_root() -> Path:
    """Find the shipped instances folder.

    ``$PKS_INSTANCES``, else ``instances/`` beside the package (a checkout), else
    ``./instances``.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[1] / "instances"
    if beside.is_dir():
        return beside
    return Path.cwd() / "instances"


def instance_path(name: str) -> Path:
    """Path of a shipped instance, e.g. ``instance_path("seed-inpatient")``."""
    return instances_root() / name

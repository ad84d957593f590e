"""Shared pieces of the batch tests: a small manifest of region-small balances."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = ROOT / "instances" / "region-small"
PKS = [str(Path(sys.executable).parent / "pks")]

SMALL = """\
name: small
defaults:
  command: balance
  instance: {instance}
  options: {{time_limit: 30}}
grid:
  budget:
    values: [-2000000, 4000000]
    changes: [{{shortcut: budget_change, unit: TOTAL, delta: $value}}]
  demand:
    values: [0, 10]
    changes: [{{shortcut: demand_pct, pct: $value}}]
"""


@pytest.fixture
def small_manifest(tmp_path: Path) -> Path:
    """4 balances of region-small (budget x demand), 0.5-1 s each."""
    m = tmp_path / "small.yaml"
    m.write_text(SMALL.format(instance=REGION), encoding="utf-8")
    return m


def pks(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PKS, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def batch_json(*args: str) -> tuple[int, dict[str, Any]]:
    """`pks batch ... --json`: exit code and the summary."""
    p = pks("batch", *args, "--json")
    assert p.returncode in (0, 1), p.stderr
    assert p.stdout.strip(), p.stderr
    return p.returncode, json.loads(p.stdout)

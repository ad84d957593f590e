"""The library's charts leave matplotlib's global state alone: no backend switch, no pyplot.

A caller (a notebook, a GUI) keeps its backend; ``matplotlib.use("Agg")`` inside a library
function used to change it for the whole process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_matrix_and_forecast_charts_leave_the_backend_and_pyplot_alone(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import matplotlib
        matplotlib.use("svg")  # the caller's choice
        import pks_opt as pks
        res = pks.matrix({str(ROOT / "instances" / "clinic-matrix")!r}, time_limit=20)
        res.write({str(tmp_path / "m")!r})
        fc = pks.forecast({str(ROOT / "instances" / "clinic-followup" / "history")!r})
        fc.write({str(tmp_path / "f")!r})
        print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.split() == ["svg", "False"], out.stderr
    assert (tmp_path / "m" / "matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert any(p.suffix == ".png" for p in (tmp_path / "f").iterdir())

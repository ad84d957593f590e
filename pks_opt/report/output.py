"""Write a :class:`~pks_opt.result.Result` to a folder, all or nothing.

Everything is first written to a temporary folder beside ``out_dir`` and only then moved in,
so an error half-way (or bad input found late) never leaves a half-written output folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pks_opt.result import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RESULT_FILE = "result.json"
EXCEL_FILE = "tables.xlsx"
MAX_SHEET_NAME = 31  # Excel's limit on sheet-name length


def write_result(
    result: Result,
    out_dir: str | Path,
    *,
    excel: bool = False,
    charts: Mapping[str, Figure] | None = None,
) -> dict[str, Any]:
    """Write ``result.json``, one CSV per table, optional ``tables.xlsx`` and PNG charts.

    Returns the envelope that was written.
    """
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        table_files: dict[str, str] = {}
        for name, df in result.tables.items():
            fname = f"{name}.csv"
            df.to_csv(tmp / fname, index=False)
            table_files[name] = fname
        if excel and result.tables:
            with _excel_writer(tmp / EXCEL_FILE) as writer:
                for name, df in result.tables.items():
                    df.to_excel(writer, sheet_name=name[:MAX_SHEET_NAME], index=False)
            table_files["excel"] = EXCEL_FILE
        chart_files: dict[str, str] = {}
        for name, fig in (charts or {}).items():
            fname = f"{name}.png"
            fig.savefig(tmp / fname, dpi=110, bbox_inches="tight")
            plt.close(fig)
            chart_files[name] = fname
        envelope = result.envelope(table_files, chart_files)
        (tmp / RESULT_FILE).write_text(
            json.dumps(envelope, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        out.mkdir(parents=True, exist_ok=True)
        for f in tmp.iterdir():
            f.replace(out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return envelope


def _excel_writer(path: Path) -> Any:
    import pandas as pd

    return pd.ExcelWriter(path, engine="openpyxl")

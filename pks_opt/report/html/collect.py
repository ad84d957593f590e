"""Find and read the result folders a report is made of.

A folder given to ``pks report`` is either a result folder (it holds ``result.json``; its
sub-folders with a ``result.json`` are its parts: a balance's scenarios, a cycle's rounds) or
a folder of result folders (a ``pks demo`` output, several runs side by side), searched
downwards. Folders are recognised by the ``kind`` in their ``result.json``. Reading is
forgiving: a table that ``result.json`` lists but that is not there (a shipped, trimmed
result) is left out.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.errors import InputError

RESULT_FILE = "result.json"

#: the PKS chain, top to bottom; a report shows its sections in this order
KIND_ORDER = (
    "need",
    "balance",
    "cycle",
    "dimensioning",
    "production_plan",
    "activity_matrix",
    "roster",
    "roster-benchmark",
    "forecast",
    "follow_up",
    "roster_follow_up",
    "assessment",
)
#: the template of each kind's section (others use the generic one)
SECTION_TEMPLATES = {
    "need": "section_need.html.j2",
    "balance": "section_balance.html.j2",
    "cycle": "section_cycle.html.j2",
    "dimensioning": "section_cycle.html.j2",
    "production_plan": "section_plan.html.j2",
    "activity_matrix": "section_matrix.html.j2",
    "roster": "section_roster.html.j2",
    "roster-benchmark": "section_roster.html.j2",
    "forecast": "section_forecast.html.j2",
    "follow_up": "section_followup.html.j2",
    "roster_follow_up": "section_followup.html.j2",
}


@dataclass
class Run:
    """One result folder as the report shows it."""

    folder: Path
    name: str  # the folder's name (a demo step's sub-folder)
    env: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    charts: dict[str, str]  # name -> data: URI of the PNG
    parts: list[Run] = field(default_factory=list)
    anchor: str = ""

    @property
    def kind(self) -> str:
        """The result's ``kind`` from ``result.json`` (``balance``, ``roster``, …)."""
        return str(self.env.get("kind", ""))

    @property
    def status(self) -> str:
        """The result's solve status from ``result.json`` (``OPTIMAL``, ``FEASIBLE``, …)."""
        return str(self.env.get("status", ""))

    @property
    def kpis(self) -> dict[str, Any]:
        """The result's key figures from ``result.json`` (empty when missing or malformed)."""
        kpis = self.env.get("kpis") or {}
        return kpis if isinstance(kpis, dict) else {}


def collect(dirs: list[Path]) -> list[Run]:
    """Collect the result folders under ``dirs``, in the chain's order (kind, then as found).

    Raises :class:`InputError` for a folder that does not exist or holds no result folder.
    """
    runs: list[Run] = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise InputError("no such folder", file=str(d))
        found = _result_folders(d)
        if not found:
            raise InputError(
                f"no {RESULT_FILE} in this folder or below: not a pks result", file=str(d)
            )
        runs += [read_run(f) for f in found]
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    runs = [
        r
        for _, r in sorted(
            enumerate(runs), key=lambda ir: (order.get(ir[1].kind, len(order)), ir[0])
        )
    ]
    used: set[str] = set()
    for run in runs:
        base = "sec-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", run.name).strip("-") or "run")
        anchor, n = base, 2
        while anchor in used:
            anchor, n = f"{base}-{n}", n + 1
        used.add(anchor)
        run.anchor = anchor
        for i, part in enumerate(run.parts):
            part.anchor = f"{anchor}-part-{i + 1}"
    return runs


def _result_folders(d: Path) -> list[Path]:
    if (d / RESULT_FILE).is_file():
        return [d]
    if (d / "batch.json").is_file():  # a batch's runs are summarised by pks batch-report
        return []
    out: list[Path] = []
    for sub in sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")):
        out += _result_folders(sub)
    return out


def read_run(folder: Path) -> Run:
    """One result folder: its envelope, the tables that are there, the PNG charts inline."""
    meta = folder / RESULT_FILE
    try:
        env = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("malformed JSON", file=str(meta)) from None
    if not isinstance(env, dict) or "kind" not in env or "status" not in env:
        raise InputError("not a pks result envelope (kind and status needed)", file=str(meta))
    types = env.get("column_types") or {}
    swedish = env.get("csv_dialect") == "sv"
    tables: dict[str, pd.DataFrame] = {}
    for name, fname in (env.get("tables") or {}).items():
        path = folder / str(fname)
        if not str(fname).endswith(".csv") or not path.is_file():
            continue
        text_cols = [c for c, t in (types.get(name) or {}).items() if t == "text"]
        try:
            tables[str(name)] = pd.read_csv(
                path,
                sep=";" if swedish else ",",
                decimal="," if swedish else ".",
                encoding="utf-8-sig",
                dtype=dict.fromkeys(text_cols, str),
                keep_default_na=False,
                na_values=[""],
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
    charts: dict[str, str] = {}
    for name, fname in (env.get("charts") or {}).items():
        path = folder / str(fname)
        if path.is_file() and path.suffix.lower() == ".png":
            charts[str(name)] = "data:image/png;base64," + base64.b64encode(small_png(path)).decode(
                "ascii"
            )
    parts = [
        read_run(p) for p in sorted(folder.iterdir()) if p.is_dir() and (p / RESULT_FILE).is_file()
    ]
    return Run(folder=folder, name=folder.name, env=env, tables=tables, charts=charts, parts=parts)


def small_png(path: Path) -> bytes:
    """Re-encode the chart's PNG with an adaptive 256-colour palette when that is smaller.

    Charts have few colours; a report of the whole chain stays well under 10 MB.
    """
    data = path.read_bytes()
    try:
        import io

        from PIL import Image

        with Image.open(path) as img:
            small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            buf = io.BytesIO()
            small.save(buf, format="PNG", optimize=True)
    except Exception:  # noqa: BLE001 - any trouble: the PNG as it is
        return data
    return buf.getvalue() if buf.tell() < len(data) else data

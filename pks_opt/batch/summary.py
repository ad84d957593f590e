"""A batch's collected results: ``summary.csv`` (+ ``summary.parquet``), a chart, a report.

The report names the best and worst runs and the parameters that matter most.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.batch.manifest import Batch
from pks_opt.batch.runner import RunRecord
from pks_opt.report.figures import subplots

SUMMARY_CSV = "summary.csv"
SUMMARY_PARQUET = "summary.parquet"
BATCH_JSON = "batch.json"
CHART = "comparison.png"
#: KPIs tried in order when the manifest's ``report.kpi`` is not given (lower is better)
DEFAULT_KPIS = ("unmet_activities", "weighted_unmet_and_postponed", "objective")
FIXED = (
    "id",
    "name",
    "command",
    "status",
    "ok",
    "objective",
    "runtime_s",
    "wall_s",
    "skipped",
    "message",
)


def flatten(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested KPIs as flat columns (``actions.move``); lists and text as they are."""
    out: dict[str, Any] = {}
    for k, v in kpis.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, f"{key}."))
        elif isinstance(v, list | tuple):
            out[key] = json.dumps(v)
        else:
            out[key] = v
    return out


def summary_frame(batch: Batch, records: Sequence[RunRecord]) -> pd.DataFrame:
    """Tabulate one row per run.

    Id, name, the overrides as columns, status, objective, runtime and the KPIs (a KPI named
    like a parameter gets a ``kpi.`` prefix).
    """
    specs = {s.id: s for s in batch.runs}
    rows = []
    for r in records:
        spec = specs[r.id]
        row: dict[str, Any] = {"id": r.id, "name": r.name, "command": spec.command}
        row.update({p: spec.overrides.get(p) for p in batch.parameters})
        if any(s.seed is not None for s in batch.runs):
            row["seed"] = spec.seed
        row.update(
            {
                "status": r.status,
                "ok": r.ok,
                "objective": _num(r.objective),
                "runtime_s": _num(r.runtime_s),
                "wall_s": _num(r.wall_s),
                "skipped": r.skipped,
                "message": r.message,
            }
        )
        for k, v in flatten(r.kpis).items():
            row[f"kpi.{k}" if k in row else k] = v
        rows.append(row)
    return pd.DataFrame(rows)


def _num(x: Any) -> float:
    return float(x) if x is not None and math.isfinite(float(x)) else math.nan


def write_summary(
    out: Path, batch: Batch, frame: pd.DataFrame, *, meta: Mapping[str, Any]
) -> dict[str, Any]:
    """Write the batch summary files in ``out`` and return what was written (or why not).

    ``summary.csv``, ``summary.parquet`` (when pyarrow is installed), ``batch.json`` and the
    comparison chart, each written to a temporary file, then renamed.
    """
    written: dict[str, Any] = {}
    _atomic(out / SUMMARY_CSV, lambda p: frame.to_csv(p, index=False))
    written["csv"] = SUMMARY_CSV
    import importlib.util

    if importlib.util.find_spec("pyarrow") is not None:
        _atomic(out / SUMMARY_PARQUET, lambda p: _parquet(frame, p))
        written["parquet"] = SUMMARY_PARQUET
    else:
        written["parquet"] = None
        written["parquet_note"] = "pyarrow is not installed: no summary.parquet"
    kpi = chosen_kpi(frame, batch.report.get("kpi"))
    axes = chart_parameters(frame, batch.parameters, batch.report)
    if kpi is not None and frame["ok"].any():
        fig = comparison_chart(frame, kpi, axes, title=batch.name)
        _atomic(out / CHART, lambda p: fig.savefig(p, dpi=110, format="png"))
        written["chart"] = CHART
    info = {
        **meta,
        "name": batch.name,
        "manifest": str(batch.path),
        "parameters": list(batch.parameters),
        "kpi": kpi,
        "chart_parameters": axes,
        "files": written,
    }
    _atomic(
        out / BATCH_JSON,
        lambda p: Path(p).write_text(
            json.dumps(info, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        ),
    )
    return written


def _parquet(frame: pd.DataFrame, path: str) -> None:
    f = frame.copy()
    for c in f.columns:  # a parameter with numbers and text levels: text in parquet
        if f[c].dtype == object:
            f[c] = f[c].map(lambda v: None if v is None else str(v))
    f.to_parquet(path, index=False)


def _atomic(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(str(tmp))
    os.replace(tmp, path)


def chosen_kpi(frame: pd.DataFrame, asked: Any = None) -> str | None:
    """Pick the KPI to compare runs by: the one asked for, else the first default one with data."""
    if asked is not None and str(asked) in frame.columns:
        return str(asked)
    for k in DEFAULT_KPIS:
        if k in frame.columns and pd.to_numeric(frame[k], errors="coerce").notna().any():
            return k
    return None


def chart_parameters(
    frame: pd.DataFrame, params: Sequence[str], report: Mapping[str, Any]
) -> list[str]:
    """Pick the parameters the chart is drawn against.

    ``report.x``/``report.y``, or the first two swept parameters with more than one level.
    """
    chosen = [str(report[k]) for k in ("x", "y", "panels") if report.get(k)]
    if chosen:
        return [c for c in chosen if c in frame.columns]
    return [p for p in params if p in frame.columns and frame[p].nunique(dropna=False) > 1][:3]


def comparison_chart(frame: pd.DataFrame, kpi: str, axes: Sequence[str], *, title: str) -> Any:
    """Plot the KPI (mean over the other parameters) against the first swept parameter.

    One line per level of the second, one panel per level of the third.
    """
    ok = frame[frame["ok"]].copy()
    ok[kpi] = pd.to_numeric(ok[kpi], errors="coerce")
    if not axes:
        fig, ax = subplots(figsize=(8, 4.5))
        ax.barh(ok["name"].astype(str), ok[kpi])
        ax.set_xlabel(kpi)
        ax.set_title(title)
        fig.tight_layout()
        return fig
    x = axes[0]
    line = axes[1] if len(axes) > 1 else None
    panel = axes[2] if len(axes) > 2 else None
    panels = list(_levels(ok[panel])) if panel else [None]
    fig, axs = subplots(
        1, len(panels), figsize=(4.2 * len(panels) + 1.5, 4.5), sharey=True, squeeze=False
    )
    xs = list(_levels(ok[x]))
    for ax, pv in zip(axs[0], panels, strict=True):
        sub = ok if panel is None else ok[ok[panel] == pv]
        for lv in list(_levels(ok[line])) if line else [None]:
            cur = sub if line is None else sub[sub[line] == lv]
            means = cur.groupby(x, sort=False)[kpi].mean()
            ys = [means.get(v, math.nan) for v in xs]
            ax.plot(range(len(xs)), ys, marker="o", label=None if line is None else f"{lv}")
        ax.set_xticks(range(len(xs)), [_fmt(v) for v in xs], rotation=30)
        ax.set_xlabel(x)
        ax.grid(alpha=0.3)
        if panel is not None:
            ax.set_title(f"{panel} = {pv}")
    axs[0][0].set_ylabel(f"{kpi} (mean over the other parameters)")
    if line is not None:
        axs[0][-1].legend(title=line, fontsize=8, loc="best")
    fig.suptitle(f"{title}: {kpi}")
    fig.tight_layout()
    return fig


def _levels(col: pd.Series) -> list[Any]:
    vals = list(dict.fromkeys(col.tolist()))
    try:
        return sorted(vals)
    except TypeError:
        return vals


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int) and abs(v) >= 10000:
        return f"{v:,}".replace(",", " ")
    return str(v)


# ---------------------------------------------------------------------- report


def read_summary(out: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a batch folder's summary and meta (``batch.json``).

    Raises
    ------
    InputError
        No summary.csv: not a batch folder (or the batch has not finished one run).
    """
    from pks_opt.errors import InputError

    f = out / SUMMARY_CSV
    if not f.is_file():
        raise InputError(f"no {SUMMARY_CSV}: not a batch output folder", file=str(out))
    frame = pd.read_csv(f)
    try:
        meta = json.loads((out / BATCH_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    return frame, meta


def report_lines(
    frame: pd.DataFrame,
    meta: Mapping[str, Any],
    *,
    kpi: str | None = None,
    top: int = 5,
    maximize: bool = False,
) -> list[str]:
    """Report the runs: counts by status, the best and worst, each parameter's effect.

    The effect: the KPI's mean per level, the spread of those means and the share of the KPI's
    variance the parameter explains (between-level variance / total), largest first.
    """
    lines = []
    n = len(frame)
    counts = frame["status"].value_counts().to_dict()
    lines.append(f"{n} runs: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    failed = frame[~frame["ok"].astype(bool)]
    for _, r in failed.head(10).iterrows():
        msg = r.get("message")
        lines.append(
            f"  not solved: {r['name']} [{r['id']}] {r['status']}"
            + (f": {msg}" if isinstance(msg, str) and msg else "")
        )
    if len(failed) > 10:
        lines.append(f"  ... and {len(failed) - 10} more (see summary.csv)")
    kpi = kpi or meta.get("kpi") or chosen_kpi(frame)
    if kpi is None or kpi not in frame.columns:
        lines.append(f"no KPI '{kpi}' in the summary" if kpi else "no numeric KPI to compare")
        return lines
    ok = frame[frame["ok"].astype(bool)].copy()
    ok[kpi] = pd.to_numeric(ok[kpi], errors="coerce")
    ok = ok[ok[kpi].notna()]
    if ok.empty:
        lines.append(f"no solved run has {kpi}")
        return lines
    params = [p for p in meta.get("parameters") or [] if p in ok.columns]
    order = ok.sort_values(kpi, ascending=not maximize)
    better = "highest" if maximize else "lowest"
    lines.append(
        f"KPI {kpi} ({better} is best): mean {ok[kpi].mean():.6g}, "
        f"min {ok[kpi].min():.6g}, max {ok[kpi].max():.6g}"
    )
    for label, part in (("best", order.head(top)), ("worst", order.tail(top).iloc[::-1])):
        lines.append(f"{label} {len(part)}:")
        for _, r in part.iterrows():
            lines.append(f"  {r[kpi]:>14.6g}  {r['name']} [{r['id']}]")
    effects = parameter_effects(ok, kpi, params)
    if effects:
        lines.append(
            "parameters by effect on the KPI (spread of the level means; share of "
            "variance explained):"
        )
        for p, spread, share, means in effects:
            lvls = ", ".join(f"{_fmt(k)}: {v:.6g}" for k, v in means.items())
            lines.append(f"  {p}: spread {spread:.6g}, {share:.0%} of variance  [{lvls}]")
    return lines


def parameter_effects(
    ok: pd.DataFrame, kpi: str, params: Sequence[str]
) -> list[tuple[str, float, float, dict[Any, float]]]:
    """Per swept parameter: its share of the KPI's variance, its range and the mean per level."""
    total = float(((ok[kpi] - ok[kpi].mean()) ** 2).sum())
    out = []
    for p in params:
        if ok[p].nunique(dropna=False) < 2:
            continue
        g = ok.groupby(p, sort=True)[kpi]
        means = g.mean()
        between = float((g.count() * (means - ok[kpi].mean()) ** 2).sum())
        share = between / total if total > 0 else 0.0
        out.append(
            (p, float(means.max() - means.min()), share, {k: float(v) for k, v in means.items()})
        )
    return sorted(out, key=lambda t: -t[1])

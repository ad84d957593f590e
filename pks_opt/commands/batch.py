"""`pks batch` and `pks batch-report`: many runs from a manifest, resumable, in parallel.

In processes or on a Dask cluster (``docs/batch.md``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pks_opt.commands.common import one_line
from pks_opt.errors import InputError, OutputError
from pks_opt.result import EXIT_INTERRUPTED


@click.command()
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Batch folder: runs/<id>/ per run, summary.csv, summary.parquet, "
    "comparison.png. Rerun with the same folder to resume.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes (default: the number of cores; 1 runs in this "
    "process). Each solver gets one thread.",
)
@click.option(
    "--dask",
    "dask",
    metavar="ADDRESS",
    default=None,
    help="Submit the runs to a running Dask cluster (tcp://HOST:8786) instead.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print a machine-readable summary as JSON on stdout."
)
def batch(manifest: Path, out: Path, workers: int | None, dask: str | None, as_json: bool) -> None:
    """Run every run of a batch MANIFEST not yet complete in --out; write a summary and chart.

    A manifest's runs expand as runs × grid × seeds; the summary is summary.csv.

    Exit 0 when every run was solved, 1 when some run failed or found no solution (listed),
    2 for a bad manifest, 130 when interrupted (a rerun does what is left).
    """
    from pks_opt.batch.manifest import load_manifest
    from pks_opt.batch.runner import RunRecord, run_batch
    from pks_opt.batch.summary import summary_frame, write_summary

    if dask is not None and workers is not None:
        raise click.UsageError("--workers goes with local runs, not with --dask")
    try:
        spec = load_manifest(manifest)
        _check_out(out, manifest)
    except (InputError, OutputError) as exc:
        click.echo(one_line(f"error: {exc}"), err=True)
        sys.exit(2)
    n_workers = workers or os.cpu_count() or 1
    records: dict[str, RunRecord] = {}
    started = time.perf_counter()
    counts = {"skipped": 0, "done": 0, "failed": 0}
    progress, task = _progress(as_json)
    interrupted = False

    on_start, on_done = _callbacks(progress, task, counts)

    try:
        run_batch(
            spec,
            out,
            workers=n_workers,
            dask=dask,
            on_start=on_start,
            on_done=on_done,
            records=records,
        )
    except KeyboardInterrupt:
        interrupted = True
    except InputError as exc:
        progress.stop()
        click.echo(one_line(f"error: {exc}"), err=True)
        sys.exit(2)
    finally:
        progress.stop()
    elapsed = time.perf_counter() - started
    recs = [records[s.id] for s in spec.runs if s.id in records]
    mode = f"dask {dask}" if dask else f"{n_workers} process(es)"
    meta = _meta(len(spec.runs), recs, counts["skipped"], interrupted, elapsed, mode)
    written = write_summary(out, spec, summary_frame(spec, recs), meta=meta) if recs else {}
    failures = [
        {"id": r.id, "name": r.name, "status": r.status, "message": r.message}
        for r in recs
        if not r.ok
    ]
    if as_json:
        click.echo(
            json.dumps(
                {**meta, "out": str(out), "files": written, "failures": failures},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        _print_summary(meta, out, written, failures)
    if interrupted:
        click.echo(
            f"interrupted: {len(spec.runs) - len(recs)} runs left; rerun the same "
            "command to do them",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(0 if not failures and len(recs) == len(spec.runs) else 1)


def _meta(
    runs: int, recs: list[Any], skipped: int, interrupted: bool, elapsed: float, mode: str
) -> dict[str, Any]:
    """Count the batch's runs and speed (``batch.json``, ``--json``)."""
    ran = [r for r in recs if not r.skipped]
    return {
        "runs": runs,
        "finished": len(recs),
        "ran": len(ran),
        "skipped": skipped,
        "succeeded": sum(r.ok for r in recs),
        "failed": sum(not r.ok for r in recs),
        "interrupted": interrupted,
        "wall_s": round(elapsed, 2),
        "runs_per_minute": round(60 * len(ran) / elapsed, 1) if ran and elapsed else None,
        "mode": mode,
    }


def _print_summary(
    meta: dict[str, Any], out: Path, written: dict[str, Any], failures: list[dict[str, Any]]
) -> None:
    click.echo(
        f"{meta['succeeded']}/{meta['runs']} runs solved, {meta['failed']} not, "
        f"{meta['skipped']} complete from before; ran {meta['ran']} in "
        f"{meta['wall_s']:.1f} s ({meta['mode']})"
    )
    for f in failures:
        click.echo(
            f"  {f['status']}: {f['name']} [{f['id']}]"
            + (f": {f['message']}" if f["message"] else "")
        )
    if written:
        click.echo(
            f"summary: {out / 'summary.csv'}"
            + (f", chart: {out / written['chart']}" if written.get("chart") else "")
        )
        if written.get("parquet_note"):
            click.echo(f"note: {written['parquet_note']}")


def _callbacks(
    progress: Any, task: Any, counts: dict[str, int]
) -> tuple[Callable[[int, int], None], Callable[[Any], None]]:
    """Make the progress bar's start and per-run callbacks (a failed run is printed at once)."""

    def on_start(total: int, skipped: int) -> None:
        counts["skipped"] = skipped
        progress.update(task, total=total - skipped, failed=0, left=total - skipped)
        progress.start()

    def on_done(rec: Any) -> None:
        counts["done"] += 1
        counts["failed"] += 0 if rec.ok else 1
        progress.update(
            task, advance=1, failed=counts["failed"], left=progress.tasks[0].total - counts["done"]
        )
        if not rec.ok:
            progress.console.print(
                f"[red]{rec.status}[/red] {rec.name} [{rec.id}]"
                + (f": {rec.message}" if rec.message else "")
            )

    return on_start, on_done


def _check_out(out: Path, manifest: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(out, "it is a file, not a folder")
    if out.exists() and any(out.iterdir()) and not (out / "runs").is_dir():
        raise OutputError(out, "the folder holds something that is not a batch output")
    if manifest.resolve().parent == out.resolve():
        raise OutputError(out, "the batch folder may not be the manifest's folder")


def _progress(quiet: bool) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}  left {task.fields[left]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet and not console.is_terminal,
        transient=False,
    )
    task = progress.add_task("batch", total=None, failed=0, left=0)
    return progress, task


@click.command("batch-report")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--kpi", default=None, help="The KPI column to rank by (default: the batch's).")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many best and worst runs to print.",
)
@click.option("--maximize", is_flag=True, help="Higher KPI is better (default: lower).")
def batch_report(out: Path, kpi: str | None, top: int, maximize: bool) -> None:
    """Best and worst runs of a batch folder and the parameters that matter most."""
    from pks_opt.batch.summary import read_summary, report_lines

    try:
        frame, meta = read_summary(out)
    except InputError as exc:
        click.echo(one_line(f"error: {exc}"), err=True)
        sys.exit(2)
    for line in report_lines(frame, meta, kpi=kpi, top=top, maximize=maximize):
        click.echo(line)

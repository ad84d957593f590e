"""Running a batch: each run writes ``D/runs/<id>/`` (all or nothing), locally or on Dask.

Complete runs are skipped, failures are recorded and the rest go on; locally in processes
or on a Dask cluster.

:func:`execute` is the one function a worker calls (a process of the local pool, or a Dask
worker, which must have pks-opt installed). It never raises: a failure comes back as a record
with its status (``INPUT_ERROR``, ``ERROR``) and message, like a solved run.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import signal
import tarfile
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pks_opt.batch.manifest import Batch, RunSpec, spec_with_files
from pks_opt.errors import InputError

RUNS = "runs"
RESULT_FILE = "result.json"
#: statuses of runs that did not produce a result (nothing is written; rerun next time)
INPUT_ERROR = "INPUT_ERROR"
ERROR = "ERROR"
#: statuses that count as success
OK_STATUSES = frozenset({"OPTIMAL", "FEASIBLE"})


@dataclass
class RunRecord:
    """What one run came back with (also rebuilt from a complete run folder)."""

    id: str
    name: str
    status: str
    objective: float | None = None
    runtime_s: float | None = None
    wall_s: float | None = None
    kpis: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    skipped: bool = False  # complete from an earlier batch: not run again
    #: the run folder packed as a tar (a Dask worker's result, unpacked by the client)
    packed: bytes | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the run solved (``OPTIMAL`` or ``FEASIBLE``)."""
        return self.status in OK_STATUSES


# ---------------------------------------------------------------------- worker side

_INSTANCES: dict[str, Any] = {}  # per worker process: instance hash → Instance
_SHIPPED: dict[str, Path] = {}  # per worker process: instance hash → unpacked folder


def init_worker() -> None:
    """Set up a local worker process: Ctrl-C is the batch's to handle, one thread per solver."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def execute(spec: RunSpec, runs_dir: str | None) -> RunRecord:
    """Run ``spec`` and write its result; never raise.

    The result goes to ``runs_dir/<id>`` (``Result.write``: the folder appears whole or not at
    all), or with ``runs_dir`` None it is packed into the record (a worker on another machine).
    """
    t0 = time.perf_counter()
    rec = RunRecord(spec.id, spec.name, ERROR)
    try:
        if spec.error is not None:
            raise InputError(spec.error)
        result = _solve(spec)
        result.extra["batch"] = {
            "id": spec.id,
            "name": spec.name,
            "overrides": dict(spec.overrides),
            "seed": spec.seed,
        }
        rec.status = result.status.value
        rec.objective = result.objective if math.isfinite(result.objective) else None
        rec.runtime_s = result.runtime_s
        rec.kpis = dict(result.kpis)
        if not result.status.has_solution and result.explanation:
            rec.message = result.explanation[0]
        if runs_dir is not None:
            result.write(Path(runs_dir) / spec.id, charts=spec.charts)
        else:
            with tempfile.TemporaryDirectory(prefix="pks-batch-") as tmp:
                result.write(Path(tmp) / spec.id, charts=spec.charts)
                rec.packed = _pack(Path(tmp) / spec.id)
    except InputError as exc:
        rec.status, rec.message = INPUT_ERROR, str(exc)
    except Exception as exc:  # noqa: BLE001 - a crash of one run is recorded, the batch goes on
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({Path(last[0].filename).name}:{last[0].lineno})" if last else ""
        rec.status, rec.message = ERROR, f"{type(exc).__name__}: {exc}{where}"
    rec.wall_s = time.perf_counter() - t0
    return rec


def _solve(spec: RunSpec) -> Any:
    from pks_opt import api
    from pks_opt.scenario import Scenario, apply_scenario, scenario_errors

    inst = _instance(spec)
    if spec.scenarios:
        if inst.raw is None:
            raise InputError("scenarios do not apply to a benchmark file", file=spec.instance)
        variant = inst.raw
        for s in spec.scenarios:
            variant = apply_scenario(variant, Scenario(s.name, "", Path(s.label), s.changes))
        inst = api.Instance(inst.path, inst.kind, variant)
        with scenario_errors(variant):
            return getattr(api, spec.command)(inst, **spec.options)
    return getattr(api, spec.command)(inst, **spec.options)


def _instance(spec: RunSpec) -> Any:
    """Read the instance once per worker process (keyed by its content hash)."""
    from pks_opt import api

    key = spec.instance_hash
    if key not in _INSTANCES:
        path = Path(spec.instance)
        if spec.files is not None:
            path = _unpack_instance(spec)
        inst = api.read(path)
        if len(_INSTANCES) >= 16:  # a batch over many instances: keep memory bounded
            _INSTANCES.clear()
        _INSTANCES[key] = inst
    return _INSTANCES[key]


def _unpack_instance(spec: RunSpec) -> Path:
    if spec.instance_hash not in _SHIPPED:
        root = Path(tempfile.mkdtemp(prefix="pks-batch-instance-"))
        for rel, data in (spec.files or {}).items():
            f = root / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
        name = Path(spec.instance).name
        _SHIPPED[spec.instance_hash] = root / name if (root / name).is_file() else root
    return _SHIPPED[spec.instance_hash]


def _pack(folder: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(folder, arcname=".")
    return buf.getvalue()


def unpack(packed: bytes, out: Path) -> None:
    """Write a packed run folder to ``out`` whole: unpacked beside it, then renamed."""
    from pks_opt.report.output import replace_folder

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r") as tar:
            tar.extractall(tmp, filter="data")
        replace_folder(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------- resume


def complete_record(folder: Path, spec: RunSpec) -> RunRecord | None:
    """Rebuild the record of a complete run folder for ``spec``.

    From its result.json, every table and chart it lists, and its parts; None when the folder
    is missing, incomplete or another run's.
    """
    meta = folder / RESULT_FILE
    try:
        env = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(env, dict) or (env.get("batch") or {}).get("id") != spec.id:
        return None
    if not _files_present(folder, env):
        return None
    return RunRecord(
        spec.id,
        spec.name,
        str(env.get("status")),
        env.get("objective"),
        env.get("runtime_s"),
        None,
        dict(env.get("kpis") or {}),
        skipped=True,
    )


def _files_present(folder: Path, env: Mapping[str, Any]) -> bool:
    for group in ("tables", "charts"):
        for fname in (env.get(group) or {}).values():
            if not (folder / str(fname)).is_file():
                return False
    for part in env.get("parts") or []:
        try:
            sub = json.loads((folder / str(part) / RESULT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not _files_present(folder / str(part), sub):
            return False
    return True


def clean_stale(runs_dir: Path) -> int:
    """Remove the temporary folders a killed batch left (``.<id>.*`` beside the run folders)."""
    n = 0
    for p in runs_dir.glob(".*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            n += 1
    return n


# ---------------------------------------------------------------------- driving


Progress = Callable[[RunRecord], None]


def run_batch(
    batch: Batch,
    out: Path,
    *,
    workers: int = 1,
    dask: str | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Progress | None = None,
    records: dict[str, RunRecord] | None = None,
) -> list[RunRecord]:
    """Run every run of ``batch`` not yet complete in ``out``; records in manifest order.

    ``on_start(total, skipped)`` is called once the complete runs are known; ``on_done`` after
    each run that was executed. A KeyboardInterrupt stops the batch (runs in flight are
    abandoned: their folders are not written, a rerun does them); ``records`` (id → record),
    when given, is filled as runs finish, so the caller has them after an interrupt.
    """
    runs_dir = out / RUNS
    runs_dir.mkdir(parents=True, exist_ok=True)
    clean_stale(runs_dir)
    records = {} if records is None else records
    todo: list[RunSpec] = []
    for spec in batch.runs:
        done = complete_record(runs_dir / spec.id, spec)
        if done is not None:
            records[spec.id] = done
        else:
            todo.append(spec)
    if on_start is not None:
        on_start(len(batch.runs), len(records))

    def got(rec: RunRecord) -> None:
        if rec.packed is not None:
            unpack(rec.packed, runs_dir / rec.id)
            rec.packed = None
        records[rec.id] = rec
        if on_done is not None:
            on_done(rec)

    if dask is not None:
        _run_dask(todo, dask, got)
    elif workers <= 1:
        init_threads()
        for spec in todo:
            got(execute(spec, str(runs_dir)))
    else:
        _run_pool(todo, str(runs_dir), workers, got)
    return [records[s.id] for s in batch.runs]


def init_threads() -> None:
    """One thread per numerical library in a worker process (the pool gives the parallelism)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _run_pool(
    todo: Iterable[RunSpec], runs_dir: str, workers: int, got: Callable[[RunRecord], None]
) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = list(todo)
    ctx = mp.get_context("spawn")
    while pending:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker)
        futures: dict[Future[RunRecord], RunSpec] = {}
        broken = False
        try:
            futures = {pool.submit(execute, s, runs_dir): s for s in pending}
            pending = []
            left = set(futures)
            while left:
                finished, left = wait(left, return_when=FIRST_COMPLETED)
                for fut in finished:
                    spec = futures[fut]
                    try:
                        got(fut.result())
                    except BrokenProcessPool:
                        # a worker died (a crash in a solver, or killed): this run is
                        # recorded; the ones not started go to a new pool
                        broken = True
                        got(
                            RunRecord(
                                spec.id,
                                spec.name,
                                ERROR,
                                message="the worker process died (crash or killed)",
                            )
                        )
                if broken:
                    pending = [futures[f] for f in left if not f.running()]
                    for f in left:
                        if f.running():
                            s = futures[f]
                            got(
                                RunRecord(
                                    s.id,
                                    s.name,
                                    ERROR,
                                    message="the worker process died (crash or killed)",
                                )
                            )
                    break
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True, cancel_futures=True)


def _stop_pool(pool: Any) -> None:
    """Stop a process pool now: cancel what has not started, end the workers."""
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list(getattr(pool, "_processes", {}).values()):  # no public way to end them
        with contextlib.suppress(Exception):
            proc.terminate()


def _run_dask(todo: Iterable[RunSpec], address: str, got: Callable[[RunRecord], None]) -> None:
    from distributed import Client, as_completed

    specs = list(todo)
    if not specs:
        return
    try:
        client = Client(address, timeout=30)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler: {exc}", field="--dask") from None
    try:
        futures = {
            client.submit(
                execute,
                spec_with_files(s),
                None,
                key=f"pks-batch-{s.id}-{uuid.uuid4().hex[:8]}",
                pure=False,
                retries=0,
            ): s
            for s in specs
        }
        for fut in as_completed(list(futures)):  # type: ignore[no-untyped-call]
            spec = futures[fut]
            if fut.status == "finished":
                got(fut.result())
            else:  # a worker died (KilledWorker) or the task was lost
                err = fut.exception()
                got(
                    RunRecord(
                        spec.id,
                        spec.name,
                        ERROR,
                        message=f"{type(err).__name__}: {err} (on the Dask cluster)",
                    )
                )
    finally:
        client.close()  # type: ignore[no-untyped-call]

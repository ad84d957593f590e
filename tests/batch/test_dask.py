"""`pks batch --dask` on a real local cluster (`dask scheduler` + two `dask worker`
processes) gives the same runs and objectives as a local batch of the same manifest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.batch.conftest import batch_json

DASK = str(Path(sys.executable).parent / "dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                f"127.0.0.1:{_free_port()}",
                "--no-show",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        DASK,
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-dashboard",
                        "--local-directory",
                        str(tmp_path / "dask-worker"),
                    ],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def test_dask_cluster_matches_a_local_run(
    tmp_path: Path, small_manifest: Path, cluster: str
) -> None:
    local, remote = tmp_path / "local", tmp_path / "dask"
    code, info = batch_json(str(small_manifest), "--out", str(local), "--workers", "1")
    assert code == 0 and info["ran"] == 4
    code, info = batch_json(str(small_manifest), "--out", str(remote), "--dask", cluster)
    assert code == 0, info
    assert (info["ran"], info["succeeded"], info["mode"]) == (4, 4, f"dask {cluster}")
    a = pd.read_csv(local / "summary.csv").set_index("id").sort_index()
    b = pd.read_csv(remote / "summary.csv").set_index("id").sort_index()
    assert list(a.index) == list(b.index)
    assert (a["status"] == "OPTIMAL").all() and (b["status"] == "OPTIMAL").all()
    pd.testing.assert_series_equal(a["objective"], b["objective"], rtol=1e-9)
    pd.testing.assert_series_equal(a["unmet_activities"], b["unmet_activities"], rtol=1e-6)
    # the workers' folders came back whole: the same files as the local run's
    for rid in a.index:
        assert sorted(p.name for p in (local / "runs" / rid).iterdir()) == sorted(
            p.name for p in (remote / "runs" / rid).iterdir()
        )
    # resumable through the cluster too
    code, info = batch_json(str(small_manifest), "--out", str(remote), "--dask", cluster)
    assert (code, info["ran"], info["skipped"]) == (0, 0, 4)

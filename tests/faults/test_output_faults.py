"""Output locations that cannot be written: one line ``error: cannot write to OUT: ...``,
exit code 2, and nothing partial left behind (issue 24, part 1).

The tests run as root, where ``chmod 0o555`` does not stop a write; the read-only cases use
what stops root too: an immutable folder (``chattr +i``), sysfs, a path under /proc/self,
a parent that is a file, a name too long, and (monkeypatched, in-process) a read-only file
system and a full disk at the moment of writing.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path

NEED = str(instance_path("seed-inpatient"))


def _run(out: str | Path, *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["need", NEED, "--out", str(out), *extra])
    return res.exit_code, res.output


def _one_error_line(code: int, output: str, out: str | Path) -> None:
    lines = output.strip().splitlines()
    assert code == 2, output
    assert lines == [lines[0]] and lines[0].startswith(f"error: cannot write to {out}: "), output


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    before = _listing(tmp_path)
    out = tmp_path / "afile" / "out"
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert "afile is a file, not a folder" in output
    assert _listing(tmp_path) == before


def test_parent_is_a_file_deeper(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "a" / "b"
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert _listing(tmp_path) == {"afile"}


def test_path_that_cannot_be_created() -> None:
    out = "/proc/self/pks-no-such/out"
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert "no such file or directory" in output


def test_read_only_sysfs() -> None:
    out = "/sys/pks-out"
    if os.access("/sys", os.W_OK) and not Path("/sys/fs").is_dir():
        pytest.skip("no sysfs here")
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert not Path(out).exists()


def test_name_too_long(tmp_path: Path) -> None:
    out = tmp_path / ("n" * 300)
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert "file name too long" in output
    assert _listing(tmp_path) == set()


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """An empty folder that even root cannot write into (``chattr +i``)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode
    ):
        pytest.skip("chattr +i is not available on this file system")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_read_only_folder(immutable: Path) -> None:
    out = immutable / "out"
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert _listing(immutable) == set()


def test_out_is_the_read_only_folder_itself(immutable: Path) -> None:
    code, output = _run(immutable)
    _one_error_line(code, output, immutable)
    assert immutable.is_dir() and _listing(immutable) == set()
    assert _listing(immutable.parent) == {"ro"}


def test_read_only_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file system turns read-only (EROFS) when the output folder is made."""
    import tempfile

    def erofs(*_a: object, **_k: object) -> str:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkdtemp", erofs)
    out = tmp_path / "out"
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert "read-only file system" in output
    assert _listing(tmp_path) == set()


def test_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up half-way through the tables (ENOSPC after some bytes are written)."""
    import pandas as pd

    real = pd.DataFrame.to_csv
    calls = {"n": 0}

    def fill_up(self: pd.DataFrame, path: object = None, *a: object, **k: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            Path(str(path)).write_text("partial")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(pd.DataFrame, "to_csv", fill_up)
    out = tmp_path / "out"
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert "no space left on device" in output
    assert calls["n"] == 2 and _listing(tmp_path) == set()


def test_cycle_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "out"
    res = CliRunner().invoke(main, ["cycle", str(instance_path("region-cycle")), "--out", str(out)])
    _one_error_line(res.exit_code, res.output, out)
    assert _listing(tmp_path) == {"afile"}


def test_existing_result_folder_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(out)[0] == 0
    (out / "stale.csv").write_text("from an earlier run")
    code, output = _run(out)
    assert code == 0, output
    assert not (out / "stale.csv").exists() and (out / "result.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_folder_that_is_not_a_result_is_not_deleted(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work")
    code, output = _run(out)
    _one_error_line(code, output, out)
    assert "not a pks result folder" in output
    assert _listing(tmp_path) == {"mine", "mine/notes.txt"}

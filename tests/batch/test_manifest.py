"""The batch manifest: expansion of runs x grid x seeds, stable content ids, one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pks_opt.batch.manifest import load_manifest
from pks_opt.errors import InputError
from tests.batch.conftest import REGION, pks


def test_grid_expands_into_the_product_with_overrides(small_manifest: Path) -> None:
    batch = load_manifest(small_manifest)
    assert len(batch.runs) == 4
    assert batch.parameters == ("budget", "demand")
    assert {(r.overrides["budget"], r.overrides["demand"]) for r in batch.runs} == {
        (-2000000, 0),
        (-2000000, 10),
        (4000000, 0),
        (4000000, 10),
    }
    run = next(r for r in batch.runs if r.overrides == {"budget": 4000000, "demand": 10})
    assert [dict(c) for s in run.scenarios for c in s.changes] == [
        {"shortcut": "budget_change", "unit": "TOTAL", "delta": 4000000},
        {"shortcut": "demand_pct", "pct": 10},
    ]
    assert run.options["threads"] == 1  # one solver thread per run
    assert len({r.id for r in batch.runs}) == 4


def test_shipped_sweep_has_at_least_100_scenarios() -> None:
    batch = load_manifest(REGION / "sweep.yaml")
    assert len(batch.runs) >= 100
    assert batch.parameters == ("budget_change_sek", "demand_growth_pct", "contract")


def test_id_is_the_content_not_the_names(tmp_path: Path, small_manifest: Path) -> None:
    ids = [r.id for r in load_manifest(small_manifest).runs]
    # the same instance under another name, the manifest elsewhere: the same ids
    copy = tmp_path / "renamed-region"
    shutil.copytree(REGION, copy)
    other = tmp_path / "sub" / "renamed.yaml"
    other.parent.mkdir()
    other.write_text(small_manifest.read_text().replace(str(REGION), str(copy)))
    assert [r.id for r in load_manifest(other).runs] == ids
    # one changed byte of a table: every run on it is a new run
    budgets = copy / "budgets.csv"
    budgets.write_text(budgets.read_text().replace("150400000.0", "150400001.0"))
    assert not set(r.id for r in load_manifest(other).runs) & set(ids)
    # an option changes the id
    third = tmp_path / "third.yaml"
    third.write_text(small_manifest.read_text().replace("time_limit: 30", "time_limit: 31"))
    assert not set(r.id for r in load_manifest(third).runs) & set(ids)


def test_seeds_repeat_runs_that_take_one(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text("runs:\n  - {command: roster, instance: x, seeds: [1, 2, 3]}\n")
    batch = load_manifest(m)
    assert [r.seed for r in batch.runs] == [1, 2, 3]
    assert [r.options["seed"] for r in batch.runs] == [1, 2, 3]
    assert all(r.error for r in batch.runs)  # x does not exist: recorded, not raised
    m.write_text(f"runs:\n  - {{command: balance, instance: {REGION}, seeds: [1, 2]}}\n")
    with pytest.raises(InputError, match="takes no seed"):
        load_manifest(m)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (
            "runs:\n  - {command: balance, instance: ., optoins: {}}\n",
            "runs.0.optoins",
            "unknown key",
        ),
        ("runs:\n  - {command: balence, instance: .}\n", "runs.0.command", "Input should be"),
        (
            "runs:\n  - {command: balance, instance: ., options: {time_limt: 3}}\n",
            "runs.0.options.time_limt",
            "takes no option",
        ),
        ("runs:\n  - {command: balance}\n", "runs.0.instance", "missing instance"),
        (
            "runs:\n  - {command: balance, instance: ., scenarios: [nope.yaml]}\n",
            "runs.0.scenarios.0",
            "no such scenario file",
        ),
        (
            "defaults: {command: balance, instance: .}\ngrid:\n  b: {values: [1, 2]}\n",
            "grid.b",
            "changes",
        ),
        (
            "defaults: {command: balance, instance: .}\ngrid:\n  b:\n    values: [1]\n"
            "    changes: [{table: budgets, scale: {budget: $value}, add: {budget: 1}}]\n",
            None,
            "give exactly one of",
        ),
    ],
)
def test_bad_manifest_is_one_line_naming_file_and_field(
    tmp_path: Path, text: str, field: str | None, message: str
) -> None:
    m = tmp_path / "bad.yaml"
    m.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        load_manifest(m)
    if field is not None:
        assert err.value.field == field
    assert str(m) in str(err.value)


def test_bad_manifest_exits_2(tmp_path: Path) -> None:
    m = tmp_path / "bad.yaml"
    m.write_text("runs:\n  - {command: balance, instance: ., optoins: {}}\n")
    p = pks("batch", str(m), "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"error: {m}, field 'runs.0.optoins': unknown key"]
    assert not (tmp_path / "out").exists()

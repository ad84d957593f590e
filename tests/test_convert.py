"""`pks convert`: every shipped instance goes folder → workbook → folder with nothing lost
(the same tables, cell for cell, and the same validated data at its level)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pks_opt.commands import main
from pks_opt.instances import instance_path
from pks_opt.io import read_raw

SHIPPED = sorted(p.parent for p in instance_path("").rglob("instance.yaml"))


def _validated(path: Path) -> Any:
    """The instance as its level validates it (frozen pydantic data, compared with ==)."""
    raw = read_raw(path)
    kind = raw.kind
    if kind == "strategic":
        from pks_opt.balancing import read_balancing
        from pks_opt.capacity_need import read_need

        return (read_need(raw), read_balancing(raw).figures)
    if kind == "tactical":
        from pks_opt.production_plan.data import read_plan

        return read_plan(path)
    if kind == "activity_matrix":
        from pks_opt.activity_matrix.data import read_matrix

        return read_matrix(path)
    if kind == "roster":
        from pks_opt.rostering import read_roster

        return read_roster(path)
    if kind == "history":
        from pks_opt.forecasting import read_history

        return read_history(path)
    if kind == "actuals":
        from pks_opt.followup import read_actuals
        from pks_opt.followup.roster import read_shift_actuals

        if not raw.has("production"):  # a roster's follow-up needs only shifts.csv
            return read_shift_actuals(path)[0]
        a = read_actuals(path)
        return (a.production, a.capacity, a.shifts)
    raise AssertionError(f"no reader for kind {kind}")


def _cells(path: Path) -> dict[str, tuple[tuple[str, ...], list[list[str]]]]:
    raw = read_raw(path)
    return {
        name: (t.columns, [[str(r.get(c)) for c in t.columns] for r in t.rows])
        for name, t in raw.tables.items()
    }


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: str(p.relative_to(instance_path(""))))
def test_folder_to_workbook_to_folder_loses_nothing(folder: Path, tmp_path: Path) -> None:
    book, back = tmp_path / "i.xlsx", tmp_path / "back"
    for src, dst in ((folder, book), (book, back)):
        res = CliRunner().invoke(main, ["convert", str(src), str(dst)])
        assert res.exit_code == 0, res.output
    assert (back / "instance.yaml").is_file()
    assert _cells(back) == _cells(folder)
    assert read_raw(back).manifest == {
        k: v for k, v in read_raw(folder).manifest.items() if k != "tables"
    }
    assert _same(_validated(back), _validated(folder))
    assert _same(_validated(book), _validated(folder))


def _same(a: Any, b: Any) -> bool:
    """Equal data; where a level keeps a cell's location for later messages (``demand.csv
    row 2`` against ``i.xlsx[demand] row 2``), the table is compared, not the file."""
    if a == b:
        return True
    where = re.compile(r"[^\s'\"]*(?:/([\w-]+)\.csv|\.xlsx\[([\w-]+)\]) row")
    return where.sub(r"\1\2 row", repr(a)) == where.sub(r"\1\2 row", repr(b))


def test_number_cells_and_text_ids(tmp_path: Path) -> None:
    # '12' and '0.25' become number cells; '007', 'NA', '1.50' and '1001' (a number, but
    # read back as text by an id field) keep their text.
    import openpyxl  # type: ignore[import-untyped]

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "instance.yaml").write_text("kind: roster\nname: t\nparameters:\n  weeks: 1\n")
    (folder / "t.csv").write_text("id,a,b\n007,12,0.25\nNA,1.50,1001\n")
    CliRunner().invoke(main, ["convert", str(folder), str(tmp_path / "t.xlsx")])
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    assert [c.value for c in ws[2]] == ["007", 12, 0.25]
    assert [c.value for c in ws[3]] == ["NA", "1.50", 1001]
    params = {
        r[0].value: r[1].value
        for r in openpyxl.load_workbook(tmp_path / "t.xlsx")["instance"].iter_rows(min_row=2)
    }
    assert params == {"kind": "roster", "name": "t", "parameters.weeks": 1}


def test_existing_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_text("")
    res = CliRunner().invoke(
        main, ["convert", str(instance_path("clinic-plan")), str(tmp_path / "x.xlsx")]
    )
    assert res.exit_code == 2 and "exists already" in res.output

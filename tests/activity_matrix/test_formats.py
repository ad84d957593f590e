"""The same instance as a folder and as an .xlsx workbook gives the same matrix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pks_opt.activity_matrix import read_matrix, solve_matrices
from pks_opt.instances import instance_path


def _to_workbook(folder: Path, target: Path) -> Path:
    manifest = yaml.safe_load((folder / "instance.yaml").read_text())
    rows = [("kind", manifest["kind"]), ("name", manifest["name"])]
    rows += [
        (f"parameters.{k}", yaml.safe_dump(v, default_flow_style=True).strip())
        for k, v in manifest["parameters"].items()
    ]
    with pd.ExcelWriter(target, engine="openpyxl") as xl:
        pd.DataFrame(rows, columns=["key", "value"]).to_excel(
            xl, sheet_name="instance", index=False
        )
        for csv in sorted(folder.glob("*.csv")):
            pd.read_csv(csv, dtype=str, keep_default_na=False).to_excel(
                xl, sheet_name=csv.stem, index=False
            )
    return target


def test_folder_and_workbook_round_trip(tmp_path: Path) -> None:
    folder = instance_path("clinic-matrix")
    book = _to_workbook(folder, tmp_path / "clinic.xlsx")
    a, b = read_matrix(folder), read_matrix(book)
    assert a.model_dump(exclude={"name"}) == b.model_dump(exclude={"name"})
    ra = solve_matrices([a], time_limit_s=10)
    rb = solve_matrices([b], time_limit_s=10)
    assert ra.tables["room_grid"].equals(rb.tables["room_grid"])

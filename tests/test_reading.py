"""The reading layer never guesses (pks_opt.io): Swedish Excel CSV, encodings, cut files,
.xlsx cell kinds, ids as text, YAML safety, paths and special files, size limits.

Every file is written byte for byte as the program that makes it writes it (Swedish Excel:
Windows-1252, CRLF, semicolons, decimal comma).
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from need.tiny import write_folder  # tests/ is on sys.path (rootdir-relative import)
from pydantic import Field

from pks_opt import io as pio
from pks_opt.commands import main
from pks_opt.errors import InputError
from pks_opt.instances import instance_path
from pks_opt.io import Row, Table, load_yaml, parse_rows, read_raw, read_result_csv
from pks_opt.scenario import load_scenario

SEED = instance_path("seed-inpatient")


def _table(tmp_path: Path, data: bytes, name: str = "t") -> Table:
    folder = tmp_path / "inst"
    folder.mkdir(exist_ok=True)
    (folder / "instance.yaml").write_text("kind: strategic\n")
    (folder / f"{name}.csv").write_bytes(data)
    return read_raw(folder).table(name)


def _refused(tmp_path: Path, data: bytes) -> str:
    with pytest.raises(InputError) as exc:
        _table(tmp_path, data)
    return str(exc.value)


# --------------------------------------------------------------------------- Swedish Excel CSV


def test_swedish_excel_csv_cp1252_crlf(tmp_path: Path) -> None:
    data = "enhet;namn;andel\r\nKIR;Kirurgi på Årsta;0,25\r\nORT;Ortopedi Övre;-1,5\r\n"
    t = _table(tmp_path, data.encode("cp1252"))
    assert t.columns == ("enhet", "namn", "andel")
    assert t.rows == (
        {"enhet": "KIR", "namn": "Kirurgi på Årsta", "andel": "0.25"},
        {"enhet": "ORT", "namn": "Ortopedi Övre", "andel": "-1.5"},
    )
    assert t.row_numbers == (2, 3)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_swedish_excel_csv_utf8_with_and_without_bom(tmp_path: Path, bom: bytes) -> None:
    data = bom + "enhet;namn;andel\r\nKIR;Kärl;0,5\r\n".encode()
    t = _table(tmp_path, data)
    assert t.columns[0] == "enhet"  # the BOM is not part of the first column's name
    assert t.rows == ({"enhet": "KIR", "namn": "Kärl", "andel": "0.5"},)


def test_swedish_thousands_grouping_and_booleans(tmp_path: Path) -> None:
    data = (
        "a;b;c;d\r\n"
        "40\xa0000;1 234,5;SANT;08 123 456\r\n"  # nbsp (cp1252 0xA0) and space grouping
        "123 45;12,5 %;FALSKT;1.5\r\n"  # a postcode and a percentage are not numbers here
    ).encode("cp1252")
    rows = _table(tmp_path, data).rows
    assert rows[0] == {"a": "40000", "b": "1234.5", "c": "TRUE", "d": "08 123 456"}
    assert rows[1] == {"a": "123 45", "b": "12,5 %", "c": "FALSE", "d": "1.5"}


def test_comma_csv_keeps_a_quoted_decimal_comma_as_text(tmp_path: Path) -> None:
    # In a comma-separated file "0,25" is ambiguous (English 1,234 is 1234): it stays text and
    # a numeric column refuses it. (The '#a;b' notes column keeps its ';' inside quotes.)
    t = _table(tmp_path, b'unit,"#a;b",fte\nKIR,x,"0,25"\n')
    assert t.columns == ("unit", "#a;b", "fte")
    assert t.rows[0]["fte"] == "0,25"

    class R(Row):
        unit: str
        fte: float

    with pytest.raises(InputError, match=r"t\.csv row 2, field 'fte'"):
        parse_rows(t, R)


def _to_swedish_excel(src: Path, dst: Path) -> None:
    """Re-save an instance folder as Swedish Excel does: every CSV with ';', decimal comma,
    Windows-1252 and CRLF (numbers as written, decimals with a comma)."""
    shutil.copytree(src, dst)
    for csv in dst.glob("*.csv"):
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        lines = [";".join(df.columns)]
        for rec in df.itertuples(index=False):
            cells = [
                v.replace(".", ",") if pd.api.types.is_number(_num(v)) and "." in v else v
                for v in rec
            ]
            assert not any(";" in c for c in cells)
            lines.append(";".join(cells))
        csv.write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")


def _num(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def test_seed_inpatient_as_swedish_excel_csv_gives_the_same_need(tmp_path: Path) -> None:
    swedish = tmp_path / "seed-sv"
    _to_swedish_excel(SEED, swedish)
    raw = (swedish / "inpatient.csv").read_bytes()
    assert b";3,5;0,95\r\n" in raw and b"\r\n" in raw  # really converted
    assert "vårdplatser".encode("cp1252") in (swedish / "resources.csv").read_bytes()
    for src, out in ((SEED, tmp_path / "o1"), (swedish, tmp_path / "o2")):
        res = CliRunner().invoke(
            main, ["need", str(src), "--scenario", str(SEED / "round2.yaml"), "--out", str(out)]
        )
        assert res.exit_code == 0, res.output
    e1 = json.loads((tmp_path / "o1" / "result.json").read_text())
    e2 = json.loads((tmp_path / "o2" / "result.json").read_text())
    # round 2: 24 planned beds (24.22 needed) × 365 bed-days against 20 staffed beds × 365
    gap = "total_positive_gap"
    assert e1["kpis"][gap] == e2["kpis"][gap] == pytest.approx(4 * 365)
    assert e1["kpis"] == e2["kpis"]
    assert e1["tables"] == e2["tables"]
    for name in e1["tables"]:
        f = tmp_path / "o1" / e1["tables"][name]
        if f.suffix == ".csv":
            pd.testing.assert_frame_equal(
                pd.read_csv(f), pd.read_csv(tmp_path / "o2" / e2["tables"][name])
            )


def test_result_csv_saved_by_swedish_excel_is_read_as_written(tmp_path: Path) -> None:
    # A result table in the Swedish dialect (--csv-dialect sv, or re-saved by Swedish Excel,
    # cp1252 aside): ';', decimal comma, CRLF; a thousands space is a number, not text.
    f = tmp_path / "feedback.csv"
    f.write_bytes(b"unit;planning_object;volume\r\nKIR;op;1,5\r\nORT;hip;1 234,5\r\n")
    df = read_result_csv(f, ["unit"], missing="no feedback")
    assert df["volume"].tolist() == ["1.5", "1234.5"]
    assert read_result_csv(f, ["unit"], missing="x", text=False)["volume"].tolist()[0] == 1.5
    f.write_bytes(b"unit,volume\nKIR,1.5\n")
    assert read_result_csv(f, ["unit"], missing="x")["volume"].tolist() == ["1.5"]


# --------------------------------------------------------------------------- encodings


def test_latin1_instance_yaml_and_scenario_are_read(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    manifest = (folder / "instance.yaml").read_text().replace("name: tiny", "name: Södra Älvsborg")
    (folder / "instance.yaml").write_bytes(manifest.encode("latin-1"))
    assert read_raw(folder).name == "Södra Älvsborg"
    scen = tmp_path / "å.yaml"
    scen.write_bytes(
        "name: Förändring\nchanges:\n  - parameters: {acute_share: 0.9}\n".encode("cp1252")
    )
    assert load_scenario(scen).name == "Förändring"


def test_utf8_bom_yaml_is_read(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_bytes(b"\xef\xbb\xbfname: \xc3\xa5\n")
    assert load_yaml(f) == {"name": "å"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # 0x81 is undefined in Windows-1252: neither encoding
        (b"unit,name\nKIR,a\x81b\n", "neither UTF-8 nor Windows-1252 text (byte 0x81 on line 2)"),
        # UTF-8 å on line 2, Windows-1252 ö on line 3: mixed, decoding either way garbles
        (b"unit,name\nKIR,\xc3\xa5\nORT,\xf6\n", "mixes UTF-8 and Windows-1252 text (line 3"),
        ("unit,name\nKIR,a\n".encode("utf-16"), "not a text file (line 1 holds a NUL byte"),
        (b"\xef\xbb\xbfunit,name\nKIR,\xf6\n", "starts as UTF-8 but line 2 is not UTF-8"),
    ],
)
def test_undecodable_text_is_refused_with_how_to_save(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    msg = _refused(tmp_path, data)
    assert "t.csv: " + expected in msg
    assert msg.endswith(
        "save it as UTF-8 (CSV UTF-8) or as Swedish Excel CSV (semicolon-separated)"
    )


# --------------------------------------------------------------------------- cut files


def test_fewer_fields_than_the_header_is_an_error_naming_the_row(tmp_path: Path) -> None:
    msg = _refused(
        tmp_path,
        b"id,competences,employment_rate,nights_allowed\nn08,nurse,1,true\nn09,nurse,0.8\n",
    )
    assert msg == (
        f"{tmp_path / 'inst' / 't.csv'} row 3: malformed CSV: 3 field(s), the header has 4:"
        " a field is missing (a blank cell still needs its ',')"
    )
    # a blank cell written with its separator is fine
    t = _table(tmp_path, b"id,rate,x\nn09,,\n")
    assert t.rows == ({"id": "n09", "rate": None, "x": None},)


def test_last_row_without_line_break_is_an_error(tmp_path: Path) -> None:
    msg = _refused(tmp_path, b"unit,share\nKIR,0.5\nORT,0.2")  # cut inside 0.25?
    assert msg.endswith(
        "t.csv row 3: the file ends inside row 3 without a line break: it may be cut;"
        " if the row is complete, end the file with a line break"
    )
    assert "row 2:" in _refused(tmp_path, "enhet;andel\r\nKIR;0,2".encode("cp1252"))
    # header only, no line break: also cut (row 1)
    assert "row 1: the file ends inside row 1" in _refused(tmp_path, b"unit,sha")


def test_blank_rows_are_skipped_and_trailing_blanks_need_no_line_break(tmp_path: Path) -> None:
    t = _table(tmp_path, b"unit,share\n\nKIR,0.5\n , \nORT,0.25\n  ")
    assert [r["unit"] for r in t.rows] == ["KIR", "ORT"]
    assert t.row_numbers == (3, 5)
    t = _table(tmp_path, b"unit,share\r\nKIR,0.5\r")  # a CR alone also ends the row
    assert t.rows == ({"unit": "KIR", "share": "0.5"},)


def test_every_shipped_csv_ends_with_a_line_break() -> None:
    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("instances/**/*.csv"), *root.glob("tests/**/*.csv")]
    assert files
    bad = [str(f) for f in files if f.stat().st_size and not f.read_bytes().endswith(b"\n")]
    assert bad == []


def test_cut_file_through_the_cli_exit_2_one_line_nothing_written(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    units = folder / "units.csv"
    units.write_bytes(units.read_bytes().rstrip(b"\n"))  # "...\nIMG,Imaging," cut
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["need", str(folder), "--out", str(out)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1
    assert f"{units} row 3: the file ends inside row 3 without a line break" in lines[0]
    assert not out.exists()


# --------------------------------------------------------------------------- .xlsx cells


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _patch_sheet(book: Path, index: int, old: str, new: str) -> None:
    """Edit a sheet's XML (to store what openpyxl cannot write: a formula's cached value)."""
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = f"xl/worksheets/sheet{index}.xml"
    xml = parts[name].decode()
    assert old in xml
    parts[name] = xml.replace(old, new).encode()
    with zipfile.ZipFile(book, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def _book_error(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        read_raw(path)
    return str(exc.value)


def test_xlsx_formula_without_stored_value_names_the_cell(tmp_path: Path) -> None:
    book = _book(
        tmp_path / "b.xlsx",
        {"instance": [["key", "value"], ["kind", "roster"]],
         "staff": [["id", "competences", "rate"], *[[f"n{i}", "RN", 1] for i in range(3)],
                   ["n9", "RN", "=1/4"]]},
    )  # fmt: skip
    assert _book_error(book) == (
        f"{book}[staff] row 5, field 'rate': cell staff!C5 holds a formula without a stored value:"
        " open and save the workbook in Excel so the values are stored"
    )
    # the same formula with the value Excel stores is read as that value
    _patch_sheet(book, 2, "<f>1/4</f><v />", "<f>1/4</f><v>0.25</v>")
    assert read_raw(book).table("staff").rows[-1] == {"id": "n9", "competences": "RN", "rate": 0.25}


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!"])
def test_xlsx_error_cells_are_refused(tmp_path: Path, error: str) -> None:
    book = _book(tmp_path / "b.xlsx", {"staff": [["id", "rate"], ["n1", error]]})
    assert _book_error(book) == (
        f"{book}[staff] row 2, field 'rate': cell staff!B2 holds the error {error}:"
        " correct the formula or the cells it uses"
    )


def test_xlsx_infinite_number_is_refused(tmp_path: Path) -> None:
    book = _book(tmp_path / "b.xlsx", {"staff": [["id", "rate"], ["n1", 2]]})
    _patch_sheet(book, 1, '<c r="B2" t="n"><v>2</v>', '<c r="B2" t="n"><v>1e999</v>')
    assert (
        _book_error(book)
        == f"{book}[staff] row 2, field 'rate': cell staff!B2 holds inf, not a number"
    )


class _Staff(Row):
    id: str
    rate: float = Field(default=1.0, gt=0, le=1)
    weeks: int | None = None
    nights_allowed: bool = True
    start: str | None = None
    day: date | None = None


@pytest.mark.filterwarnings("ignore:.*not used")
def test_xlsx_cell_kinds(tmp_path: Path) -> None:
    book = _book(
        tmp_path / "b.xlsx",
        {"staff": [
            ["id", "rate", "nights_allowed", "start", "day", "note"],
            [1001, 0.5, False, dtime(7, 30), datetime(2027, 3, 1), datetime(2027, 3, 1, 7, 30)],
            [1002.0, 1, True, dtime(21, 0, 15), date(2027, 2, 28), "  text  "],
            [None, None, None, None, None, None],  # blank row: skipped
            ["007", 1, None, None, None, None],
        ]},
    )  # fmt: skip
    t = read_raw(book).table("staff")
    assert t.rows[0] == {"id": 1001, "rate": 0.5, "nights_allowed": "FALSE", "start": "07:30",
                         "day": "2027-03-01", "note": "2027-03-01T07:30"}  # fmt: skip
    assert t.rows[1]["id"] == 1002 and t.rows[1]["start"] == "21:00:15"
    assert t.rows[1]["note"] == "text"
    assert t.row_numbers == (2, 3, 5)
    rows = parse_rows(t, _Staff)
    assert [r.id for r in rows] == ["1001", "1002", "007"]  # ids are text, as written
    assert [r.nights_allowed for r in rows] == [False, True, True]
    assert rows[0].day == date(2027, 3, 1) and rows[0].start == "07:30"


def test_xlsx_boolean_in_a_numeric_column_is_refused(tmp_path: Path) -> None:
    book = _book(tmp_path / "b.xlsx", {"staff": [["id", "rate"], ["n1", 1], ["n2", True]]})
    with pytest.raises(InputError) as exc:
        parse_rows(read_raw(book).table("staff"), _Staff)
    assert str(exc.value).startswith(
        f"{book}[staff] row 3, field 'rate': cell staff!B3: Input should be a valid"
    )
    # a true/false value reaching a numeric field any other way (a scenario's set:) is refused
    t = Table("staff", "staff.csv", ("id", "weeks"), ({"id": "n1", "weeks": True},))
    with pytest.raises(InputError, match=r"row 2, field 'weeks': must be a number, not a true"):
        parse_rows(t, _Staff)


def test_xlsx_column_without_header(tmp_path: Path) -> None:
    book = _book(tmp_path / "b.xlsx", {"staff": [["id", None, None], ["n1", None, None],
                                                 ["n2", None, 5]]})  # fmt: skip
    assert _book_error(book) == (
        f"{book}[staff] row 1: a column has no header (column C, used on row 3)"
    )
    book = _book(tmp_path / "c.xlsx", {"staff": [["id", None], ["n1", None]]})
    assert read_raw(book).table("staff").columns == ("id",)  # an empty column is dropped


def test_xlsx_manifest_sheet_values(tmp_path: Path) -> None:
    book = _book(
        tmp_path / "b.xlsx",
        {"instance": [["key", "value"], ["kind", "roster"], ["parameters.start_date",
                      datetime(2027, 3, 1)], ["parameters.weeks", 4], ["parameters.list", "[a, b]"],
                      ["parameters.flag", True], ["parameters.at", dtime(7, 0)]]},
    )  # fmt: skip
    params = read_raw(book).parameters
    assert params == {"start_date": "2027-03-01", "weeks": 4, "list": ["a", "b"], "flag": True,
                      "at": "07:00"}  # fmt: skip


def test_xlsx_formula_through_the_cli_exit_2_nothing_written(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    sheets: dict[str, list[list[object]]] = {
        "instance": [["key", "value"], ["kind", "strategic"], ["name", "tiny"],
                     ["parameters.days_per_year", 364], ["parameters.acute_share", 0.85]],
    }  # fmt: skip
    for csv in sorted(folder.glob("*.csv")):
        df = pd.read_csv(csv).astype(object)
        sheets[csv.stem] = [list(df.columns)] + [
            [None if pd.isna(v) else v for v in rec] for rec in df.itertuples(index=False)
        ]
    sheets["staff"][2][3] = "=0.25*2"  # IMG's fte
    book = _book(tmp_path / "tiny.xlsx", sheets)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["need", str(book), "--out", str(out)])
    assert res.exit_code == 2
    assert res.output.strip() == (
        f"error: {book}[staff] row 3, field 'fte': cell staff!D3 holds a formula without a stored"
        " value: open and save the workbook in Excel so the values are stored"
    ) or res.output.strip().endswith(
        f"{book}[staff] row 3, field 'fte': cell staff!D3 holds a formula without a stored"
        " value: open and save the workbook in Excel so the values are stored"
    )
    assert len(res.output.strip().splitlines()) == 1
    assert not out.exists()
    _patch_sheet(
        book, list(sheets).index("staff") + 1, "<f>0.25*2</f><v />", "<f>0.25*2</f><v>0.5</v>"
    )
    assert CliRunner().invoke(main, ["need", str(book), "--out", str(out)]).exit_code == 0


# --------------------------------------------------------------------------- ids


def test_csv_ids_are_kept_as_written(tmp_path: Path) -> None:
    t = _table(tmp_path, b"id,rate\nNA,1\n1001,0.5\n007,1\nnull,1\n")
    assert [r.id for r in parse_rows(t, _Staff)] == ["NA", "1001", "007", "null"]


# --------------------------------------------------------------------------- YAML


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    bomb = tmp_path / "instance.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="too many YAML aliases") as exc:
        read_raw(tmp_path)
    assert time.perf_counter() - t0 < 2
    assert str(exc.value).startswith(f"{bomb}: too many YAML aliases (more than 100 aliases or")
    # a long list of aliases to one small anchor is refused too (the alias count)
    many = tmp_path / "many.yaml"
    many.write_text("a: &x 1\nb: [" + ", ".join(["*x"] * 101) + "]\n")
    with pytest.raises(InputError, match=r"too many YAML aliases .* at line 2\)"):
        load_yaml(many)
    # a few aliases are fine
    ok = tmp_path / "ok.yaml"
    ok.write_text("a: &x [1, 2]\nb: *x\n")
    assert load_yaml(ok) == {"a": [1, 2], "b": [1, 2]}


def test_impossible_yaml_date_names_file_and_field(tmp_path: Path) -> None:
    from rostering.conftest import write_instance

    inst = write_instance(
        tmp_path / "r",
        staff="id,competences\nA,RN\n",
        demand="weekday,shift,competence,staff\n0,D,RN,1\n",
    )
    manifest = (inst / "instance.yaml").read_text()
    assert "start_date: '2026-03-30'" in manifest
    (inst / "instance.yaml").write_text(manifest.replace("'2026-03-30'", "2027-02-30"))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["roster", str(inst), "--out", str(out), "--quiet"])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1
    assert f"{inst / 'instance.yaml'}, field 'parameters.start_date':" in res.output
    assert "2027-02-30" in res.output
    assert not out.exists()
    # a real date still loads as a date
    (inst / "instance.yaml").write_text(manifest.replace("'2026-03-30'", "2026-03-30"))
    assert read_raw(inst).parameters["start_date"] == date(2026, 3, 30)


def test_yaml_true_for_a_number_parameter_is_refused(tmp_path: Path) -> None:
    from rostering.conftest import write_instance

    inst = write_instance(
        tmp_path / "r", staff="id,competences\nA,RN\n",
        demand="weekday,shift,competence,staff\n0,D,RN,1\n", params={"fairness_weight": True},
    )  # fmt: skip
    res = CliRunner().invoke(main, ["roster", str(inst), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert (
        f"{inst / 'instance.yaml'}, field 'parameters.fairness_weight': must be a number,"
        " not a true/false value (got True)" in res.output
    )


# --------------------------------------------------------------------------- paths and limits


def test_table_outside_the_instance_folder_is_refused_unless_allowed(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    (folder / "units.csv").rename(tmp_path / "units.csv")
    (folder / "instance.yaml").write_text(
        (folder / "instance.yaml").read_text() + "tables:\n  units: ../units.csv\n"
    )
    with pytest.raises(InputError) as exc:
        read_raw(folder)
    assert str(exc.value) == (
        f"{folder / 'instance.yaml'}, field 'tables': table 'units' points to '../units.csv',"
        " outside the instance folder (copy the file into the folder)"
    )
    assert read_raw(folder, allow_outside=True).table("units").rows[0]["unit"] == "SURG"


@pytest.mark.parametrize("target", ["/dev/zero", "DIR"])
def test_device_or_folder_as_table_is_refused_before_reading(tmp_path: Path, target: str) -> None:
    folder = write_folder(tmp_path / "tiny")
    if target == "DIR":
        (folder / "sub").mkdir()
        target = "sub"
    (folder / "instance.yaml").write_text(
        (folder / "instance.yaml").read_text() + f"tables:\n  units: {target}\n"
    )
    with pytest.raises(InputError, match="not a regular file"):
        read_raw(folder, allow_outside=True)


def test_fifo_named_csv_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "tiny")
    (folder / "units.csv").unlink()
    import os

    os.mkfifo(folder / "units.csv")
    with pytest.raises(InputError, match=r"units\.csv: not a regular file"):
        read_raw(folder)


def test_size_limits_are_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_folder(tmp_path / "tiny")
    monkeypatch.setattr(pio, "MAX_CSV_BYTES", 100)
    big = folder / "acute_arrivals.csv"
    assert big.stat().st_size > 100
    with pytest.raises(
        InputError, match=r"\.csv: the file is 0 MB, more than the 0 MB a CSV table may have"
    ):
        read_raw(folder)
    monkeypatch.setattr(pio, "MAX_XLSX_BYTES", 100)
    book = _book(tmp_path / "b.xlsx", {"staff": [["id"], ["n1"]]})
    with pytest.raises(InputError, match="more than the 0 MB a workbook may have"):
        read_raw(book)
    monkeypatch.setattr(pio, "MAX_XLSX_BYTES", 100 * 2**20)
    monkeypatch.setattr(pio, "MAX_XLSX_UNPACKED_BYTES", 1000)
    with pytest.raises(InputError, match="the workbook unpacks to 0 MB"):
        read_raw(book)


def test_documented_limits_match_the_code() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reading-rules.md").read_text()
    assert f"{pio.MAX_CSV_BYTES // 2**20} MB" in doc
    assert f"{pio.MAX_XLSX_BYTES // 2**20} MB" in doc
    assert f"{pio.MAX_XLSX_UNPACKED_BYTES // 2**30} GB" in doc
    assert f"{pio.MAX_YAML_BYTES // 2**20} MB" in doc
    assert f"{pio.MAX_YAML_ALIASES} aliases" in doc


def test_control_characters_from_a_cell_are_shown_escaped(tmp_path: Path) -> None:
    # An id quoted in the error may hold control characters (\x1c is a line break to
    # Python's splitlines, a tab moves the cursor); the message stays one line, shown escaped.
    inst = tmp_path / "seed"
    shutil.copytree(instance_path("seed-inpatient"), inst)
    table = inst / "beds.csv"
    table.write_text(
        table.read_text(encoding="utf-8").replace("WARD,beds", "WA\x1cR\tD,beds"),
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["need", str(inst)])
    assert res.exit_code == 2, res.output
    last = res.output.rstrip("\n").splitlines()[-1]
    assert last.startswith("error: ") and "unit 'WA\\x1cR\\tD' is not defined" in last, last
    assert "\x1c" not in res.output and "\t" not in res.output

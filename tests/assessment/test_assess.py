"""`pks assess template` and `pks assess report`: drop-downs on the answer cells, the ranking
by the seeds' rule on a hand-made answer set, agreement, one-line errors for a bad answer or an
unknown item id (nothing written), and the shipped example."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pks_opt.assessment.instruments import instrument
from pks_opt.commands import main
from pks_opt.instances import instance_path

HEADERS = ["respondent", "unit", "date", "item_id", "area", "text", "answer"]


def run(*args: object) -> Any:
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with the template's columns and these rows per sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(HEADERS)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def answer_rows(
    key: str, respondents: list[str], date: str, answer: Callable[[int, str, int], str]
) -> list[list[Any]]:
    """One row per respondent × item; ``answer(respondent index, area id, item index)``."""
    ins = instrument(key)
    rows = []
    for r, name in enumerate(respondents):
        for area in ins.areas:
            for k, item in enumerate(area.items):
                rows.append([name, "U", date, item.id, None, None, answer(r, area.id, k)])
    return rows


# --------------------------------------------------------------------------- template


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_template_has_dropdowns_on_every_answer_cell(tmp_path: Path, lang: str) -> None:
    out = tmp_path / "answers.xlsx"
    res = run("assess", "template", "--lang", lang, "--out", out)
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    for key in ("self-assessment", "checklist"):
        ins = instrument(key)
        ws = wb[ins.sheet[lang]]
        head = [c.value for c in ws[1]]
        assert head[3] in ("id", "item_id") and head[-1] in ("svar", "answer")
        assert head[0] == "respondent" and len(head) == 7
        ids = [ws.cell(r, 4).value for r in range(2, ws.max_row + 1)]
        assert ids == [i.id for i in ins.items]
        texts = [ws.cell(r, 6).value for r in range(2, ws.max_row + 1)]
        assert texts == [i.text(lang) for i in ins.items]  # type: ignore[arg-type]
        lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
        assert len(lists) == 1
        dv = lists[0]
        assert dv.formula1 == '"' + ",".join(ins.labels(lang)) + '"'  # type: ignore[arg-type]
        assert len(dv.formula1) <= 257  # Excel's limit on an inline list (255 + quotes)
        assert dv.showErrorMessage and not dv.showDropDown  # arrow shown, others refused
        for r in range(2, len(ins.items) + 2):
            assert f"G{r}" in dv.sqref, r
        assert "G1" not in dv.sqref and "F2" not in dv.sqref
        assert "G500" in dv.sqref  # rows pasted below for more respondents
    # an existing file is never replaced
    res = run("assess", "template", "--lang", lang, "--out", out)
    assert res.exit_code == 2 and "exists" in res.output


def test_filled_template_is_read_in_either_language(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert run("assess", "template", "--lang", "sv", "--out", out).exit_code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["självskattning"]
    words = ["INSTÄMMER I HÖG GRAD", "delvis", "Not at all", "don't know", "vet ej – ej relevant"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 1, "Anna")
        ws.cell(r, 3, "2026-03-12")
        ws.cell(r, 7, words[r % len(words)])
    ws = wb["checklista"]
    for r in range(2, 7):  # Anna answers three questions, leaves two blank, skips the rest
        ws.cell(r, 1, "Anna")
        if r < 5:
            ws.cell(r, 7, ["Majoritet*", "yes", "NEJ"][r - 2])
    wb.save(out)
    res = run("assess", "report", out, "--out", tmp_path / "D")
    assert res.exit_code == 0, res.output
    answers = pd.read_csv(tmp_path / "D" / "answers.csv")
    assert len(answers) == 40 + 3
    assert set(answers["answer_key"]) == {
        "high",
        "partly",
        "not_at_all",
        "dont_know",
        "majority",
        "yes",
        "no",
    }
    env = json.loads((tmp_path / "D" / "result.json").read_text())
    assert env["kpis"]["unanswered"] == 2  # Anna's two blank answers (not counted)
    assert any("2 item(s)" in w for w in env["warnings"])
    assert "profile.png" in env["charts"].values()


# --------------------------------------------------------------------------- the seeds' rule


def test_areas_ranked_by_the_seeds_rule(tmp_path: Path) -> None:
    # Two respondents; per area (answers of respondent r to item k):
    #   S1 all "i hög grad"                        → maintain, last
    #   S2 all "delvis"                            → analyse 100 %
    #   S3 one "inte alls", the rest "i hög grad"  → develop 1/14
    #   S4 all "vet ej"                            → develop 100 %, no score: first
    #   S5 "inte alls" / "i hög grad"              → develop 50 %, analyse 0, score 50
    #   S6 "vet ej" / "delvis"                     → develop 50 %, analyse 50 %
    #   S7 "vet ej" / "i hög grad"                 → develop 50 %, analyse 0, score 100
    #   S8 "delvis" / "i hög grad"                 → analyse 50 %
    H, D, N, V = "Instämmer i hög grad", "Instämmer delvis", "Instämmer inte alls", "Vet ej"

    def answer(r: int, area: str, k: int) -> str:
        return {
            "S1": H,
            "S2": D,
            "S3": N if (r, k) == (0, 0) else H,
            "S4": V,
            "S5": N if r == 0 else H,
            "S6": V if r == 0 else D,
            "S7": V if r == 0 else H,
            "S8": D if r == 0 else H,
        }[area]

    path = book(
        tmp_path / "a.xlsx",
        {"självskattning": answer_rows("self-assessment", ["A", "B"], "2026-01-01", answer)},
    )
    res = run("assess", "report", path, "--out", tmp_path / "D")
    assert res.exit_code == 0, res.output
    pri = pd.read_csv(tmp_path / "D" / "priorities.csv")
    assert list(pri["area_id"]) == ["S4", "S6", "S5", "S7", "S3", "S2", "S8", "S1"]
    assert list(pri["rank"]) == list(range(1, 9))
    assert list(pri["band"]) == ["develop"] * 5 + ["analyse"] * 2 + ["maintain"]
    assert pri.loc[pri["area_id"] == "S4", "score_pct"].isna().all()
    assert pri["capabilities"].str.contains("pks ").all()
    assert pri["see"].str.match(r"00\d").all()
    s4 = pri[pri["area_id"] == "S4"].iloc[0]
    assert "003 H" in s4["see"] and "pks follow-up" in s4["capabilities"]
    items = pd.read_csv(tmp_path / "D" / "priority_items.csv")
    assert set(items["item_id"][:4]) == {f"S4.{k}" for k in range(1, 5)}
    assert "S1.1" not in set(items["item_id"])  # all "i hög grad": nothing to develop
    assert items["seed"].iloc[0].startswith("000 area 4")
    prof = pd.read_csv(tmp_path / "D" / "profile.csv")
    s5 = prof[prof["area_id"] == "S5"].iloc[0]
    assert (s5["develop_share"], s5["score_mean"], s5["score_pct"]) == (0.5, 1.0, 50.0)
    # respondents disagree on every S5 statement, agree on every S1 one
    assert s5["agreement"] == 0.5 and s5["spread"] == 2.0
    assert prof[prof["area_id"] == "S1"].iloc[0]["agreement"] == 1.0
    dist = pd.read_csv(tmp_path / "D" / "distribution.csv")
    s6 = dist[dist["area_id"] == "S6"].set_index("answer_key")["n"]
    assert s6.to_dict() == {"high": 0, "partly": 4, "not_at_all": 0, "dont_know": 4}


def test_checklist_rule_and_rounds_side_by_side(tmp_path: Path) -> None:
    def early(r: int, area: str, k: int) -> str:
        return "Nej" if area in ("D1", "D2") else "Minoritet"

    def late(r: int, area: str, k: int) -> str:
        return {"D1": "Ja", "D2": "Vet ej", "D3": "Majoritet"}.get(area, "Minoritet")

    a = book(
        tmp_path / "a.xlsx", {"checklista": answer_rows("checklist", ["A"], "2025-03-01", early)}
    )
    b = book(
        tmp_path / "b.xlsx", {"checklist": answer_rows("checklist", ["A"], "2026-03-01", late)}
    )
    res = run("assess", "report", b, a, "--lang", "en", "--out", tmp_path / "D")
    assert res.exit_code == 0, res.output
    pri = pd.read_csv(tmp_path / "D" / "priorities.csv")
    # latest round: D2 "vet ej" first; then the "minoritet" areas (score 1/3) in seed order;
    # D3 "majoritet" (score 2/3) after them; D1 "ja" last
    assert list(pri["area_id"]) == ["D2", "D4", "D5", "D6", "D7", "D8", "D9", "D3", "D1"]
    trend = pd.read_csv(tmp_path / "D" / "trend.csv").set_index("area_id")
    assert (
        trend.at["D1", "score_pct 2025-03-01"] == 0
        and trend.at["D1", "score_pct 2026-03-01"] == 100
    )
    assert trend.at["D1", "score_change"] == 100
    assert trend.at["D2", "develop_share_change"] == 0  # "nej" → "vet ej": still develop first
    env = json.loads((tmp_path / "D" / "result.json").read_text())
    assert env["kpis"]["rounds"] == 2 and env["kpis"]["latest_round"] == "2026-03-01"
    assert set(env["charts"]) == {"profile", "trend"}


# --------------------------------------------------------------------------- bad input


def bad_book(tmp_path: Path, row5: list[Any]) -> Path:
    rows = answer_rows("self-assessment", ["A"], "2026-01-01", lambda r, a, k: "delvis")
    rows[3] = row5  # spreadsheet row 5
    return book(tmp_path / "bad.xlsx", {"självskattning": rows, "checklista": []})


@pytest.mark.parametrize(
    ("row5", "field", "words"),
    [
        (
            ["A", "U", "2026-01-01", "S1.4", None, None, "kanske"],
            "answer",
            "'kanske' is not on the self-assessment answer scale",
        ),
        (
            ["A", "U", "2026-01-01", "S9.1", None, None, "delvis"],
            "item_id",
            "unknown item id 'S9.1'",
        ),
        (
            ["A", "U", "2026-01-01", "C4", None, None, "delvis"],
            "item_id",
            "unknown item id 'C4' on the self-assessment sheet",
        ),
        (["A", "U", "2026-01-01", "S1.1", None, None, "delvis"], "item_id", "answers S1.1 twice"),
    ],
)
def test_bad_answer_names_sheet_row_column_and_writes_nothing(
    tmp_path: Path, row5: list[Any], field: str, words: str
) -> None:
    path = bad_book(tmp_path, row5)
    out = tmp_path / "D"
    res = run("assess", "report", path, "--out", out)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert f"bad.xlsx[självskattning] row 5, field '{field}'" in lines[0], lines[0]
    assert words in lines[0]
    assert not out.exists()


def test_not_a_workbook_and_no_instrument_sheet(tmp_path: Path) -> None:
    path = book(tmp_path / "x.xlsx", {"other": [["A", "U", None, "S1.1", None, None, "ja"]]})
    res = run("assess", "report", path, "--out", tmp_path / "D")
    assert res.exit_code == 2 and "no instrument sheet" in res.output
    csv = tmp_path / "a.csv"
    csv.write_text("x\n")
    res = run("assess", "report", csv, "--out", tmp_path / "D")
    assert res.exit_code == 2 and "expected an .xlsx" in res.output
    assert not (tmp_path / "D").exists()


# --------------------------------------------------------------------------- shipped example


EXAMPLE = instance_path("assessment-example")


def test_example_is_what_make_answers_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_answers", EXAMPLE / "make_answers.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(tmp_path)
    for name in ("answers.xlsx", "answers-2025.xlsx"):
        made, shipped = (
            openpyxl.load_workbook(tmp_path / name),
            openpyxl.load_workbook(EXAMPLE / name),
        )
        assert made.sheetnames == shipped.sheetnames
        for ws in made:
            assert [list(r) for r in ws.iter_rows(values_only=True)] == [
                list(r) for r in shipped[ws.title].iter_rows(values_only=True)
            ], (name, ws.title)


def test_example_profile(tmp_path: Path) -> None:
    res = run("assess", "report", EXAMPLE / "answers.xlsx", "--out", tmp_path / "D")
    assert res.exit_code == 0, res.output
    env = json.loads((tmp_path / "D" / "result.json").read_text())
    assert env["kpis"]["respondents"] == 3
    assert env["kpis"]["answers"] == 3 * (40 + 23)
    pri = pd.read_csv(tmp_path / "D" / "priorities.csv")
    sa = pri[pri["instrument"] == "self-assessment"]
    assert list(sa["area_id"][:3]) == ["S7", "S4", "S8"]  # results, follow-up, learning
    assert sa["develop_share"].is_monotonic_decreasing
    assert list(pri[pri["instrument"] == "checklist"]["area_id"][:2]) == ["D5", "D4"]
    assert (tmp_path / "D" / "profile.png").stat().st_size > 10_000
    res = run(
        "assess",
        "report",
        EXAMPLE / "answers-2025.xlsx",
        EXAMPLE / "answers.xlsx",
        "--out",
        tmp_path / "T",
    )
    assert res.exit_code == 0, res.output
    trend = pd.read_csv(tmp_path / "T" / "trend.csv")
    assert (trend["score_change"] > 0).all()  # every area better than a year before


def test_workbook_without_subcommand_is_a_report(tmp_path: Path) -> None:
    """``pks assess answers.xlsx --out D`` (the issue's form) is ``pks assess report …``."""
    short = run("assess", EXAMPLE / "answers.xlsx", "--out", tmp_path / "A")
    long = run("assess", "report", EXAMPLE / "answers.xlsx", "--out", tmp_path / "B")
    assert short.exit_code == 0 and long.exit_code == 0, short.output
    assert (tmp_path / "A" / "priorities.csv").read_text() == (
        tmp_path / "B" / "priorities.csv"
    ).read_text()
    assert run("assess", "--help").exit_code == 0  # options still reach the group

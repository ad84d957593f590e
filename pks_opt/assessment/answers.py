"""The answers workbook: the fill-in template and reading filled-in workbooks.

The template is written by `pks assess template`, filled-in workbooks are read by `pks assess
report`.

A workbook has one sheet per instrument (``självskattning``/``self-assessment``,
``checklista``/``checklist``) with the columns ``respondent, unit, date, item_id, area, text,
answer`` (Swedish headers ``respondent, enhet, datum, id, område, text, svar`` are read too),
and an ``anvisningar``/``instructions`` sheet that is not read. The answer cells have a
drop-down list of the scale in the template's language; any answer word of either language is
read, whatever the case.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pks_opt.assessment.instruments import Instrument, Lang, instruments
from pks_opt.errors import InputError, InputWarning, OutputError

#: canonical column → headers read (case-insensitive); the first two are the template's en/sv
COLUMNS: dict[str, tuple[str, ...]] = {
    "respondent": ("respondent", "respondent", "svarande", "namn", "name"),
    "unit": ("unit", "enhet", "verksamhet", "organisation"),
    "date": ("date", "datum"),
    "item_id": ("item_id", "id", "item id", "item"),
    "area": ("area", "område", "omrade"),
    "text": ("text", "text", "påstående", "fråga", "statement", "question"),
    "answer": ("answer", "svar"),
}
REQUIRED = ("item_id", "answer")
INSTRUCTIONS_SHEET = {"sv": "anvisningar", "en": "instructions"}
#: rows below the items that still carry the answer drop-down (answers of more respondents
#: pasted below the first block)
EXTRA_VALIDATED_ROWS = 1000


def header(column: str, lang: Lang) -> str:
    """Translate the column's header into the template's language."""
    return COLUMNS[column][0 if lang == "en" else 1]


# --------------------------------------------------------------------------- template


def write_template(path: Path, lang: Lang) -> Path:
    """Write the fill-in workbook to ``path``, a new ``.xlsx`` file.

    An existing file is never replaced: it may hold answers. Raises :class:`OutputError`.
    """
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    if path.suffix.lower() != ".xlsx":
        raise OutputError(path, "the template is an .xlsx workbook: give a name ending in .xlsx")
    if path.exists() or path.is_symlink():
        raise OutputError(path, "the file exists (it may hold answers): give a new name")
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = INSTRUCTIONS_SHEET[lang]
    about.append([INSTRUCTIONS_SHEET[lang]])
    for line in _instructions(lang):
        about.append([line])
    about.column_dimensions["A"].width = 120
    about["A1"].font = Font(bold=True)

    columns = ["respondent", "unit", "date", "item_id", "area", "text", "answer"]
    widths = {
        "respondent": 16,
        "unit": 14,
        "date": 12,
        "item_id": 8,
        "area": 34,
        "text": 90,
        "answer": 24,
    }
    for ins in instruments():
        _item_sheet(wb, ins, lang, columns, widths)
    _save_new(wb, path)
    return path


def _item_sheet(wb: Any, ins: Any, lang: Lang, columns: list[str], widths: dict[str, int]) -> None:
    """One instrument's sheet: an empty answer row per item, a drop-down of its scale."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    ws = wb.create_sheet(ins.sheet[lang])
    ws.append([header(c, lang) for c in columns])
    for area in ins.areas:
        for item in area.items:
            ws.append([None, None, None, item.id, area.text(lang), item.text(lang), None])
    last = len(ins.items) + 1
    for i, c in enumerate(columns, start=1):
        letter = openpyxl.utils.get_column_letter(i)
        ws.column_dimensions[letter].width = widths[c]
        ws.cell(1, i).font = Font(bold=True)
    for row in ws.iter_rows(min_row=2, max_row=last):
        row[4].alignment = row[5].alignment = Alignment(wrap_text=True, vertical="top")
        row[6].fill = PatternFill("solid", fgColor="FFF2CC")
    ws.freeze_panes = "A2"
    answer_col = openpyxl.utils.get_column_letter(columns.index("answer") + 1)
    options = ins.labels(lang)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(options) + '"',
        allow_blank=True,
        showDropDown=False,  # False shows the in-cell arrow (the OOXML name is inverted)
        showErrorMessage=True,
        errorTitle="svar" if lang == "sv" else "answer",
        error=("Välj ett av: " if lang == "sv" else "Choose one of: ") + ", ".join(options),
        promptTitle="svar" if lang == "sv" else "answer",
        prompt=" / ".join(options),
        showInputMessage=True,
    )
    dv.add(f"{answer_col}2:{answer_col}{last + EXTRA_VALIDATED_ROWS}")
    ws.add_data_validation(dv)
    date_col = openpyxl.utils.get_column_letter(columns.index("date") + 1)
    for r in range(2, last + 1):
        ws[f"{date_col}{r}"].number_format = "yyyy-mm-dd"


def _save_new(wb: Any, path: Path) -> None:
    """Save the workbook as a new file, whole or not at all (never over an existing one)."""
    from pks_opt.report.output import output_error

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx", dir=path.parent)
        os.close(fd)
        try:
            wb.save(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private
            if path.exists():  # appeared while writing: still never replaced
                raise OutputError(path, "the file exists (it may hold answers): give a new name")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise output_error(path, exc) from None


def _instructions(lang: Lang) -> list[str]:
    sa, ck = instruments()
    if lang == "sv":
        lines = [
            "Fyll i en rad per påstående/fråga: respondent (ditt namn eller din roll), enhet, "
            "datum och svar (välj i listan).",
            "Datum är datumet för skattningsomgången (t.ex. ledningsgruppens möte) – samma för "
            "alla som svarar i samma omgång, inte dagen var och en fyllde i.",
            "Fler respondenter i samma arbetsbok: kopiera raderna nedanför de första och fyll i "
            "ett annat namn i kolumnen respondent. Eller en arbetsbok per person.",
            "Lämna svar tomt för det du inte vill besvara (räknas inte); 'Vet ej' räknas.",
            "",
            f"{sa.title['sv']} (Socialstyrelsen): svarsalternativ "
            + ", ".join(sa.labels("sv"))
            + ".",
            "Påståenden som besvarats med ”Instämmer inte alls” eller ”Vet ej/ej relevant” är "
            "särskilt relevanta för fortsatt utvecklingsarbete. Där svaret är ”Instämmer delvis” "
            "kan fördjupad analys behövas. ”Instämmer i hög grad”: fokus på att bibehålla.",
            "",
            f"{ck.title['sv']}: svarsalternativ "
            + ", ".join(ck.labels("sv"))
            + ". "
            + ck.note.get("sv", ""),
            "",
            "Resultat: pks assess report ARBETSBOK.xlsx [FLER.xlsx …] --out MAPP (se "
            "docs/assessment.md).",
        ]
    else:
        lines = [
            "Fill in one row per statement/question: respondent (your name or role), unit, "
            "date and answer (pick from the list).",
            "The date is the date of the assessment round (e.g. the management team's meeting) "
            "– the same for everyone answering in one round, not the day each filled in.",
            "More respondents in one workbook: copy the rows below the first ones and put "
            "another name in the respondent column. Or one workbook per person.",
            "Leave the answer blank for what you do not want to answer (not counted); "
            "'Don't know' is counted.",
            "",
            f"{sa.title['en']} (Socialstyrelsen): answers " + ", ".join(sa.labels("en")) + ".",
            "Statements answered 'Do not agree at all' or 'Don't know/not relevant' are the "
            "most relevant for further development; 'Agree partly' may need deeper analysis; "
            "'Agree to a high degree': keep it up.",
            "",
            f"{ck.title['en']}: answers "
            + ", ".join(ck.labels("en"))
            + ". "
            + ck.note.get("en", ""),
            "",
            "Result: pks assess report WORKBOOK.xlsx [MORE.xlsx …] --out FOLDER (see "
            "docs/assessment.md).",
        ]
    return lines


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Answer:
    """One answer as read: where it is, who gave it, to which item, and the scale option."""

    file: str
    sheet: str
    row: int
    round: str
    respondent: str
    unit: str
    date: str
    instrument: str
    item_id: str
    answer: str  # the scale option's key


@dataclass(frozen=True)
class ReadAnswers:
    """The answers read from the workbooks, and how many rows had an item but no answer."""

    answers: tuple[Answer, ...]
    unanswered: int  # rows with a respondent and an item but no answer


def _sheet_instrument(name: str) -> Instrument | None:
    low = name.strip().lower()
    for ins in instruments():
        if low in (s.lower() for s in ins.sheet.values()):
            return ins
    return None


def read_answers(paths: Sequence[Path]) -> ReadAnswers:
    """Read every answer of the workbooks ``paths``.

    Raises :class:`InputError` naming the workbook and sheet, the row and the column of the
    first problem.
    """
    from pks_opt.io import read_raw

    answers: list[Answer] = []
    unanswered = 0
    seen: dict[tuple[str, str, str, str, str], tuple[str, int]] = {}
    for path in paths:
        if path.suffix.lower() != ".xlsx":
            raise InputError(
                "expected an .xlsx answers workbook (pks assess template writes one)",
                file=str(path),
            )
        raw = read_raw(path)
        used = False
        for name, table in raw.tables.items():
            ins = _sheet_instrument(name)
            if ins is None:
                if name.strip().lower() not in INSTRUCTIONS_SHEET.values():
                    warnings.warn(
                        f"{table.where}: sheet '{name}' is not an instrument's sheet "
                        "and is not read",
                        InputWarning,
                        stacklevel=2,
                    )
                continue
            used = True
            cols = _columns(table.columns, table.where)
            for index, row in enumerate(table.rows):
                number = table.row_number(index)
                got = _row(row, cols, ins, table.where, number, path)
                if got is None:
                    continue
                if isinstance(got, int):
                    unanswered += got
                    continue
                key = (got.round, got.unit, got.respondent, got.instrument, got.item_id)
                if key in seen:
                    where, earlier = seen[key]
                    raise InputError(
                        f"respondent '{got.respondent}' answers {got.item_id} twice in the "
                        f"round {got.round} (also {where} row {earlier}): give each respondent "
                        "a name of their own in the respondent column",
                        file=table.where,
                        row=number,
                        field=cols["item_id"],
                    )
                seen[key] = (table.where, number)
                answers.append(got)
        if not used:
            names = " or ".join(f"'{s}'" for ins in instruments() for s in ins.sheet.values())
            raise InputError(f"no instrument sheet: expected a sheet named {names}", file=str(path))
    if not answers:
        raise InputError(
            "no answers: every answer cell is blank", file=", ".join(str(p) for p in paths)
        )
    return ReadAnswers(tuple(answers), unanswered)


def _columns(columns: Iterable[str], where: str) -> dict[str, str]:
    """Canonical column → the header as written in this sheet."""
    found: dict[str, str] = {}
    for col in columns:
        low = col.strip().lower()
        for canon, names in COLUMNS.items():
            if low in names and canon not in found:
                found[canon] = col
    for canon in REQUIRED:
        if canon not in found:
            raise InputError(
                f"missing column '{canon}' (or '{COLUMNS[canon][1]}'): the sheet needs "
                "columns " + ", ".join(COLUMNS[c][0] for c in COLUMNS),
                file=where,
                row=1,
            )
    return found


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _row(
    row: dict[str, Any], cols: dict[str, str], ins: Instrument, where: str, number: int, path: Path
) -> Answer | int | None:
    """Read the answer of one row.

    None for an empty template row; 1 for an unanswered item of a named respondent.
    """
    item_id = _text(row.get(cols["item_id"]))
    answer = _text(row.get(cols["answer"]))
    respondent = _text(row.get(cols["respondent"])) if "respondent" in cols else ""
    if not item_id:
        if answer:
            raise InputError(
                f"the answer '{answer}' has no item id",
                file=where,
                row=number,
                field=cols["item_id"],
            )
        return None
    item = ins.item(item_id)
    if item is None:
        ids = ins.items
        raise InputError(
            f"unknown item id '{item_id}' on the {ins.key} sheet (its ids are {ids[0].id} … "
            f"{ids[-1].id})",
            file=where,
            row=number,
            field=cols["item_id"],
        )
    if not answer:
        return 1 if respondent else None
    option = ins.answer(answer)
    if option is None:
        raise InputError(
            f"'{answer}' is not on the {ins.key} answer scale: one of "
            + ", ".join(ins.labels("sv"))
            + " (or "
            + ", ".join(ins.labels("en"))
            + ")",
            file=where,
            row=number,
            field=cols["answer"],
        )
    date = _text(row.get(cols["date"])) if "date" in cols else ""
    unit = _text(row.get(cols["unit"])) if "unit" in cols else ""
    return Answer(
        file=str(path),
        sheet=where,
        row=number,
        round=date or path.stem,
        respondent=respondent or path.stem,
        unit=unit,
        date=date,
        instrument=ins.key,
        item_id=item.id,
        answer=option.key,
    )

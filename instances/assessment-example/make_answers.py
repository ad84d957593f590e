"""Write the example's answer workbooks (deterministic): three respondents of a region's
management team, answering both instruments in two rounds.

    python instances/assessment-example/make_answers.py

writes answers.xlsx (round 2026-03-12) and answers-2025.xlsx (round 2025-03-13) beside this
file, from the template `pks assess template --lang sv` writes; the second and third
respondents' rows are added below the first's (the answer drop-down covers them).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import openpyxl

from pks_opt.assessment.answers import write_template
from pks_opt.assessment.instruments import instrument

HERE = Path(__file__).resolve().parent

RESPONDENTS = [
    ("Produktionsdirektör", "Regionledning"),
    ("Hälso- och sjukvårdsdirektör", "Regionledning"),
    ("Verksamhetschef kirurgi", "Kirurgkliniken"),
]
# self-assessment, area by area: H i hög grad, D delvis, I inte alls, V vet ej
SA_CODES = {
    "H": "Instämmer i hög grad",
    "D": "Instämmer delvis",
    "I": "Instämmer inte alls",
    "V": "Vet ej/ej relevant",
}
# checklist, area by area: J ja, M majoritet, m minoritet, N nej, V vet ej
CK_CODES = {"J": "Ja", "M": "Majoritet", "m": "Minoritet", "N": "Nej", "V": "Vet ej"}
ROUNDS = {
    "answers.xlsx": (
        "2026-03-12",
        {
            "self-assessment": [
                "HHDHDHD HHHDDDD DDIDDDI DIDI DHD HVDD DIIVI DDI",
                "HDDHDDD HDHHDID DDDHIDD DIDV DDI DVVD DVIIV IDD",
                "DDVDIDI DDDDHDI DDIDDID IIDI IDV DVIH HIIVI DII",
            ],
            "checklist": [
                "J JJM JMM JMN M MJJM JVM JJN MN",
                "J JMN MMN MNV N MJMJ MVM JMN MM",
                "J MmN mmV mNV V mMJm mVm MmV mV",
            ],
        },
    ),
    "answers-2025.xlsx": (
        "2025-03-13",
        {
            "self-assessment": [
                "DDDDIDI DDDIDII IDIDIDI IIDI IDI DVDD DIIVI III",
                "DDDDIDD DIDDIID DIDDIVD IIIV DVI VVVD VVIIV IID",
                "DIVIIDI IDIDDDI DDIDIID IIIV IVV IVII DIIVI III",
            ],
            "checklist": [
                "J MMN MmN mNN N mJMm mVm JmN mN",
                "J MNN mNN NVV V mMNm mVN MNN NV",
                "M mNV NNV NVV V NmMN NVN mNV NV",
            ],
        },
    ),
}


def fill(path: Path, date: str, answers: dict[str, list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        template = write_template(Path(tmp) / "template.xlsx", "sv")
        wb = openpyxl.load_workbook(template)
    for key, rows in answers.items():
        ins = instrument(key)
        ws = wb[ins.sheet["sv"]]
        items = [row for row in ws.iter_rows(min_row=2, values_only=True)]
        codes = SA_CODES if key == "self-assessment" else CK_CODES
        for r, ((name, unit), text) in enumerate(zip(RESPONDENTS, rows, strict=True)):
            letters = text.replace(" ", "")
            groups = [len(g) for g in text.split()]
            assert groups == [len(a.items) for a in ins.areas], (key, r, groups)
            for k, (item_row, code) in enumerate(zip(items, letters, strict=True)):
                row = 2 + r * len(items) + k
                values = [name, unit, date, item_row[3], item_row[4], item_row[5], codes[code]]
                for c, v in enumerate(values, start=1):
                    ws.cell(row, c, v)
    wb.save(path)


def main(out: Path = HERE) -> None:
    for name, (date, answers) in ROUNDS.items():
        fill(out / name, date, answers)
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)

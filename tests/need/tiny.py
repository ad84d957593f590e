"""A tiny strategic instance whose numbers are worked out by hand (see test_formulas.py).

Two units (SURG produces operations and visits; IMG is the imaging support unit), two
13-week periods (Q2 is a low-production quarter, factor 0.5), ``days_per_year: 364`` so a
period is exactly a quarter of the annual hours.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

MANIFEST = {
    "kind": "strategic",
    "name": "tiny",
    "parameters": {"days_per_year": 364, "acute_share": 0.85},
}

TABLES: dict[str, str] = {
    "units": "unit,name,parent\nSURG,Surgery,\nIMG,Imaging,\n",
    "resources": (
        "resource,name,measure\n"
        "surgeon_hours,Surgeons,hours\nor_hours,Operating rooms,hours\n"
        "imaging_hours,Imaging,hours\nbeds,Beds,bed_days\n"
    ),
    "periods": "period,days,low_production_factor\nQ1,91,1\nQ2,91,0.5\n",
    "planning_objects": (
        "planning_object,service,provider_category,contact_type,priority\n"
        "op,hip operation,surgeon,operation,2\nvisit,follow-up,surgeon,visit,3\n"
    ),
    "demand": (
        "unit,planning_object,period,base_volume,demographic_growth,mission_change,"
        "waiting_list_reduction,conversion\n"
        "SURG,op,,100,0.1,-10,5,1\n"
        "SURG,visit,Q1,200,0,0,0,1.5\n"
    ),
    "activity_hours": (
        "planning_object,resource,amount_per_activity,unit,support_unit\n"
        "op,surgeon_hours,2,,\nop,or_hours,1.5,,\nop,imaging_hours,0.5,,IMG\n"
        "visit,surgeon_hours,0.5,,\n"
        "op,surgeon_hours,3,IMG,\n"
    ),
    "inpatient": (
        "unit,planning_object,bed_resource,average_length_of_stay_days,occupancy_target\n"
        "SURG,op,beds,2,0.8\n"
    ),
    "staffing_keys": "unit,role,staff_per_bed\nSURG,rn,1.2\n",
    "staff": (
        "unit,function,resource,fte,annual_hours,absence_share,patient_time_share\n"
        "SURG,surgeon,surgeon_hours,2,1700,0.1,0.5\n"
        "IMG,radiographer,imaging_hours,0.5,1600,0.2,0.5\n"
    ),
    "rooms": "unit,room,resource,rooms,hours_per_week\nSURG,OR1,or_hours,1,12\n",
    "beds": "unit,resource,staffed_beds,period\nSURG,beds,3,\nSURG,beds,4,Q2\n",
    "improvements": (
        "improvement,unit,effect,resource,planning_object,period,amount,realised\n"
        "fewer_revisits,SURG,volume,,visit,Q1,-20,true\n"
        "digital_followup,SURG,volume,,visit,Q1,-50,false\n"
        "faster_scans,IMG,capacity,imaging_hours,,Q1,10,yes\n"
        "planned_lean,SURG,capacity,surgeon_hours,,,100,no\n"
    ),
    "acute_arrivals": "unit,block,day,arrivals\n"
    + "".join(
        f"SURG,day,d{i},{a}\n" for i, a in enumerate([5, 3, 8, 6, 4, 7, 2, 9, 6, 5], start=1)
    ),
}


def write_folder(
    path: Path,
    changes: dict[str, str | None] | None = None,
    manifest: dict | None = None,
) -> Path:
    """Write the tiny instance to ``path``; ``changes`` replaces (or with None drops) tables."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "instance.yaml").write_text(yaml.safe_dump(manifest or MANIFEST))
    tables = {**TABLES, **(changes or {})}
    for name, text in tables.items():
        if text is not None:
            (path / f"{name}.csv").write_text(text)
    return path


def write_workbook(folder: Path, book: Path) -> Path:
    """The same instance as one .xlsx: an ``instance`` sheet plus one sheet per CSV."""
    manifest = yaml.safe_load((folder / "instance.yaml").read_text())
    keys, values = [], []
    for k, v in manifest.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                keys.append(f"{k}.{kk}")
                values.append(str(vv))
        else:
            keys.append(k)
            values.append(str(v))
    with pd.ExcelWriter(book) as w:
        pd.DataFrame({"key": keys, "value": values}).to_excel(w, sheet_name="instance", index=False)
        for csv in sorted(folder.glob("*.csv")):
            df = pd.read_csv(csv)  # numbers as numbers, blanks as empty cells
            df.to_excel(w, sheet_name=csv.stem, index=False)
    return book

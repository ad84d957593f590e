"""Write the synthetic actuals of weeks 1-20 (``actuals/``) from a plan of instances/clinic-plan.

    python instances/clinic-followup/make_actuals.py instances/clinic-followup/published-plan

(``published-plan/`` is ``pks plan instances/clinic-plan --out …`` at the defaults.)

What happened, by design (seeded, so the same plan gives the same actuals):
- every object's inflow is the plan's forecast with ±4 % noise, and production is the plan's
  with ±2 % noise (whole activities), except:
- gastro: inflow 15 % above the forecast in weeks 10-20 (a new referral stream);
- nurses: sick leave in weeks 14-16, 25 % of the nurse hours lost; diabetes and allergy (the
  most nurse-heavy visits) produce 25 % less those weeks;
- the Easter weeks 12-13 (80 % capacity) went as planned: no deviation beyond the noise.
The waiting list at the end of each week follows from the flows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20270520
WEEKS = 20
HERE = Path(__file__).parent


def main(plan_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    plan = pd.read_csv(plan_dir / "production_plan.csv")
    cap = pd.read_csv(plan_dir / "capacity_use.csv")
    rows = []
    for o, d in plan.groupby("planning_object", sort=False):
        queue = float(d["queue_start"].iloc[0])
        for r in d[d["week"] <= WEEKS].to_dict("records"):
            w = int(r["week"])
            inflow = float(r["inflow"]) * (1 + rng.normal(0, 0.02))
            comment = ""
            if o == "gastro" and 10 <= w <= 20:
                inflow *= 1.15
                comment = "new referral stream from primary care"
            production = float(r["production"]) * (1 + rng.normal(0, 0.01))
            if o in ("diabetes", "allergy") and 14 <= w <= 16:
                production *= 0.75
                comment = "nurse sick leave"
            production = max(0, round(min(production, queue + inflow)))
            queue = queue + inflow - production
            rows.append(
                {
                    "unit": "MEDCLIN",
                    "planning_object": o,
                    "week": w,
                    "production": production,
                    "inflow": round(inflow, 1),
                    "waiting": round(queue, 1),
                    "other_removals": 0,
                    "comment": comment,
                }
            )
    out = HERE / "actuals"
    out.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "production.csv", index=False)
    caps = []
    for r in cap[cap["week"] <= WEEKS].to_dict("records"):
        avail = float(r["available_hours"])
        comment = ""
        if r["resource"] == "nurse" and 14 <= int(r["week"]) <= 16:
            avail *= 0.75
            comment = "sick leave: 25 % of nurse hours"
        caps.append(
            {
                "unit": "MEDCLIN",
                "resource": r["resource"],
                "week": int(r["week"]),
                "available_hours": round(avail, 1),
                "used_hours": round(min(avail, float(r["used_hours"])), 1),
                "comment": comment,
            }
        )
    pd.DataFrame(caps).to_csv(out / "capacity.csv", index=False)
    (out / "instance.yaml").write_text(
        "# What happened at MEDCLIN in weeks 1-20 of 2027 (synthetic: make_actuals.py).\n"
        "kind: actuals\nname: clinic-followup-actuals\n"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))

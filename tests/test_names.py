"""Tiers and actions by the seeds' names (pks_opt.names)."""

from __future__ import annotations

import pandas as pd

from pks_opt.names import action_name, in_words, name_columns, tier_name


def test_names() -> None:
    assert tier_name(1) == "time-critical work (acute, on-call)"
    assert tier_name(2, "sv") == "planerat patientarbete"
    assert action_name("purchase") == "buy care" and action_name("move") == "move capacity"
    assert action_name("postpone") == "prioritise: postpone"
    assert action_name("new-kind") == "new-kind"
    assert (
        in_words("week 3: tier 3 short by 8 RN-hours") == "week 3: other work short by 8 RN-hours"
    )
    # KPI labels as the catalogues write them: a capital at the start, Swedish "nivå N"
    assert in_words("Tier 2 asked") == "Planned patient work asked"
    assert in_words("Saknade pass, nivå 2", "sv") == "Saknade pass, planerat patientarbete"
    assert in_words("Målterm: nivå 1", "sv") == "Målterm: tidskritiskt (akut, jour)"


def test_name_columns_are_added_last() -> None:
    df = pd.DataFrame({"tier": [1, 3], "short": [1, 2]})
    out = name_columns(df)
    assert list(out.columns) == ["tier", "short", "tier_name"]
    assert out["tier_name"].tolist() == ["time-critical work (acute, on-call)", "other work"]
    assert list(df.columns) == ["tier", "short"]  # not changed in place

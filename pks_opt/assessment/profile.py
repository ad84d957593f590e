"""From answers to a profile: distribution, score, agreement, ranking and trend per area.

The agreement is between respondents; areas and items are ranked by the seeds' rule; the
trend is over rounds.

Scoring (docs/assessment.md): each answer has the score of its scale option — self-assessment
"i hög grad" 2, "delvis" 1, "inte alls" 0; checklist "ja" 3, "majoritet" 2, "minoritet" 1,
"nej" 0 — and "vet ej" has none: it is counted in the distribution and in the "develop first"
share, never in the score. An area's ``score_pct`` is the mean score of its scored answers as a
share of the top score (0–100).

The seeds' rule ranks the areas of one instrument in the latest round:

1. the share of "develop first" answers ("inte alls" and "vet ej"; "nej" and "vet ej"),
   highest first;
2. then the share of "analyse further" answers ("delvis"; "majoritet", "minoritet"), highest
   first;
3. ties: the lower ``score_pct`` first (an area whose scored answers are all "vet ej" has no
   score and goes first), then the seed's order.

Items are ranked the same way. Agreement: for each item with at least two answers, the share of
its respondents who gave the most common answer; an area's agreement is the mean over its items
(empty with a single respondent). Spread: the mean over items of the highest minus the lowest
score given (scale points).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pks_opt.assessment.answers import Answer, read_answers
from pks_opt.assessment.instruments import (
    BAND_TEXT,
    Area,
    Instrument,
    Item,
    Lang,
    capabilities,
    instruments,
    sources,
)
from pks_opt.result import Result, SolveStatus


def assess(paths: Sequence[str | Path], *, lang: Lang = "sv") -> Result:
    """Read the answer workbooks ``paths`` and make the profile :class:`Result` (``assessment``).

    Tables ``answers``, ``distribution``, ``profile``, ``priorities``, ``priority_items`` and,
    with two or more rounds, ``trend``; charts ``profile`` (and ``trend``). Raises
    :class:`~pks_opt.errors.InputError` on bad answers.
    """
    files = [Path(p) for p in paths]
    read = read_answers(files)
    rounds = sorted({a.round for a in read.answers})
    latest = rounds[-1]
    answers = _answers_table(read.answers, lang)
    distribution, profile = _profile(read.answers, rounds, lang)
    priorities = _priorities(profile[profile["round"] == latest], lang)
    items = _priority_items([a for a in read.answers if a.round == latest], lang)
    tables = {
        "answers": answers,
        "distribution": distribution,
        "profile": profile,
        "priorities": priorities,
        "priority_items": items,
    }
    if len(rounds) > 1:
        tables["trend"] = _trend(profile, rounds, lang)
    latest_answers = [a for a in read.answers if a.round == latest]
    kpis: dict[str, Any] = {
        "rounds": len(rounds),
        "latest_round": latest,
        "respondents": len({(a.unit, a.respondent) for a in latest_answers}),
        "answers": len(latest_answers),
        "unanswered": read.unanswered,
    }
    for ins in instruments():
        top = priorities[priorities["instrument"] == ins.key]
        if not top.empty:
            kpis[f"first_{ins.key}"] = str(top.iloc[0]["area_id"])
    warnings_ = []
    if read.unanswered:
        warnings_.append(
            f"{read.unanswered} item(s) of named respondents have no answer (not counted)"
        )
    result = Result(
        "assessment",
        SolveStatus.OPTIMAL,
        files[0].stem if len(files) == 1 else "assessment",
        "closed form",
        runtime_s=0.0,
        kpis=kpis,
        tables=tables,
        explanation=_explain(priorities, rounds, tables.get("trend"), lang),
        warnings=warnings_,
        extra={"lang": lang, "inputs": [str(p) for p in files], "rounds": rounds},
    )
    from pks_opt.assessment.charts import assessment_charts

    result.draw = lambda lang="en": assessment_charts(result)  # its own language
    return result


# --------------------------------------------------------------------------- tables


def _answers_table(answers: Sequence[Answer], lang: Lang) -> pd.DataFrame:
    rows = []
    for a in answers:
        ins = _ins(a.instrument)
        item = ins.item(a.item_id)
        assert item is not None
        opt = ins.option(a.answer)
        rows.append(
            {
                "round": a.round,
                "instrument": a.instrument,
                "respondent": a.respondent,
                "unit": a.unit,
                "date": a.date,
                "item_id": a.item_id,
                "area_id": item.area,
                "answer": opt.text(lang),
                "answer_key": opt.key,
                "score": opt.score if opt.score is not None else math.nan,
                "band": opt.band,
                "file": a.file,
                "sheet": a.sheet,
                "row": a.row,
            }
        )
    return pd.DataFrame(rows)


def _ins(key: str) -> Instrument:
    return next(i for i in instruments() if i.key == key)


def _stats(ins: Instrument, answers: Sequence[Answer], items: Sequence[Item]) -> dict[str, Any]:
    """Distribution, shares, score, agreement and spread of ``answers`` to ``items``."""
    n = len(answers)
    counts = Counter(a.answer for a in answers)
    bands = Counter(ins.option(a.answer).band for a in answers)
    scores = [s for a in answers if (s := ins.option(a.answer).score) is not None]
    agreement, spread = [], []
    for item in items:
        mine = [a.answer for a in answers if a.item_id == item.id]
        if len(mine) >= 2:
            agreement.append(Counter(mine).most_common(1)[0][1] / len(mine))
        sc = [s for k in mine if (s := ins.option(k).score) is not None]
        if len(sc) >= 2:
            spread.append(max(sc) - min(sc))
    score = sum(scores) / len(scores) if scores else math.nan
    return {
        "answers": n,
        "counts": counts,
        "develop_share": bands["develop"] / n if n else math.nan,
        "analyse_share": bands["analyse"] / n if n else math.nan,
        "maintain_share": bands["maintain"] / n if n else math.nan,
        "dont_know": counts.get("dont_know", 0),
        "score_mean": score,
        "score_pct": 100 * score / ins.max_score if scores else math.nan,
        "agreement": sum(agreement) / len(agreement) if agreement else math.nan,
        "spread": sum(spread) / len(spread) if spread else math.nan,
    }


def _band(stats: dict[str, Any]) -> str:
    if stats["develop_share"] > 0:
        return "develop"
    return "analyse" if stats["analyse_share"] > 0 else "maintain"


def _rank_key(stats: dict[str, Any], order: int) -> tuple[float, float, float, int]:
    """Key an area or item by the seeds' rule.

    Develop-first share, then analyse share (both highest first), then the lower score (no
    score first), then the seed's order.
    """
    score = stats["score_pct"]
    return (
        -stats["develop_share"],
        -stats["analyse_share"],
        -1.0 if math.isnan(score) else score,
        order,
    )


def _profile(
    answers: Sequence[Answer], rounds: list[str], lang: Lang
) -> tuple[pd.DataFrame, pd.DataFrame]:
    dist_rows: list[dict[str, Any]] = []
    prof_rows: list[dict[str, Any]] = []
    for rnd in rounds:
        for ins in instruments():
            mine = [a for a in answers if a.round == rnd and a.instrument == ins.key]
            if not mine:
                continue
            area_rows = []
            for order, area in enumerate(ins.areas):
                got = [a for a in mine if _area_of(ins, a) == area.id]
                if not got:
                    continue
                st = _stats(ins, got, area.items)
                for opt in ins.scale:
                    dist_rows.append(
                        {
                            "round": rnd,
                            "instrument": ins.key,
                            "area_id": area.id,
                            "area": area.text(lang),
                            "answer": opt.text(lang),
                            "answer_key": opt.key,
                            "band": opt.band,
                            "n": st["counts"].get(opt.key, 0),
                            "share": round(st["counts"].get(opt.key, 0) / st["answers"], 4),
                        }
                    )
                area_rows.append((_rank_key(st, order), area, st, got))
            for rank, (_, area, st, got) in enumerate(
                sorted(area_rows, key=lambda r: r[0]), start=1
            ):
                prof_rows.append(
                    {
                        "round": rnd,
                        "instrument": ins.key,
                        "area_id": area.id,
                        "area": area.text(lang),
                        "respondents": len({(a.unit, a.respondent) for a in got}),
                        "answers": st["answers"],
                        "develop_share": round(st["develop_share"], 4),
                        "analyse_share": round(st["analyse_share"], 4),
                        "maintain_share": round(st["maintain_share"], 4),
                        "dont_know": st["dont_know"],
                        "score_mean": _r(st["score_mean"], 3),
                        "score_pct": _r(st["score_pct"], 1),
                        "agreement": _r(st["agreement"], 3),
                        "spread": _r(st["spread"], 2),
                        "band": _band(st),
                        "priority": BAND_TEXT[_band(st)][lang],
                        "rank": rank,
                        "order": next(i for i, a in enumerate(ins.areas) if a.id == area.id),
                    }
                )
    profile = pd.DataFrame(prof_rows)
    profile = (
        profile.sort_values(
            ["round", "instrument", "order"],
            kind="stable",
            key=lambda c: c.map(_instrument_order) if c.name == "instrument" else c,
        )
        .drop(columns="order")
        .reset_index(drop=True)
    )
    return pd.DataFrame(dist_rows), profile


def _instrument_order(key: str) -> int:
    return [i.key for i in instruments()].index(key)


def _area_of(ins: Instrument, a: Answer) -> str:
    item = ins.item(a.item_id)
    assert item is not None
    return item.area


def _r(x: float, digits: int) -> float:
    return x if math.isnan(x) else round(x, digits)


def _links(area_or_item: Area | Item, lang: Lang) -> tuple[str, str]:
    caps = capabilities()
    labels = list(dict.fromkeys(caps[c].label() for c in area_or_item.capabilities))
    if isinstance(area_or_item, Area):
        src = sources()
        see = "; ".join(src[s].label(lang) for s in area_or_item.see)
    else:
        see = area_or_item.seed
    return "; ".join(labels), see


def _priorities(latest: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    rows = []
    for _, r in latest.sort_values(
        ["instrument", "rank"],
        key=lambda c: c.map(_instrument_order) if c.name == "instrument" else c,
    ).iterrows():
        ins = _ins(r["instrument"])
        area = ins.area(r["area_id"])
        caps, see = _links(area, lang)
        rows.append(
            {
                "instrument": r["instrument"],
                "rank": r["rank"],
                "area_id": r["area_id"],
                "area": r["area"],
                "priority": r["priority"],
                "band": r["band"],
                "develop_share": r["develop_share"],
                "analyse_share": r["analyse_share"],
                "score_pct": r["score_pct"],
                "agreement": r["agreement"],
                "respondents": r["respondents"],
                "answers": r["answers"],
                "capabilities": caps,
                "see": see,
                "seed": ins.seed,
            }
        )
    return pd.DataFrame(rows)


def _priority_items(answers: Sequence[Answer], lang: Lang) -> pd.DataFrame:
    rows = []
    for ins in instruments():
        ranked = []
        for order, item in enumerate(ins.items):
            got = [a for a in answers if a.instrument == ins.key and a.item_id == item.id]
            if not got:
                continue
            st = _stats(ins, got, [item])
            if _band(st) == "maintain":
                continue
            ranked.append((_rank_key(st, order), item, st))
        for rank, (_, item, st) in enumerate(sorted(ranked, key=lambda r: r[0]), start=1):
            caps, seed = _links(item, lang)
            words = ", ".join(
                f"{ins.option(o.key).text(lang)} {st['counts'][o.key]}"
                for o in ins.scale
                if st["counts"].get(o.key)
            )
            rows.append(
                {
                    "instrument": ins.key,
                    "rank": rank,
                    "item_id": item.id,
                    "area_id": item.area,
                    "text": item.text(lang),
                    "priority": BAND_TEXT[_band(st)][lang],
                    "band": _band(st),
                    "answers": words,
                    "develop_share": round(st["develop_share"], 4),
                    "analyse_share": round(st["analyse_share"], 4),
                    "score_pct": _r(st["score_pct"], 1),
                    "capabilities": caps,
                    "seed": seed,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "instrument",
            "rank",
            "item_id",
            "area_id",
            "text",
            "priority",
            "band",
            "answers",
            "develop_share",
            "analyse_share",
            "score_pct",
            "capabilities",
            "seed",
        ],
    )


def _trend(profile: pd.DataFrame, rounds: list[str], lang: Lang) -> pd.DataFrame:
    """Set each round's score and develop-first share per area side by side.

    With the change from the first round the area was answered in to the latest.
    """
    rows = []
    for ins in instruments():
        for area in ins.areas:
            mine = profile[(profile["instrument"] == ins.key) & (profile["area_id"] == area.id)]
            if mine.empty:
                continue
            row: dict[str, Any] = {
                "instrument": ins.key,
                "area_id": area.id,
                "area": area.text(lang),
            }
            by_round = mine.set_index("round")
            for rnd in rounds:
                row[f"score_pct {rnd}"] = (
                    by_round.at[rnd, "score_pct"] if rnd in by_round.index else math.nan
                )
            for rnd in rounds:
                row[f"develop_share {rnd}"] = (
                    by_round.at[rnd, "develop_share"] if rnd in by_round.index else math.nan
                )
            first, last = mine.iloc[0], mine.iloc[-1]
            row["score_change"] = _r(float(last["score_pct"]) - float(first["score_pct"]), 1)
            row["develop_share_change"] = round(
                float(last["develop_share"]) - float(first["develop_share"]), 4
            )
            rows.append(row)
    return pd.DataFrame(rows)


def _explain(
    priorities: pd.DataFrame, rounds: list[str], trend: pd.DataFrame | None, lang: Lang
) -> list[str]:
    lines = [
        f"round {rounds[-1]}"
        + (f" (earlier: {', '.join(rounds[:-1])})" if len(rounds) > 1 else "")
        + ": areas ranked by the seeds' rule (develop first: 'inte alls'/'vet ej', "
        "then 'delvis')"
    ]
    for _, r in priorities.iterrows():
        if r["rank"] > 3:
            continue
        score = "-" if pd.isna(r["score_pct"]) else f"{r['score_pct']:.0f} %"
        lines.append(
            f"{r['instrument']} #{r['rank']} {r['area_id']} {r['area']} — {r['priority']} "
            f"(develop {r['develop_share']:.0%}, analyse {r['analyse_share']:.0%}, "
            f"score {score}) → {'; '.join(r['capabilities'].split('; ')[:4])}; see {r['see']}"
        )
    if trend is not None:
        for key in dict.fromkeys(trend["instrument"]):
            t = trend[(trend["instrument"] == key) & trend["score_change"].notna()]
            if t.empty:
                continue
            big = t.loc[t["score_change"].abs().idxmax()]
            up, down = int((t["score_change"] > 0).sum()), int((t["score_change"] < 0).sum())
            lines.append(
                f"trend {key} {' → '.join(rounds)}: score up in {up}, down in {down} of "
                f"{len(t)} areas; largest change {big['area_id']} {big['score_change']:+.0f} points"
            )
    return lines

"""The explanation lines of the whole chain (the demo's cycle, re-plan, matrix, roster,
forecast, follow-ups and assessment) in Swedish through the catalogue: each line shape is a
key with parameters (messages/explain_patterns.yaml → explain.<key>), none left in English."""

from __future__ import annotations

import pytest

from pks_opt.report.html import explain
from pks_opt.report.html.i18n import Messages

#: one line of each shape, as `pks demo` writes them (result.json "explanation"/"warnings")
DEMO_LINES = [
    "handshake 2: MEDCLIN accepted, ORT accepted",
    "handshake 1: MEDCLIN raised 5 request(s); the balance was redone",
    "the handshake agrees the plan year only; after it the balance puts goals well above need on "
    "units of the cycle, not yet checked by their plans: MEDCLIN allergy 2028Q1 1224 (need 408), "
    "MEDCLIN other 2028Q4 612 (need 306) and 3 more",
    "MEDCLIN specialists: 10 FTE for the agreed mission in 2027Q1, 9.5 today (+0.5)",
    "re-plan from week 21: weeks 1–20 are the actuals (5318 produced against 5395 planned)",
    "cardio: weeks 21–52 1422 against 1420 in the original plan (+2)",
    "[normal] gastro (priority 2) needs 56 sessions a week, gets 15 (41 short): rooms with "
    "endoscopy have 20 open sessions a week; gastro needs 56 physician sessions a week; 18 able "
    "to do it are available, 2 of these go to other",
    "[normal] diabetes (priority 2) needs 33 sessions a week, gets 30 (3 short): the rooms and "
    "staff it could use go to same-day work, pinned cells or activities of higher or equal "
    "priority (neuro 19, cardio 17, gastro 15, other 7); the clinic has 88 open room sessions a "
    "week for 260 needed",
    "[summer] other (priority 3) needs 50 sessions a week, gets 17 (33 short): other needs 50 "
    "physician sessions a week; 36 able to do it are available, 9 of these go to cardio, 1 of "
    "these goes to gastro",
    "[normal] allergy (priority 3) needs 3 sessions a week, gets 0 (3 short): the rooms and staff "
    "it could use go to same-day work, pinned cells or activities of higher or equal priority (); "
    "the clinic has 88 open room sessions a week for 258 needed",
    "Tuesday: gastro needs 1 same-day session, gets 0 (1 short): rooms with endoscopy have 0 open "
    "sessions on Tuesday; the at-most rules allow 0 gastro sessions on Tuesday",
    "cardio (priority 1) needs 1 session a week, gets 0 (1 short): the rooms and physician are "
    "free together in only 0 sessions a week",
    "[summer] neuro: 9 sessions × 4 patients take 36 a week; the plan asks 82 in week 33 and more "
    "than 36 in 6 of 8 'summer' week(s) (27–31, 33) — 46 patients a week short of the plan "
    "(feedback.csv)",
    "week 2027-W35: tier 2 named staff not on the shifts the matrix gave them: neuro2 on "
    "2027-09-01 (1 absent: course), neuro2 on 2027-09-02 (1 absent: course)",
    "back-test: last 26 weeks held out; MASE < 1 beats the seasonal naive forecast",
    "MEDCLIN gastro 2027Q2 (weeks 14–20): inflow +21% against the balance's need (+58 patients), "
    "production +20% against the goal to date (+55 activities); at this rate the 2027Q2 goal of "
    "510 is passed by 103 (comment: new referral stream from primary care)",
    "MEDCLIN nurse_h 2027Q1 (weeks 1–13): available +61% against the balanced capacity "
    "(+982 hours)",
    "goal and need to date are the quarter's × the share of its 13 weeks with actuals (the "
    "strategic goals have no weekly shape)",
    "capacity of MEDCLIN not followed up at this level: room is not a resource of the balance "
    "(nurse_h, physician_h)",
    "weeks 10–20: gastro inflow +14% against the forecast (+62 patients), waiting list +63 "
    "against the forecast queue (comment: new referral stream from primary care)",
    "week 14: nurse available hours -25% against the plan (-158 h)",
    "diabetes: at the rate of weeks 1–20 (96% of the plan) the plan's goal is missed by 119 "
    "(projected 2997 of 3116)",
    "2026-04-08 E: USK cover 1 of 2 asked (tier 1): USK04 moved to D — no replacement (comment: "
    "USK04: swapped with the morning)",
    "2026-04-06 N: SSK cover 1 of 2 asked (tier 1); rostered 1: short in the roster already",
    "round 2026-03-12 (earlier: 2025-03-13): areas ranked by the seeds' rule (develop first: "
    "'inte alls'/'vet ej', then 'delvis')",
    "trend checklist 2025-03-13 → 2026-03-12: score up in 9, down in 0 of 9 areas; largest "
    "change D7 +44 points",
    # the balance's scenario demand_up, a roster and a matrix that found nothing in time
    "2 acute activities of med_admission at MED lack capacity within the dimensioning level (a "
    "dimensioning gap to close, not unmet need); limiting: MED nurse_h 2027Q3, MED physician_h "
    "2027Q3",
    "3 activities of hernia_op at KIR stay unmet; the budget or purchase capacity limits",
    "the budget of RTG is fully used (61 200 000 SEK)",
    "no roster found within the time limit; raise --time-limit",
    "[christmas] no matrix found within the time limit; raise --time-limit",
]


@pytest.mark.parametrize("text", DEMO_LINES)
def test_every_demo_line_shape_is_translated(text: str) -> None:
    sv = explain.line(text, Messages("sv"))
    assert not sv.untranslated, text
    en = explain.line(text, Messages("en"))
    assert not en.untranslated
    # the English template says what the level wrote (numbers and terms made readable)
    assert en.text.split(" ")[0].lower() in text.lower() or en.text.startswith("[")


def test_clauses_are_translated_one_by_one() -> None:
    m = Messages("sv")
    assert explain.line(DEMO_LINES[1], m).text == (
        "handslag 1: MEDCLIN begärde ny överenskommelse i 5 fall; balanseringen gjordes om"
    )
    assert explain.line(DEMO_LINES[6], m).text == (
        "[normalvecka] gastro (prioritet 2) behöver 56 pass i veckan, får 15 (41 saknas): rum med "
        "endoscopy har 20 lediga pass i veckan; gastro behöver 56 pass med läkare i veckan; 18 "
        "som kan utföra det finns tillgängliga, 2 av dessa går till other"
    )
    # the planner's comment stays as written, in a Swedish frame
    assert explain.line(DEMO_LINES[19], m).text.endswith(
        "(kommentar: new referral stream from primary care)"
    )
    assert explain.line(DEMO_LINES[2], m).text.endswith(
        "MEDCLIN other 2028Q4 612 (vårdbehov 306) och 3 till"
    )


def test_a_clause_no_pattern_knows_leaves_the_line_marked_untranslated() -> None:
    line = explain.line("handshake 3: MEDCLIN went fishing", Messages("sv"))
    assert line.untranslated


def test_enumerated_table_values_in_swedish() -> None:
    # the tables keep the levels' English values; the report shows the catalogue's words
    from pks_opt.report.html.build import value_text

    m = Messages("sv")
    assert value_text("tier_name", "planned patient work", m) == "planerat patientarbete"
    assert value_text("tier_name", "other work", m) == "övrigt arbete"
    assert value_text("action_name", "buy care", m) == "köpa vård"
    assert value_text("action_name", "move capacity", m) == "omfördela kapacitet"
    assert value_text("action_name", "prioritise: not given", m) == "prioritera: ges inte"
    assert value_text("action_name", "shift_in_time", m) == "flytta kapacitet över tid"
    assert value_text("Fri", "closed", m) == "stängt"
    assert value_text("Mon", "absent", m) == "frånvarande"
    assert value_text("status", "accepted", m) == "godkänd"
    assert value_text("to", "round 2, handshake 2", m) == "omgång 2, handslag 2"
    assert value_text("why", "re-balanced around the feedback", m) == (
        "ombalanserat utifrån återkopplingen"
    )
    assert value_text(
        "why",
        "MEDCLIN's plan: 0 achievable of 408 (the goals of 2027Q1 need 1632 h of nurse "
        "(nurse_h), the unit has 1200 h; physician fully used in 12 of 13 weeks)",
        m,
    ) == (
        "produktionsplanen för MEDCLIN: 0 möjliga av 408 (målen för 2027Q1 kräver 1\u00a0632 "
        "timmar sjuksköterska (sjukskötersketimmar), enheten har 1\u00a0200 timmar; läkare fullt "
        "använd i 12 av 13 veckor)"
    )
    assert value_text("need_source", "instance", m) == "underlaget"
    # a folder path stays the folder's name
    assert value_text("balance", "round2/handshake-2/balance", m) == "round2/handshake-2/balance"
    # English stays as the level wrote it
    assert value_text("action_name", "buy care", Messages("en")) == "buy care"

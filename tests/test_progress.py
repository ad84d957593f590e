"""Progress in plain words (pks_opt.progress): stage words, the live line and its plain-line
form when stderr is not a terminal (as under pytest)."""

from __future__ import annotations

from pks_opt import progress


def test_stage_words_are_plain() -> None:
    assert (
        progress.stage_words("priority 2 goals") == "priority 2: visits short of the agreed goals"
    )
    assert progress.stage_words("tier-1 shortfall") == "acute minimum short"
    assert progress.stage_words("room-fit") == "rooms used beyond their best fit"
    assert progress.stage_words("something new") == "something new"


def test_live_line_in_plain_words_without_a_terminal() -> None:
    lines: list[str] = []
    with progress.to(lines.append), progress.live("Laying the roster", 60):
        progress.working_on("start")
        progress.best_so_far("tier-1 shortfall", 12, 9)
        progress.best_so_far("tier-1 shortfall", 11, 9)  # within 2 s of the last line: held
    assert len(lines) == 1
    line = lines[0]
    # (12 - 9) / 12 = 25 % from the best possible
    assert line.strip().startswith("Laying the roster… acute minimum short: best so far 12, ")
    assert "at most 25 % from the best possible" in line and line.endswith("of 60 s")
    for word in ("LNS", "incumbent", "bound", "cp-sat", "highs", "tier"):
        assert word.lower() not in line.lower()


def test_bound_zero_and_proven() -> None:
    state = progress._Live("Planning weeks", None, lambda _l: None, tty=True)
    state.update("priority 1", 730, 0)
    assert "best so far 730, cannot be better than 0," in state.line()
    state.update("priority 1", 5, 5)
    assert "best so far 5, proven best," in state.line()
    assert " of " not in state.line()  # no limit given


def test_nothing_without_a_sink() -> None:
    with progress.to(None), progress.live("Planning weeks", 10):
        progress.best_so_far("priority 1", 3)  # no error, nowhere to print


def test_a_log_gets_a_line_every_two_seconds_while_nothing_is_found() -> None:
    """Without a terminal a silent search still prints: a heartbeat line every REFRESH_S.

    A 5.2 s block with no solution reported: lines at about 1 s (FIRST_LINE_S), 3 s and 5 s;
    none in its first half second, so a quick solve prints none. Under load a beat may come
    late: at least 2, at most 3.
    """
    import time

    lines: list[str] = []
    with progress.to(lines.append), progress.live("Planning weeks", 20):
        progress.working_on("priority 1")
        time.sleep(0.5)
        assert lines == []
        time.sleep(4.7)
    assert 2 <= len(lines) <= 3
    assert lines[0].strip().startswith("Planning weeks… priority 1")
    assert lines[0].endswith("of 20 s")
    n = len(lines)
    time.sleep(2.5)  # the block has ended: the heartbeat has stopped
    assert len(lines) == n

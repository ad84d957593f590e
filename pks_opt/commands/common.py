"""What every `pks` command shares: output options, error handling, summary and exit codes.

Exit codes: 0 solved (OPTIMAL or FEASIBLE), 1 infeasible or no solution in time (the
explanation is printed), 2 bad input or usage (one line naming file, row and field) or an
output location that cannot be written, 130 interrupted (SIGINT/SIGTERM; see
:mod:`pks_opt.interrupt`).
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from pks_opt import interrupt, progress
from pks_opt.errors import InputError, InputWarning, OutputError
from pks_opt.result import EXIT_INTERRUPTED, Result, jsonable

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_NO_SOLUTION = 1
EXIT_BAD_INPUT = 2
# EXIT_INTERRUPTED = 130, from pks_opt.result


def lang_option(f: F) -> F:
    """Add ``--lang sv|en``: the language of the summary, the charts and the report.

    The terminal summary, the PNG charts and (``pks report``, ``pks demo``) the report; read
    with :func:`current_lang`. Default ``en``.
    """
    from pks_opt.i18n import DEFAULT_LANG, LANGUAGES

    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        default=DEFAULT_LANG,
        show_default=True,
        expose_value=False,
        is_eager=True,
        callback=_remember_lang,
        help="Language of the summary printed, the charts and the report (sv: Swedish).",
    )(f)


def _remember_lang(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta["pks.lang"] = value
    return value


def current_lang() -> str:
    """Read the command's ``--lang`` (``en`` outside a command or without the option)."""
    from pks_opt.i18n import DEFAULT_LANG

    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get("pks.lang", DEFAULT_LANG)) if ctx is not None else DEFAULT_LANG


def output_options(f: F) -> F:
    """``--out DIR``, ``--excel``, ``--csv-dialect`` and ``--json`` for every solving command."""
    f = click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the result envelope as JSON on stdout instead of the summary.",
    )(f)
    f = click.option(
        "--excel", is_flag=True, help="Also write all tables to one tables.xlsx in --out."
    )(f)
    f = click.option(
        "--csv-dialect",
        type=click.Choice(["comma", "sv"]),
        default="comma",
        expose_value=False,
        callback=_remember_dialect,
        help="sv: write the CSV tables as Swedish Excel opens them (';', decimal comma). "
        "Default: the instance's csv_dialect (instance.yaml), else comma.",
    )(f)
    f = click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder for result.json, the CSV tables and PNG charts.",
    )(f)
    return f


def _remember_dialect(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    ctx.meta["pks.csv_dialect"] = value
    return value


def _csv_dialect() -> str:
    ctx = click.get_current_context(silent=True)
    return str(ctx.meta.get("pks.csv_dialect", "comma")) if ctx is not None else "comma"


def milp_solver_option(f: F) -> F:
    """``--solver highs|cbc`` for the MILP levels (see :mod:`pks_opt.milp`)."""
    from pks_opt.milp import DEFAULT_MILP_BACKEND, MILP_BACKENDS

    return click.option(
        "--solver",
        type=click.Choice(MILP_BACKENDS, case_sensitive=False),
        default=DEFAULT_MILP_BACKEND,
        show_default=True,
        help="MILP backend.",
    )(f)


def handles_input_errors(f: F) -> F:
    """Report input and output errors as one line on stderr with exit code 2; print warnings.

    :class:`InputError`, and :class:`OutputError` (an output location that cannot be
    written).

    The error is the last line on stderr: input warnings found before it (a column not used,
    which may be the misspelt column the error is about) are printed above it.

    With ``--out``, the folder is claimed before the command runs
    (:func:`pks_opt.report.claim.claim_out`): not an input or inside one, new, empty or an
    earlier result folder, and locked against a second run.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caught: list[warnings.WarningMessage] = []
        error: str | None = None
        try:
            with warnings.catch_warnings(record=True) as recorded:
                warnings.simplefilter("always", InputWarning)
                try:
                    _dialect_from_instance(kwargs.get("instance"))
                    quiet = bool(kwargs.get("as_json") or kwargs.get("quiet"))
                    with interrupt.installed(), progress.to(None if quiet else _to_stderr):
                        out = kwargs.get("out")
                        if not isinstance(out, Path):
                            return f(*args, **kwargs)
                        from pks_opt.report.claim import claim_out

                        with claim_out(out, _input_paths(kwargs)):
                            return f(*args, **kwargs)
                except (InputError, OutputError) as exc:
                    error = one_line(f"error: {exc}")  # after the warnings: the last line
                    sys.exit(EXIT_BAD_INPUT)
                except interrupt.Interrupted as exc:
                    click.echo(f"interrupted by {exc.signame}: stopped, nothing written", err=True)
                    sys.exit(EXIT_INTERRUPTED)
                finally:
                    caught = list(recorded)
        finally:
            interrupt.hold_if_exiting()  # a second Ctrl-C's exit 130 ends the process, not us
            # shown once the recording has ended: inside it, showwarning appends to the very
            # list being read (a loop without end)
            for w in caught:
                if issubclass(w.category, InputWarning):
                    click.echo(one_line(f"warning: {w.message}"), err=True)
                else:
                    warnings.showwarning(
                        w.message, w.category, w.filename, w.lineno, w.file, w.line
                    )
            if error is not None:
                click.echo(error, err=True)

    return wrapper  # type: ignore[return-value]


#: share of a wall-clock --time-limit kept for writing the result with --out (tables, charts,
#: workbook: about 1.8 s for ward-roster's), at most WRITING_CAP_S
WRITING_SHARE = 0.1
WRITING_CAP_S = 2.0


def wall_clock_left(time_limit: float, *, writing: bool = False) -> float:
    """Count a wall-clock ``--time-limit`` from pressing Enter, never below half the limit.

    The limit less the seconds this program has already run (Python's start and the imports:
    about 1 s, several on a busy machine); a solve still gets time on a slow start. Linux only
    (``/proc``); elsewhere the limit stands as given. ``writing``: the result is written after
    the solve (``--out``), so ``WRITING_SHARE`` of the limit (at most ``WRITING_CAP_S``) is
    kept for that too.
    """
    keep = min(WRITING_SHARE * time_limit, WRITING_CAP_S) if writing else 0.0
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        start_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])  # field 22: starttime
        ran = max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        ran = 0.0
    return max(time_limit / 2, time_limit - ran - keep)


def one_line(text: str) -> str:
    r"""Make ``text`` safe for one terminal line.

    A control character quoted from a bad cell (``\x1c``, a line break, an escape sequence) is
    shown escaped, not acted on.
    """
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _dialect_from_instance(instance: Any) -> None:
    """Take the result's CSV dialect from the instance when the command line sets none.

    The instance's ``csv_dialect`` (its ``instance.yaml`` or workbook) decides how the result's
    CSV tables are written.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None or not isinstance(instance, Path):
        return
    source = ctx.get_parameter_source("csv_dialect")
    if source is not None and source is not click.core.ParameterSource.DEFAULT:
        return
    from pks_opt.convert import instance_csv_dialect

    dialect = instance_csv_dialect(instance)
    if dialect is not None:
        ctx.meta["pks.csv_dialect"] = dialect


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)


def _input_paths(kwargs: Mapping[str, Any]) -> list[Path]:
    """Every path argument but ``out``: the inputs --out must stay clear of."""
    paths: list[Path] = []
    for key, value in kwargs.items():
        if key == "out":
            continue
        for v in value if isinstance(value, tuple | list) else [value]:
            if isinstance(v, Path):
                paths.append(v)
    return paths


def finish(
    result: Result,
    *,
    out: Path | None,
    excel: bool,
    as_json: bool,
    summary: Callable[[Result, str], list[str]] | None = None,
    subfolders: Mapping[str, Path] | None = None,
    compared: bool = False,
) -> None:
    """Write outputs, print the summary (or the JSON envelope) and exit with the status code.

    ``compared``: the run is a base with scenarios (``--scenario``); the summary is then what
    changed against the base (:func:`comparison_summary`), not the base's own.

    A run stopped by SIGINT/SIGTERM is marked INTERRUPTED (its best solution so far kept),
    written only with --out — its tables and result.json, not its charts (drawing them took
    1–2 s of the stop) — and exits 130.
    """
    from pks_opt.i18n import messages
    from pks_opt.report.output import write_result

    lang = current_lang()
    signame = interrupt.requested()
    if signame is not None:
        result = result.interrupted(signame, interrupt.seconds_since_start())
    if out is not None:
        # drawing and writing take seconds (a plan's 14-panel chart): a log line after 1 s and
        # then every 2 s (a write that fails at once prints only its one error line)
        with progress.live("Writing the result (tables and charts)"):
            # the level's own charts (none without a solution); not after a stop signal
            figures = result.charts(lang) if signame is None else {}
            envelope = write_result(
                result,
                out,
                excel=excel,
                charts=figures,
                replace=True,
                subfolders=subfolders,
                part_charts=signame is None,
                csv_dialect=_csv_dialect(),
                lang=lang,
            )
    else:
        envelope = result.envelope({name: f"{name}.csv" for name in result.tables})
    if as_json:
        click.echo(json.dumps(envelope, indent=2, ensure_ascii=False))
    else:
        if compared and result.parts:
            for line in comparison_summary(result, out, lang):
                click.echo(line)
        else:
            for line in summary_lines(result, out, lang):
                click.echo(line)
            if summary is not None and result.has_solution:
                for line in summary(result, lang):
                    click.echo(line)
        if out is None and result.tables:
            click.echo(
                messages(lang).text(
                    "summary", "nothing_written", n=len(result.tables), kind=result.kind
                )
            )
    sys.exit(max([result.status.exit_code, *(p.status.exit_code for p in result.parts.values())]))


def summary_lines(result: Result, out: Path | None, lang: str = "en") -> list[str]:
    """Write the generic head of every summary: status, objective, bound, time, KPIs, explanation.

    In English (the default) the machine's words as before (status ``OPTIMAL``, KPI keys,
    explanation lines as the level wrote them); in another language the catalogue's words:
    status, stage and KPI names, explanation lines and numbers as its readers write them.
    """
    from pks_opt.i18n import messages

    m = messages(lang)
    say = _Say(m)
    lines = _head_lines(result, lang)
    for st in result.stages:
        lines.append(
            m.text(
                "summary",
                "stage",
                name=say.stage(st.name),
                value=_fmt(st.objective, lang),
                proven=m.get("summary_stage_status", st.status.value, st.status.value.lower()),
                seconds=f"{st.runtime_s:.2f}".replace(".", say.point),
            )
        )
    if result.kpis:
        lines.append(m.text("summary", "kpis"))
        for k, v in jsonable(result.kpis).items():
            if not isinstance(v, dict | list):
                lines.append(m.text("summary", "kpi", name=say.kpi(k), value=_fmt(v, lang)))
    if result.explanation:
        from pks_opt.names import in_words

        # a roster's tiers by their names (the catalogue names them in another language)
        named = result.kind == "roster" and lang == "en"
        lines.append(m.text("summary", "explanation"))
        lines.extend(
            f"  {in_words(say.explain(e)) if named else say.explain(e)}" for e in result.explanation
        )
    if out is not None:
        lines.append(m.text("summary", "wrote", out=out, n=len(result.tables)))
    return lines


def _head_lines(result: Result, lang: str) -> list[str]:
    """Write the first lines of a summary: kind and instance, status, objective, bound, time.

    Then the warnings.
    """
    from pks_opt.i18n import messages

    m = messages(lang)
    say = _Say(m)
    lines = [m.text("summary", "head", kind=say.kind(result.kind), instance=result.instance)]
    if result.status.value == "INTERRUPTED":
        first = say.explain(result.explanation[0]) if result.explanation else ""
        lines.insert(0, m.text("summary", "interrupted", text=first))
    status = m.text("summary", "status", status=say.status(result.status.value))
    if math.isfinite(result.objective):
        status += m.text("summary", "objective", value=_fmt(result.objective, lang))
    if math.isfinite(result.bound) and result.has_solution:
        status += m.text("summary", "bound", value=_fmt(result.bound, lang))
        if math.isfinite(result.gap) and result.status.value == "FEASIBLE":
            status += m.text("summary", "gap", value=_fmt(round(100 * result.gap, 2), lang))
    status += m.text("summary", "time", value=f"{result.runtime_s:.2f}".replace(".", say.point))
    lines.append(status)
    lines += [m.text("summary", "warning", text=say.explain(w)) for w in result.warnings]
    return lines


def comparison_summary(result: Result, out: Path | None, lang: str = "en") -> list[str]:
    """Write the summary of a base run compared with its scenarios.

    The base's head (status, time, warnings), then what changed against the base
    (:func:`pks_opt.whatif.comparison_lines`) instead of the base's whole summary, which is
    in ``result.json`` (each scenario's in its sub-folder).
    """
    from pks_opt.i18n import messages
    from pks_opt.whatif import comparison_lines

    lines = _head_lines(result, lang) + comparison_lines(result, lang)
    if out is not None:
        lines.append(messages(lang).text("summary", "wrote", out=out, n=len(result.tables)))
    return lines


class _Say:
    """Names in a summary: the machine's own in English, the catalogue's in another language.

    The English terminal output stays what scripts, tests and docs quote.
    """

    def __init__(self, m: Any) -> None:
        self.m = m
        self.plain = m.lang == "en"
        self.point = "." if self.plain else ","

    def kind(self, kind: str) -> str:
        return kind if self.plain else self.m.get("kinds", kind, default=kind)

    def status(self, value: str) -> str:
        return value if self.plain else self.m.get("status", value, default=value)

    def kpi(self, key: str) -> str:
        return key if self.plain or not self.m.has("kpis", key) else self.m.get("kpis", key)

    def stage(self, name: str) -> str:
        if self.plain:
            return name
        from pks_opt.report.html.explain import stage_name

        return stage_name(name, self.m)

    def explain(self, text: str) -> str:
        if self.plain:  # as the level wrote it, but no solver names (capacity[KIR,or_h,2027Q3])
            from pks_opt.report.html.fmt import solver_names

            return solver_names(str(text))
        from pks_opt.report.html.explain import line

        return line(str(text), self.m).text


#: a summary number smaller than this prints as 0
ROUNDS_TO_ZERO = 1e-6


def _fmt(v: Any, lang: str = "en") -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        if abs(v) < ROUNDS_TO_ZERO:  # solver noise (1e-07) is 0 to a planner
            v = 0.0
        # 1 000 and above whole (1 953 activity-periods, 6 000 000 SEK), else 4 digits
        text = f"{v:,.0f}".replace(",", " ") if abs(v) >= 1000 else f"{v:.4g}"
        return text if lang == "en" else text.replace(".", ",")
    return str(v)

"""``dvclean check`` (the CI data-quality gate) and ``dvclean report`` (the HTML report).

Thin wiring: options -> :func:`dvclean.score` -> :func:`dvclean.check.evaluate_check`
-> a renderer of :mod:`dvclean.report.formats`; the exit code comes from the
outcome (0 pass/warn, 1 fail; ``--exit-zero`` forces 0) and from the single
error boundary :func:`~dvclean.cli.commands.guarded` (2 usage/input, 3 internal).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from ._config import configurable, once_each
from ._scoring import Scoring, scoring_options
from .commands import (
    NULL_VALUES_HELP,
    app,
    check_distinct_outputs,
    check_target,
    given_on_command_line,
    guarded,
    read_inputs,
    read_options,
)

CHECK_EXIT_HELP = """\
Exit codes: 0 every check passed (warnings allowed); 1 a check failed (0 with --exit-zero);
2 usage, configuration or input error; 3 internal error (please report).
"""

_THRESHOLD = "a row count (20) or a percentage (2%)"

CHECK_QUIET_HELP = (
    "Print nothing but errors: no progress, notes or check lines (the exit code tells pass or fail; --junit-xml, "
    "--report and $GITHUB_STEP_SUMMARY are still written, and a format given with --format or --json still prints)."
)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    markdown = "markdown"


def _gate_each(
    files: list[str], *, report: Path | None, junit_xml: Path | None, baseline: Path | None, show_config: bool,
    machine: bool, read: list[Any] | None = None,
) -> None:
    """Run ``check`` on each of several files with the other arguments as typed; exit with the worst code.

    Each file is gated as if it were checked alone (its own configuration file, its own lines of
    output); a file that cannot be read (exit 2) or an internal error (3) outranks a failed
    gate (1). ``--junit-xml`` writes one document with a ``<testsuite>`` per file (a file whose run
    ended in an error, exit 2 or 3, is a suite with one ``<error>``), once every file is gated.
    Outputs that hold one file's result are refused: ``--report``, ``--baseline``, a JSON or
    Markdown document, ``--show-config``; and stdin (``-``). ``read``: the files the command read besides the
    data (``--valid``, the configuration files), which the JUnit document must not replace, nor any file a
    file's run reads (its own configuration file): checked again before it is written.
    """
    from typer._click.exceptions import ClickException
    from typer._click.globals import get_current_context

    from ..errors import ConfigError
    from ..report.formats import MAX_ANNOTATIONS
    from ._output import (
        INTERNAL_OUTPUTS,
        LAST_ERRORS,
        mark_interrupt_reported,
        note_committed,
        signals_received,
        start_run,
    )

    shared = [name for name, given in (("--report", report), ("--baseline", baseline),
                                       ("--show-config", show_config), ("--format json/markdown", machine)) if given]
    if _GATING:  # (a nested run that still sees several files: the arguments were misread; never recurse)
        raise ConfigError(f"cannot tell the data files from the options' values in: {' '.join(map(shlex.quote, files))}; "
                          "put the data files last, after --")
    if shared or "-" in files:
        what = ", ".join(shared) if shared else "stdin (-)"
        raise ConfigError(
            f"{len(files)} data files were given, and {what} takes one: run `dvclean check` once per file for it "
            "(several files are gated one after another with text or github output only)"
        )
    ctx = get_current_context()
    raw = ctx.meta.get(_RAW_ARGS, [])
    positions = _positional_positions(ctx.command, raw)
    rest = [tok for i, tok in enumerate(raw) if i not in positions]
    if junit_xml is not None:  # each file's run writes its own document aside; one is written from them at the end
        if str(junit_xml) != "-" and not junit_xml.is_dir():
            from ..io import resolve_output

            resolve_output(junit_xml, option="--junit-xml")
        check_target(junit_xml, [*files, *(read or [])], "--junit-xml")
        check_distinct_outputs({"--junit-xml": junit_xml})  # (a data file's suffix: .csv, .parquet, ...)
        rest = _without_option(rest, "--junit-xml")
    worst = 0
    codes: list[int] = []
    errors: list[str] = []  # (each file's error message, for its <error> in the JUnit document)
    _GATING.append(list(files))
    _ANNOTATIONS.update(dict.fromkeys(("error", "notice", "warning"), MAX_ANNOTATIONS))
    import tempfile

    parts = Path(tempfile.mkdtemp(prefix="dvclean-junit-")) if junit_xml is not None else None
    try:
        for i, path in enumerate(files):
            if signals_received():  # a signal between two files (recorded, not raised): this run's boundary reports it
                break
            _ANNOTATIONS["files"] = len(files) - i  # this one and those after it
            own = [] if parts is None else ["--junit-xml", str(parts / f"{i}.xml")]
            INTERNAL_OUTPUTS.update(own[1:])
            LAST_ERRORS.clear()
            try:
                code = ctx.command.main(args=[*rest, *own, "--", path], prog_name=ctx.command_path,
                                        standalone_mode=False) or 0
            except ClickException as exc:  # a usage error cannot differ between the files: stop at the first
                exc.show()
                raise typer.Exit(exc.exit_code) from None
            if code in (129, 130, 143):  # SIGHUP, Ctrl-C, SIGTERM: the file's run said so already; stop, silently
                start_run()  # (no signal left for this run's error boundary to report) ...
                mark_interrupt_reported()  # ... and none for the entry point either (start_run forgot it was said)
                raise typer.Exit(code)
            codes.append(code)
            errors.append(LAST_ERRORS[-1] if LAST_ERRORS and code >= 2 else "")
            worst = max(worst, code)  # 3 (internal error) > 2 (unreadable) > 1 (gate failed) > 0
        if parts is not None and len(codes) == len(files) and not signals_received():
            from ..errors import OutputError
            from ..io import atomic_path, expand_home, same_file
            from ..settings import CONFIG_NAME, PYPROJECT

            # (and every configuration file a file's run could have read: one that failed first registered none)
            found = [d / name for f in files if f != "-" for d in Path(os.path.abspath(expand_home(f))).parents
                     for name in (CONFIG_NAME, PYPROJECT) if (d / name).exists()]
            clash = next((p for p in [*_GATED_INPUTS, *found] if same_file(junit_xml, p)), None)
            if clash is not None:  # (a file's own configuration file, found next to it)
                raise OutputError(f"--junit-xml {junit_xml} is the input file {clash} (read by one of the files' "
                                  "checks); dvclean never overwrites its input: name another file, e.g. junit.xml")
            document = _merged_junit(files, [parts / f"{i}.xml" for i in range(len(files))], codes, errors)
            with atomic_path(junit_xml, option="--junit-xml") as tmp:
                tmp.write_bytes(document)
            note_committed(junit_xml)
    finally:
        _GATING.pop()
        _ANNOTATIONS.clear()
        _GATED_INPUTS.clear()
        if parts is not None:
            import shutil

            INTERNAL_OUTPUTS.clear()
            shutil.rmtree(parts, ignore_errors=True)
    if worst:
        raise typer.Exit(worst)


def _without_option(args: list[str], option: str) -> list[str]:
    """``args`` (options only, no data files) without ``option`` and its value (``--opt value`` or ``--opt=value``).

    >>> _without_option(["-y", "y", "--junit-xml", "j.xml", "--junit-xml=k.xml", "-q"], "--junit-xml")
    ['-y', 'y', '-q']
    """
    out: list[str] = []
    skip = False
    for tok in args:
        if skip:
            skip = False
        elif tok == option:
            skip = True
        elif not tok.startswith(option + "="):
            out.append(tok)
    return out


def _classname(path: str) -> str:
    """A JUnit classname for a data file: its path's parts as packages, each file name's dots as underscores.

    >>> _classname("d1/data.csv"), _classname("./a.b.csv")
    ('dvclean.check.d1.data_csv', 'dvclean.check.a_b_csv')
    """
    from ..report.formats import escape_controls

    parts = [p.replace(".", "_") for p in Path(path).parts if p not in (".", "/", "")]
    return "dvclean.check." + escape_controls(".".join(parts))


#: A one-file run's ``--junit-xml``, its data file and the checks the run makes of that path before it writes there:
#: an error (a missing baseline, an unreadable file, K above the rows) writes a document holding the error
#: (:func:`write_error_junit`), as a file of several does, instead of leaving an older run's "all passed" in place.
_JUNIT_ON_ERROR: list[tuple[Path, str, Callable[[], None]]] = []


def write_error_junit(code: int, message: str) -> None:
    """Write the JUnit document of a one-file ``check`` that ended in an error (exit ``code``, 2 or 3), if its
    ``--junit-xml`` passes the checks the run makes of it (:data:`_JUNIT_ON_ERROR`: a writable file, none of the
    run's inputs, not its ``--report``); one that does not, or a failure to write it, is left unsaid (the error on
    stderr is the one to tell)."""
    if not _JUNIT_ON_ERROR:
        return
    junit_xml, data, target_ok = _JUNIT_ON_ERROR.pop()
    _JUNIT_ON_ERROR.clear()
    from ..errors import DvcleanError
    from ..io import atomic_path
    from ._output import visible

    try:
        target_ok()
        document = _merged_junit([data], [Path()], [code], [visible(message)])  # (Path(): no part; the error suite)
        with atomic_path(junit_xml, option="--junit-xml") as tmp:
            tmp.write_bytes(document)
    except (OSError, DvcleanError):
        pass


def _merged_junit(files: list[str], parts: list[Path], codes: list[int], errors: list[str] | None = None) -> bytes:
    """One JUnit XML document of several files' check runs: each run's ``<testsuite>``, named by its file; a run that
    wrote none (it ended in an error, exit 2 or 3) is a suite holding one ``<testcase>`` with an ``<error>``, whose
    text is the run's error message (``errors``, one per file)."""
    import xml.etree.ElementTree as ET

    from ..report.formats import escape_controls

    root = ET.Element("testsuites", name="dvclean")
    for path, part, code, message in zip(files, parts, codes, errors or [""] * len(files), strict=True):
        suites = ET.parse(part).getroot() if part.is_file() else None
        found = suites.findall("testsuite") if suites is not None else []
        for suite in found:
            suite.set("name", escape_controls(path))
            for case in suite.iter("testcase"):  # (d1/data.csv and d2/data.csv: two classes, as CI viewers group them)
                case.set("classname", _classname(path))
            root.append(suite)
        if not found:
            where = "" if message else "; its message is in the log"
            why = (f"could not be checked (exit 2: a usage, configuration or input error{where})"
                   if code == 2 else f"ended in an internal error (exit {code}{where})")
            suite = ET.SubElement(root, "testsuite", name=escape_controls(path), tests="1", failures="0", errors="1",
                                  skipped="0", time="0.000")
            case = ET.SubElement(suite, "testcase", classname=_classname(path), name="run", time="0")
            error = ET.SubElement(case, "error", message=f"{escape_controls(path)} {why}", type=f"exit {code}")
            if message:
                error.text = escape_controls(message)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in root.findall("testsuite"))))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


#: What is left of one step's annotation budget (GitHub shows at most 10 of each kind per step) while
#: :func:`_gate_each` checks several files, and ``files``: how many of them have not printed theirs yet.
_ANNOTATIONS: dict[str, int] = {}


def _annotation_limits() -> dict[str, int] | None:
    """Per kind, the annotations this file may print: its failed checks as long as the step's budget lasts, less
    one kept for each file still to come (so that every file that fails has its ``::error``), its notes as long as
    the budget lasts, and an even share of the warnings left for the files still to come (so the last file's rows
    are not dropped by GitHub). ``None`` when one file is checked (the full budget)."""
    if not _ANNOTATIONS:
        return None
    files = max(_ANNOTATIONS["files"], 1)
    errors = _ANNOTATIONS["error"]
    # failed checks: all that the budget holds less one for each file to come (each file that fails gets one)
    return {"error": max(min(errors, 1), errors - (files - 1)), "notice": _ANNOTATIONS["notice"],
            "warning": -(-_ANNOTATIONS["warning"] // files)}


def _spend_annotations(lines: list[str]) -> None:
    if not _ANNOTATIONS:
        return
    for kind in ("error", "notice", "warning"):
        _ANNOTATIONS[kind] -= sum(line.startswith(f"::{kind} ") for line in lines)


#: Set while :func:`_gate_each` runs the command on one of several files: every file given (an output of one
#: file's run must not be another's input).
_GATING: list[list[str]] = []


#: The files the runs of :func:`_gate_each` read (data, --valid, configuration files): not to be written over.
_GATED_INPUTS: list[Any] = []


def _staged_junit(path: Path) -> bool:
    """Whether ``path`` is one of the per-file JUnit documents :func:`_gate_each` has a file's run write."""
    from ._output import INTERNAL_OUTPUTS

    return str(path) in INTERNAL_OUTPUTS


def _positional_positions(command: Any, args: list[str]) -> set[int]:
    """Indices of ``args`` that are positional (the data files) and of the ``--`` before them, reading options as
    ``command`` declares them (``--opt value``, ``--opt=value``, a cluster of short flags whose last may take a value:
    ``-qy income``)."""
    takes_value = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        needs = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for opt in (*param.opts, *param.secondary_opts):
            takes_value[opt] = needs
    out: set[int] = set()
    i = 0
    while i < len(args):
        tok = args[i]
        if tok == "--":  # (each file is passed on after its own --)
            out.update(range(i, len(args)))
            break
        if tok.startswith("-") and tok != "-":
            if tok.startswith("--") or tok in takes_value:
                if "=" not in tok and takes_value.get(tok, False):
                    i += 1  # the option's value
            else:  # short flags in one token: the first that takes a value takes the rest, or the next token
                for k, char in enumerate(tok[1:], start=1):
                    if takes_value.get("-" + char, False):
                        i += 1 if k == len(tok) - 1 else 0
                        break
        else:
            out.add(i)
        i += 1
    return out


def with_score_notes(outcome: Any) -> Any:
    """``outcome`` whose notes are the check's, then the scoring's (``summary["notes"]``: ignored columns, ...).

    The scoring's notes are what ``dvclean score`` prints as ``note:`` lines; ``check`` lists them
    among its own in every format (text, JSON ``notes``, Markdown, GitHub notices). A note already
    there is not repeated.
    """
    import dataclasses

    from ..pipeline import is_id_note  # (check writes no scores: their renamed id column is not its business)

    notes = tuple(dict.fromkeys([*outcome.notes, *(str(n) for n in outcome.summary.get("notes", ()) if not is_id_note(str(n)))]))
    return outcome if notes == tuple(outcome.notes) else dataclasses.replace(outcome, notes=notes)


def _command_line() -> str:
    """The command line as typed (``dvclean score data.csv -y income``), for reports; when the process was not started
    as this command (a Python caller, a test runner), the command's name alone (``dvclean augment``)."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is not None and (len(sys.argv) < 2 or sys.argv[1] != ctx.info_name):
        return ctx.command_path
    return shlex.join(["dvclean", *sys.argv[1:]])


#: ``ctx.meta`` key of the command line's own arguments (:class:`_KeepsArguments`).
_RAW_ARGS = "dvclean.check.arguments"


class _KeepsArguments(TyperCommand):
    """The ``check`` command, keeping its arguments as typed so that several files are gated one by one."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[_RAW_ARGS] = list(args)
        return super().parse_args(ctx, args)


@app.command(epilog=CHECK_EXIT_HELP, cls=_KeepsArguments)
@guarded
@configurable("check")
@scoring_options(valid=True, checkpoint=False)
def check(
    data: Annotated[list[str], typer.Argument(help="Data file (CSV, CSV.gz/.zst, Parquet, NDJSON, JSON array, Arrow IPC) or - for stdin; several files are gated one after another, each with its own settings (a pre-commit hook passes every changed file).")],
    label: Annotated[str | None, typer.Option("--label", "-y", help="Label column (default: the one column named label/target/y/class).")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Row-id column: kept in outputs, never a feature; baselines match rows by it.")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="Column to exclude from the features (repeatable).")] = None,
    max_mislabeled: Annotated[str | None, typer.Option("--max-mislabeled", help=f"Fail above this many likely-mislabeled rows (regression: outlying targets): {_THRESHOLD}.")] = None,
    warn_mislabeled: Annotated[str | None, typer.Option("--warn-mislabeled", help="Warn above this many likely-mislabeled rows.")] = None,
    max_hard: Annotated[str | None, typer.Option("--max-hard", help=f"Fail above this many hard rows: {_THRESHOLD}.")] = None,
    warn_hard: Annotated[str | None, typer.Option("--warn-hard", help="Warn above this many hard rows.")] = None,
    max_mislabeled_per_class: Annotated[str | None, typer.Option("--max-mislabeled-per-class", help="Fail when any class has more likely-mislabeled rows than this (a % is of the class).")] = None,
    warn_mislabeled_per_class: Annotated[str | None, typer.Option("--warn-mislabeled-per-class", help="Warn per class.")] = None,
    max_conflicting_duplicates: Annotated[str | None, typer.Option("--max-conflicting-duplicates", help="Fail above this many rows with identical features but different labels.")] = None,
    warn_conflicting_duplicates: Annotated[str | None, typer.Option("--warn-conflicting-duplicates", help="Warn on conflicting duplicates.")] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="An earlier `dvclean check --json` output: count rows flagged now but not then.")] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Ignore the baseline and the --max-new-*/--warn-new-* thresholds of a configuration file for this run (to create the baseline, write a temporary file and move it: `dvclean check DATA --no-baseline --json --exit-zero > main.json.tmp && mv main.json.tmp main.json`).")] = False,
    max_new_mislabeled: Annotated[str | None, typer.Option("--max-new-mislabeled", help="Fail above this many newly mislabeled rows (needs --baseline).")] = None,
    warn_new_mislabeled: Annotated[str | None, typer.Option("--warn-new-mislabeled", help="Warn on newly mislabeled rows.")] = None,
    max_new_hard: Annotated[str | None, typer.Option("--max-new-hard", help="Fail above this many new hard rows (needs --baseline).")] = None,
    warn_new_hard: Annotated[str | None, typer.Option("--warn-new-hard", help="Warn on new hard rows.")] = None,
    fmt: Annotated[CheckFormat | None, typer.Option("--format", help="text, json, github (default under GitHub Actions) or markdown.")] = None,
    as_json: Annotated[bool, typer.Option("--json/--no-json", show_default=False, help="Same as --format json: one JSON document on stdout.")] = False,
    junit_xml: Annotated[Path | None, typer.Option("--junit-xml", help="Also write JUnit XML (one testcase per check; several data files: a testsuite per file) to this path.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the self-contained HTML report to this path.")] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero/--no-exit-zero", show_default=False, help="Exit 0 even when a check fails (errors still exit 2/3).")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="Read settings from this TOML file instead of the nearest dvclean.toml / pyproject.toml.")] = None,
    show_config: Annotated[bool, typer.Option("--show-config", help="Print the effective settings and where each came from, then exit.")] = False,
    separator: Annotated[str | None, typer.Option("--separator", help="CSV delimiter (sniffed when omitted).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV file.")] = "utf-8",
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force csv, parquet, ndjson, json or ipc.")] = None,
    null_values: Annotated[str | None, typer.Option("--null-values", help=NULL_VALUES_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet/--no-quiet", "-q", show_default=False, help=CHECK_QUIET_HELP)] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
    *,
    scoring: Scoring,
) -> None:
    """Gate data quality in CI: score the rows, compare flag counts with thresholds.

    Prints one line per check: PASS|WARN|FAIL name value threshold. The rows are
    scored as `dvclean score` scores them, with the same scoring options. Thresholds and
    other options can also come from \\[tool.dvclean] / \\[tool.dvclean.check] in
    pyproject.toml or from dvclean.toml (nearest upward from the data file;
    command-line flags win); see --show-config.
    """
    from ..check import CheckPolicy, baseline_command, evaluate_check, load_baseline
    from ..pipeline import score as run_score
    from ..report import formats
    from ._config import config_json, effective_config, format_config
    from ._output import (
        esc,
        print_json,
        progress_reporter,
        setup_logging,
        staged_outputs,
        stderr_console,
        stdout_console,
        visible,
        write_stdout,
    )

    machine_format = as_json or fmt in (CheckFormat.json, CheckFormat.markdown)
    new_thresholds = {"max_new_mislabeled": max_new_mislabeled, "warn_new_mislabeled": warn_new_mislabeled,
                      "max_new_hard": max_new_hard, "warn_new_hard": warn_new_hard}
    from ..io import expand_home

    junit_xml, report, baseline = expand_home(junit_xml), expand_home(report), expand_home(baseline)
    if junit_xml is not None and len(data) == 1 and not _GATING and not _staged_junit(junit_xml):
        one = data[0]  # (an error from here on writes its own document: write_error_junit)

        def junit_target_ok() -> None:  # (the checks the run makes of the path before it writes there)
            from ..errors import OutputError
            from ..io import resolve_output

            if str(junit_xml) == "-" or junit_xml.is_dir():
                raise OutputError(f"--junit-xml {junit_xml} names no file")
            resolve_output(junit_xml, option="--junit-xml")
            check_target(junit_xml, read_inputs(one, scoring.valid, baseline, config), "--junit-xml")
            check_distinct_outputs({"--junit-xml": junit_xml, "--report": report,
                                    "$GITHUB_STEP_SUMMARY": os.environ.get("GITHUB_STEP_SUMMARY") or None})

        _JUNIT_ON_ERROR[:] = [(junit_xml, str(one), junit_target_ok)]
    _refuse_empty_baseline_path(baseline)
    ignored = _without_baseline(baseline, new_thresholds) if no_baseline else None
    if ignored is not None:  # (None: --no-baseline from a configuration file, --baseline FILE typed: that wins)
        baseline = None
        max_new_mislabeled = warn_new_mislabeled = max_new_hard = warn_new_hard = None
        new_thresholds = dict.fromkeys(new_thresholds)
    repeated: list[str] = []  # (the notes on files given twice: printed here for several files, else in the outcome)
    if len(data) > 1:
        data, repeated = once_each(data)
    if len(data) > 1:
        if not quiet:
            from ._output import stderr_console, visible

            for note in repeated:
                stderr_console().print(f"note: {visible(note)}", highlight=False, markup=False)
        _refuse_summary_input(data, github=_format_of(as_json, fmt) is CheckFormat.github)
        _gate_each(data, report=report, junit_xml=junit_xml, baseline=baseline, show_config=show_config,
                   machine=machine_format, read=read_inputs(scoring.valid, config))
        return
    data = data[0]  # type: ignore[assignment]  # (one file: the rest of the command is about it)
    own_junit = junit_xml is not None and _staged_junit(junit_xml)  # (the per-file document _gate_each merges)
    if _GATING:  # (registered first: a run that fails early must not have its files written over by the document)
        _GATED_INPUTS.extend(p for p in read_inputs(data, scoring.valid, baseline, config) if p is not None
                             and str(p) != "-")
    if _GATING and (report or (junit_xml and not own_junit) or baseline or show_config or machine_format):
        from ..errors import ConfigError

        what = next(name for name, on in (("report", report), ("junit-xml", junit_xml and not own_junit),
                                           ("baseline", baseline), ("show-config", show_config),
                                           ("format json/markdown", machine_format)) if on)
        raise ConfigError(
            f"{data}: its configuration sets {what}, which takes one file, and several files are being gated; "
            "check this file on its own, or move that setting out of the configuration file"
            + (" (or pass --no-baseline to gate the files without it)" if what == "baseline" else "")
            + (" (--junit-xml FILE on the command line writes one document for every file)" if what == "junit-xml" else "")
        )
    if as_json and fmt is not None and fmt is not CheckFormat.json:
        json_typed, fmt_typed = given_on_command_line("as_json"), given_on_command_line("fmt")
        if json_typed == fmt_typed:  # both typed (or both from the configuration file)
            from ..errors import ConfigError

            raise ConfigError(f"--json contradicts --format {fmt.value}: --json means --format json; pass only one of them")
        as_json = json_typed  # the command line wins over the configuration file
    fmt_value = _format_of(as_json, fmt)
    machine = fmt_value in (CheckFormat.json, CheckFormat.markdown)
    # --quiet: nothing but errors; the exit code tells pass or fail. A format asked for (--format, --json, or the
    # configuration file's) is still printed, as `score --json -q` prints its document; output files are written.
    print_result = not quiet or fmt is not None or as_json
    err = stderr_console()
    setup_logging(err, quiet=quiet, verbose=verbose, notes_printed=True)  # the notes are printed below
    _check_configured_thresholds()  # a bad threshold from a configuration file: named as there, not as an option
    policy = CheckPolicy(
        max_mislabeled=max_mislabeled, warn_mislabeled=warn_mislabeled,
        max_hard=max_hard, warn_hard=warn_hard,
        max_mislabeled_per_class=max_mislabeled_per_class, warn_mislabeled_per_class=warn_mislabeled_per_class,
        max_conflicting_duplicates=max_conflicting_duplicates, warn_conflicting_duplicates=warn_conflicting_duplicates,
        max_new_mislabeled=max_new_mislabeled, warn_new_mislabeled=warn_new_mislabeled,
        max_new_hard=max_new_hard, warn_new_hard=warn_new_hard,
    )
    configured = [n for n, v in new_thresholds.items() if v is not None and not given_on_command_line(n)]
    # the command that writes a baseline: with --no-baseline when a configuration file would make it read one
    create = ("dvclean check DATA --no-baseline --json"
              if configured or (baseline is not None and not given_on_command_line("baseline"))
              else "dvclean check DATA --json")
    from ..io import same_file

    if baseline is not None and data != "-" and same_file(baseline, data):
        from ..errors import ConfigError

        raise ConfigError(
            f"--baseline {baseline} is the data file itself; a baseline is the JSON document of an earlier "
            "`dvclean check --json` run, kept in a file of its own: create one with "
            f"{baseline_command('baseline.json', create)} and pass --baseline baseline.json"
        )
    base = load_baseline(baseline, create=create) if baseline is not None and not show_config else None
    if policy.needs_baseline and baseline is None:
        from ..errors import ConfigError

        if configured:  # (the error boundary adds where they are set)
            raise ConfigError(
                "--max-new-*/--warn-new-* need --baseline FILE (an earlier `dvclean check --json` output); pass "
                "--baseline FILE, or --no-baseline to run without the new-row checks (to create the baseline: "
                f"{baseline_command('main.json', create)})"
            )
        raise ConfigError("--max-new-*/--warn-new-* need --baseline FILE (an earlier `dvclean check --json` output); "
                          f"create it with {baseline_command('main.json')} on the data to compare with")
    score_config = scoring.score_config()  # the same scoring as `dvclean score` with the same settings
    if show_config:  # (after every setting was checked as the run checks it: a value out of range is exit 2 here too)
        shown_config = effective_config()
        if ignored:  # the settings --no-baseline switches off are listed as such
            off = ("baseline", *new_thresholds)
            shown_config = {**shown_config, "values": {
                k: (v, f"{src}, ignored: --no-baseline" if k in off and src not in ("command line", "default") else src)
                for k, (v, src) in shown_config["values"].items()}}
        if fmt_value is CheckFormat.json:  # (a machine reads stdout: the settings as JSON, not TOML)
            print_json(config_json(shown_config))
        else:
            write_stdout(format_config(shown_config))
        return
    inputs = read_inputs(data, scoring.valid, baseline, config, *(_GATING[-1] if _GATING else ()))
    for option, target in (("--junit-xml", junit_xml), ("--report", report)):
        if target is not None and str(target) != "-" and not target.is_dir():  # (check_target names those)
            from ..io import resolve_output

            resolve_output(target, option=option)  # a device, a pipe, /dev/stdout: refused naming the option
        check_target(target, inputs, option)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY") if fmt_value is CheckFormat.github else None
    _refuse_summary_input(inputs, github=fmt_value is CheckFormat.github)
    check_distinct_outputs({"--junit-xml": junit_xml, "--report": report, "$GITHUB_STEP_SUMMARY": summary_file or None})
    read_opts = read_options(separator, encoding, input_format, null_values)
    piped = None
    if report is not None:  # stdin's bytes, held for the report's cells as written (stdin is read once)
        from ..io import read_once

        piped = read_once(data, read_opts)
    thresholds = {
        "max_mislabeled_per_class": max_mislabeled_per_class, "warn_mislabeled_per_class": warn_mislabeled_per_class,
    }  # a per-class limit from a configuration file shared with classification data is a note on regression data
    from_config = [n for n, v in thresholds.items() if v is not None and not given_on_command_line(n)]
    from ..check import check_policy_for_task
    from ..pipeline import table_check

    # a per-class limit typed for a regression target (--task regression, or a label read as one) is refused once the
    # table is read, before the scoring (18 s for a 1,000-row regression file), not after it; evaluate_check says the notes
    with (table_check(lambda table: check_policy_for_task(policy, table.task, label=table.label, from_config=from_config)),
          progress_reporter(err, enabled=not (quiet or machine)) as progress):
        result = run_score(
            data, label=label, id_column=id_column, drop=tuple(drop or ()), valid=scoring.valid,
            config=score_config, read_options=read_opts, progress=progress,
        )
    outcome = evaluate_check(result, policy, baseline=base, from_config=from_config)
    said = [f"--no-baseline: ignored {ignored}"] if ignored else []  # what --no-baseline switched off, said once
    said += repeated
    if origin := _configured_thresholds(skip=set(new_thresholds) if ignored is not None else set()):
        said.append(f"thresholds from a configuration file: {origin}")
    elif ((files := effective_config()["files"]) and not given_on_command_line("config")
          and any(n.startswith("no thresholds are set") for n in outcome.notes)):
        # (a dvclean.toml nearer the data, for score's settings, hides the repository's thresholds further up)
        many = len(files) > 1
        said.append(
            f"the configuration file{'s' if many else ''} read ({', '.join(files)}) set{'' if many else 's'} no "
            "thresholds; if a file further up sets them (a repository's pyproject.toml), it is not read: only the "
            "files of the nearest directory that holds one are; set the thresholds in that file's check table too, "
            "or pass --config FILE"
        )
    if exit_zero and not given_on_command_line("exit_zero") and outcome.exit_code(exit_zero=False) == 1:
        source = (effective_config()["values"].get("exit_zero") or (None, "a configuration file"))[1]
        said.append(f"exit-zero = true ({source}): the check failed but exits 0; pass --no-exit-zero to let the "
                    "failure fail the job")
    if said:  # (a JSON document lists them among its notes)
        import dataclasses

        outcome = dataclasses.replace(outcome, notes=(*said, *outcome.notes))
    shown = with_score_notes(outcome)  # every format lists the scoring's notes too (the HTML report adds them itself)
    annotated = 0  # (the notes printed as ::notice annotations: not printed again as note: lines)

    with staged_outputs() as stage:  # the JUnit XML and the report: both, or neither; before anything is printed
        if junit_xml is not None:
            from ..io import atomic_path

            with atomic_path(stage.path(junit_xml), option="--junit-xml") as tmp:
                tmp.write_bytes(formats.to_junit_xml(shown))
        if report is not None:
            from ..report import build_report, write_report

            write_report(build_report(result, outcome=outcome, command=_command_line(), source_bytes=piped),
                         stage.path(report))
    _JUNIT_ON_ERROR.clear()  # (written: an error past here, such as a closed stdout, leaves the gate's document)

    if fmt_value is CheckFormat.json:
        if print_result:
            print_json(shown.to_dict())
    elif fmt_value is CheckFormat.markdown:
        if print_result:
            write_stdout(formats.to_markdown(shown))
    elif fmt_value is CheckFormat.github:
        if print_result:
            source = str(result.summary["input"]["path"])
            path = None if source == "-" else formats.annotation_path(source)  # stdin: no file to point at
            annotations = formats.github_annotations(shown, file=path, limits=_annotation_limits())
            _spend_annotations(annotations)
            write_stdout(formats.to_text(shown) + "".join(cmd + "\n" for cmd in annotations))
            # a note is said once: as its ::notice (GitHub shows it in the log and on the run's page); the notes past
            # the step's notice budget (10), which GitHub would not show, are note: lines on stderr
            annotated = sum(cmd.startswith("::notice ") for cmd in annotations)
        if summary_file:  # a file: written with --quiet too
            _append_step_summary(summary_file, formats.step_summary(shown), err)
    elif print_result:
        out = stdout_console(soft_wrap=True)  # one line per check, however long, in a pipe or a CI log too
        style = {"pass": "green", "warn": "yellow", "fail": "bold red"}
        for c in outcome.checks:  # check names hold class values: escape them (a class "[/]" is not markup; "\n")
            out.print(
                f"[{style[c.status]}]{c.status.upper()}[/] {esc(c.name)} {esc(c.value_text)} {esc(c.threshold_text)}",
                highlight=False,
            )
            rows_line = formats.new_rows_line(outcome, c)
            if rows_line is not None:
                out.print(rows_line, highlight=False, markup=False)
        n = outcome.counts()
        out.print(
            f"[{style[outcome.status]}]{outcome.status.upper()}[/]: {n['fail']} failed, {n['warn']} warned, "
            f"{n['pass']} passed ({esc(result.summary['input']['path'])}, {result.summary['rows']['total']} rows)",
            highlight=False,
        )
    if not (quiet or machine):  # (json and markdown hold the notes)
        for note in shown.notes[annotated:]:  # a note may name a column or a value: one visible line each
            err.print(f"note: {visible(note)}", highlight=False, markup=False)
        if report is not None:
            err.print(f"wrote {visible(report)}", highlight=False, markup=False)
    code = outcome.exit_code(exit_zero=exit_zero)
    if code:
        raise typer.Exit(code)


def _refuse_empty_baseline_path(baseline: Path | None) -> None:
    """Refuse ``--baseline ''`` (an empty path, read as the current directory): the way to run without a baseline
    is ``--no-baseline``."""
    from typer._click.globals import get_current_context

    if baseline is None or str(baseline) != "." or not given_on_command_line("baseline"):
        return
    raw = get_current_context().meta.get(_RAW_ARGS, [])
    empty = any(tok == "--baseline=" or (tok == "--baseline" and i + 1 < len(raw) and raw[i + 1] == "")
                for i, tok in enumerate(raw))
    if empty:
        from ..errors import ConfigError

        raise ConfigError("--baseline '': an empty path; to run without a baseline (one set in a configuration file "
                          "too), pass --no-baseline instead")


def _without_baseline(baseline: Path | None, new_thresholds: dict[str, Any]) -> str | None:
    """Check ``--no-baseline`` against the other options; return what it switches off that a configuration file set
    (``baseline = 'main.json', max-new-mislabeled = 20 (pyproject.toml [tool.dvclean.check])``), ``""`` when
    nothing, ``None`` when it does not apply.

    ``--no-baseline`` with ``--baseline FILE`` or a ``--max-new-*``/``--warn-new-*`` threshold typed on the command
    line is a contradiction (exit 2). ``no-baseline = true`` in a configuration file with ``--baseline FILE`` typed:
    the command line wins (``None``).
    """
    from typer._click.globals import get_current_context

    from ..errors import ConfigError
    from ._config import toml_repr
    from .commands import _config_origin

    typed = given_on_command_line("no_baseline")
    if baseline is not None and given_on_command_line("baseline"):
        if typed:
            raise ConfigError(f"--no-baseline contradicts --baseline {baseline}: pass only one of them (--no-baseline "
                              "ignores a baseline that a configuration file sets)")
        return None
    clash = [n for n, v in new_thresholds.items() if v is not None and given_on_command_line(n)]
    if clash:
        opts = ", ".join(f"--{n.replace('_', '-')} {new_thresholds[n]}" for n in clash)
        raise ConfigError(f"{opts} compares with a baseline, and --no-baseline turns the baseline off: leave out "
                          f"{'--no-baseline' if typed else 'no-baseline in the configuration file'}, or the new-row "
                          "threshold")
    ctx = get_current_context()
    by_source: dict[str, list[str]] = {}
    for name, value in (("baseline", baseline), *new_thresholds.items()):
        origin = _config_origin(ctx, "--" + name.replace("_", "-")) if value is not None else None
        if origin is not None:
            by_source.setdefault(origin[0], []).append(f"{name.replace('_', '-')} = {toml_repr(origin[1])}")
    return "; ".join(f"{', '.join(keys)} ({source})" for source, keys in by_source.items())


def _configured_thresholds(*, skip: set[str]) -> str:
    """The thresholds this run takes from a configuration file, as written there with where:
    ``max-mislabeled = '2%', warn-hard = 30 (/repo/pyproject.toml [tool.dvclean.check])``; ``""`` when none.

    The nearest configuration file wins (a ``dvclean.toml`` beside the data replaces the repository's settings), so a
    gate's log says which file set the thresholds it applied (several files: each from its own). ``skip``: keys this
    run does not apply (the new-row thresholds under ``--no-baseline``).
    """
    from ._config import effective_config, toml_repr

    doc = effective_config()
    written = doc.get("written", {})  # (as the file writes it: 30, not the option's text '30')
    by_source: dict[str, list[str]] = {}
    for key, (value, source) in sorted(doc["values"].items()):
        if (key.startswith(("max_", "warn_")) and value is not None and source not in ("command line", "default")
                and key not in skip and not given_on_command_line(key)):
            by_source.setdefault(source, []).append(f"{key.replace('_', '-')} = {toml_repr(written.get(key, value))}")
    return "; ".join(f"{', '.join(keys)} ({source})" for source, keys in by_source.items())


def _check_configured_thresholds() -> None:
    """Parse the thresholds that come from a configuration file, naming the file and its table in an error.

    (:class:`~dvclean.check.CheckPolicy` would report them as command-line options, ``--max-mislabeled: ...``,
    and suggest ``2%``, which TOML needs quoted.)
    """
    from ..check import CHECK_NAMES, parse_threshold
    from ._config import effective_config

    values = effective_config()["values"]
    for key, (value, source) in values.items():
        if (key.startswith(("max_", "warn_")) and value is not None and source not in ("command line", "default")
                and not given_on_command_line(key)):
            parse_threshold(value, key.replace("_", "-"), source=source)
    for check in CHECK_NAMES:  # a warn above its max, one of them from a file: say where each comes from
        pair = {level: values.get(f"{level}_{check}", (None, None)) for level in ("max", "warn")}
        if any(v is None for v, _ in pair.values()):
            continue
        sources = {level: src if src not in ("command line", "default") and not given_on_command_line(f"{level}_{check}")
                   else None for level, (_, src) in pair.items()}
        if any(sources.values()):  # (both typed: CheckPolicy says so in the options' words)
            _warn_at_most_max(check, pair["max"][0], pair["warn"][0], sources)


def _warn_at_most_max(check: str, max_value: Any, warn_value: Any, sources: dict[str, str | None]) -> None:
    """Refuse a warn threshold above its max (both counts or both percentages), naming each as it was given:
    ``warn-mislabeled = "2%" (dvclean.toml [check])`` for one from a file (``sources[level]``), the option for
    one typed (``None``)."""
    from ..check import parse_threshold
    from ..errors import ConfigError

    opt = check.replace("_", "-")
    mx, warn = parse_threshold(max_value, f"max-{opt}"), parse_threshold(warn_value, f"warn-{opt}")
    if mx is None or warn is None or mx.kind != warn.kind or warn.value <= mx.value:
        return
    said = {}
    for level, t in (("max", mx), ("warn", warn)):
        shown = f'"{t.text}"' if t.kind == "fraction" else t.text
        said[level] = f"{level}-{opt} = {shown} ({sources[level]})" if sources[level] else f"--{level}-{opt} {t.text}"
    lower = f"lower warn-{opt} in {sources['warn']}" if sources["warn"] else f"pass --warn-{opt} at or below {mx.text}"
    higher = f"raise max-{opt} in {sources['max']}" if sources["max"] else f"pass --max-{opt} at or above {warn.text}"
    raise ConfigError(f"{said['warn']} is above {said['max']}: the check would fail before it could warn; "
                      f"{lower} or {higher}")


def _format_of(as_json: bool, fmt: CheckFormat | None) -> CheckFormat:
    """The output format: json for ``--json``, else ``--format``, else github under GitHub Actions, else text."""
    if as_json:
        return CheckFormat.json
    if fmt is not None:
        return fmt
    return CheckFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else CheckFormat.text


def _refuse_summary_input(inputs: list[Any], *, github: bool) -> None:
    """Refuse a ``$GITHUB_STEP_SUMMARY`` that names one of the run's input files under the github format: the
    summary is appended to, so that input would be corrupted. Several data files are refused once, before any is
    gated (each file's run would say the same)."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY") if github else None
    if not summary_file:
        return
    from ..errors import OutputError
    from ..io import same_file

    clash = next((p for p in inputs if p is not None and str(p) != "-" and same_file(summary_file, p)), None)
    if clash is not None:
        raise OutputError(f"$GITHUB_STEP_SUMMARY ({summary_file}) is the input file {clash}; it is appended to, "
                          "so it must name another file (GitHub Actions sets it for each step)")


def _append_step_summary(path: str, text: str, err: Any = None) -> None:
    """Append the Markdown table to ``$GITHUB_STEP_SUMMARY``; a file that cannot be written is a warning on
    ``err`` (a console), or nothing when ``err`` is None (an error's section: the error is printed already).

    The step summary is a side channel: the check lines and annotations are printed already, and
    the exit code must stay the gate's (0/1), not become an error's.
    """
    from ._output import visible

    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        if err is None:
            return
        reason = exc.strerror or type(exc).__name__
        err.print(
            f"warning: cannot append the step summary to $GITHUB_STEP_SUMMARY {visible(path)} ({reason}); "
            "the exit code is still the check's",
            highlight=False, markup=False,
        )


@app.command(name="report")
@guarded
@configurable("report", start="scores")
def report_cmd(
    scores: Annotated[str, typer.Argument(help="Scores file written by `dvclean score` (*.dvclean.parquet), or - for standard input (then -o is needed).")],
    data: Annotated[str | None, typer.Option("--data", help="The scored data file: adds features and the PCA projection.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file (default: next to the scores, named like them without .dvclean.<ext> or the suffix, plus .report.html: data.dvclean.parquet gives data.report.html).")] = None,
    label: Annotated[str | None, typer.Option("--label", "-y", help="Label column of --data when the scores file does not record it.")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="Column of --data that was not a feature, as score's --drop (repeatable; default: what a Parquet scores file records, else none).")] = None,
    augmentation: Annotated[Path | None, typer.Option("--augmentation", help="JSON report of `dvclean augment` (three-arm evaluation, quality score).")] = None,
    separator: Annotated[str | None, typer.Option("--separator", help="CSV delimiter of --data (sniffed when omitted).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV --data file.")] = "utf-8",
    null_values: Annotated[str | None, typer.Option("--null-values", help=NULL_VALUES_HELP + " (Of --data.)")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force the format of --data: csv, parquet, ndjson, json or ipc.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Read settings from this TOML file.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet/--no-quiet", "-q", show_default=False, help="Print nothing but errors.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
) -> None:
    """Write one self-contained HTML report (charts inline, no network) for a scores file.

    --data must be the file that was scored: when the scores file records the
    data's sha256 (Parquet output of `dvclean score`) and --data differs, the
    command refuses (exit 2), as `dvclean augment --scores` does; CSV/NDJSON
    scores must hold the data's labels (and ids) row by row.
    """
    from ..io import read_json_document
    from ..report import build_report_from_files, write_report
    from ._output import setup_logging, staged_outputs, stderr_console, visible, write_stdout_path
    from .commands import given_on_command_line

    setup_logging(stderr_console(), quiet=quiet, verbose=verbose)
    if data is None:
        for name, option in (("separator", "--separator"), ("encoding", "--encoding"), ("input_format", "--input-format"),
                             ("drop", "--drop")):
            if given_on_command_line(name):
                from ..errors import ConfigError

                what = "names columns of" if name == "drop" else "says how to read"
                raise ConfigError(f"{option} {what} --data, which is not given: leave out {option}, or add "
                                  "--data FILE (the scored data set)")
    if scores == "-" and data == "-":
        from ..errors import InputError

        raise InputError("the scores and --data both read standard input (-), and it can be read once: give one of "
                         "them the path of a file")
    if output is None and scores == "-":  # no file to write next to (not "-.report.html" in the current directory)
        from ..errors import ConfigError

        raise ConfigError("the scores are read from stdin (-), so there is no file to name the report after; "
                          "pass -o report.html")
    if output is None:
        name = Path(scores).name
        stem = name.split(".dvclean.")[0] if ".dvclean." in name else name.rsplit(".", 1)[0]
        output = Path(scores).with_name(f"{stem}.report.html")
    check_target(output, read_inputs(scores, data, augmentation, config), "--output", example="report.html",
                 stdout_has="the written report's path")
    aug = None
    if augmentation is not None:
        from ..errors import InputError
        from ..io import expand_home

        augmentation = expand_home(augmentation)  # (named as read: ~/a.json is the home directory's)
        try:
            aug = read_json_document(augmentation, f"--augmentation {augmentation}")
        except InputError as exc:
            if "not a JSON document" not in str(exc):
                raise
            raise InputError(f"{exc}; pass the <output>.augment-report.json that dvclean augment wrote (not its HTML "
                             "report)") from exc
        if not isinstance(aug, dict) or not aug:
            kind = {dict: "an empty object", list: "an array", str: "a string", bool: "a boolean"}.get(
                type(aug), "null" if aug is None else "a number")
            raise InputError(f"--augmentation {augmentation}: not a dvclean augment report (JSON {kind}); pass the "
                             "<output>.augment-report.json that dvclean augment wrote")
    rep = build_report_from_files(
        scores, data=data, label=label, command=_command_line(), augmentation=aug, drop=tuple(drop) if drop else None,
        read_options=read_options(separator, encoding, input_format, null_values), augmentation_path=augmentation,
    )
    with staged_outputs() as stage:  # (committed outputs are named by the error boundary: a failed stdout, a signal)
        write_report(rep, stage.path(output))
    written = Path(output)
    if not quiet:  # --quiet: nothing but errors, on stdout too
        stderr_console().print(f"wrote {visible(written)} ({written.stat().st_size / 1024:.0f} KiB)", highlight=False,
                               markup=False)
        write_stdout_path(written)

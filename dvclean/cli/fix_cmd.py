"""``dvclean fix``: a cleaned copy of the data (relabel, drop or mark the flagged rows)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from ..config import FIX_ACTIONS, FixConfig, ScoreConfig
from ._config import configurable
from ._scoring import Scoring, parse_closed_fraction, scoring_options
from .commands import (
    NULL_VALUES_HELP,
    QUIET_HELP,
    OutputFormat,
    app,
    check_distinct_outputs,
    check_format_matches,
    check_output_columns,
    check_target,
    given_on_command_line,
    guarded,
    read_inputs,
    read_options,
)

_FIX = FixConfig()


_ONLY_WITH_REPORT = ("(fix: only with --report; fix acts on the mislabel flags, which do not depend on it, so "
                     "without --report another value is refused)")


@app.command()
@guarded
@configurable("fix")
@scoring_options(valid=True, checkpoint=False, notes={"method": _ONLY_WITH_REPORT, "hard_frac": _ONLY_WITH_REPORT})
def fix(
    data: Annotated[str, typer.Argument(help="Data file (CSV, CSV.gz/.zst, Parquet, NDJSON, JSON array, Arrow IPC) or - for stdin (needs --output).")],
    label: Annotated[str | None, typer.Option("--label", "-y", help="Label column (default: the one column named label/target/y/class).")] = None,
    action: Annotated[str, typer.Option("--action", metavar=f"<{'|'.join(FIX_ACTIONS)}>", help=f"What to do with the flagged rows: {', '.join(FIX_ACTIONS)} (regression targets: drop or mark).")] = _FIX.action,
    min_confidence: Annotated[float, typer.Option("--min-confidence", parser=parse_closed_fraction, metavar="<fraction|%>", help="relabel: only rows whose suggested label has at least this probability (0.7 or 70%).")] = _FIX.min_confidence,
    force: Annotated[bool, typer.Option("--force/--no-force", show_default=False, help="relabel/drop even when the features do not predict the labels (the flags are then noise), or rows of a rare class mostly flagged (its right labels look wrong too), or when it would empty a class or change more than half of the rows: the action is refused without it.")] = False,
    id_column: Annotated[str | None, typer.Option("--id", help="Row-id column: kept, never a feature.")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="Column to exclude from the features (repeatable).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default: <input stem>.fixed.<format> next to the input).")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="parquet, csv, ndjson, json or ipc: the format when there is no --output (default: the input's) or its suffix is not one dvclean recognises; with a recognised --output suffix the two must agree (else exit 2).")] = None,
    as_json: Annotated[bool, typer.Option("--json/--no-json", show_default=False, help="Print the JSON summary on stdout.")] = False,
    html_report: Annotated[Path | None, typer.Option("--report", help="Also write the self-contained HTML report of the scores behind the fix.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Read settings from this TOML file instead of the nearest dvclean.toml / pyproject.toml.")] = None,
    separator: Annotated[str | None, typer.Option("--separator", help="CSV delimiter (sniffed when omitted).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV file (a CSV output keeps it).")] = "utf-8",
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force csv, parquet, ndjson, json or ipc.")] = None,
    null_values: Annotated[str | None, typer.Option("--null-values", help=NULL_VALUES_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet/--no-quiet", "-q", show_default=False, help=QUIET_HELP)] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
    *,
    scoring: Scoring,
) -> None:
    """Write a cleaned copy of the data: relabel, drop or mark the rows flagged as mislabeled.

    The rows are flagged as `dvclean score` flags them, with the same scoring options.
    The input is never modified. The summary says how many rows changed. Options
    can also come from \\[tool.dvclean] / \\[tool.dvclean.fix] in pyproject.toml or
    from dvclean.toml, as for `dvclean check` (command-line flags win).
    """
    from ..errors import ConfigError, OutputError
    from ..fix import default_fixed_path, write_fixed
    from ..fix import fix as run_fix
    from ..io import output_format_for
    from ..pipeline import check_output_path
    from ._output import (
        esc,
        print_json,
        progress_reporter,
        setup_logging,
        staged_outputs,
        stderr_console,
        stdout_console,
    )

    err = stderr_console()
    setup_logging(err, quiet=quiet, verbose=verbose, notes_printed=True)  # the notes are printed below
    if action in ("drop", "mark") and given_on_command_line("min_confidence"):
        raise ConfigError(
            f"--min-confidence applies to --action relabel only; --action {action} "
            f"{'drops' if action == 'drop' else 'marks'} every flagged row: remove --min-confidence"
        )
    if action == "mark" and force and given_on_command_line("force"):
        raise ConfigError("--force lets relabel or drop act on flags that are noise; --action mark changes no row: "
                          "remove --force")
    if 1 < min_confidence <= 100:  # 70 for 70%
        raise ConfigError(f"--min-confidence must be a fraction in [0, 1]; got {min_confidence:g} (a percentage? write "
                          f"{min_confidence:g}%)")
    fix_config = FixConfig(action=action, min_confidence=min_confidence, force=force)
    fmt = fmt.value if fmt else None  # (an unknown --format is the parser's usage error, as in score and augment)
    score_config = scoring.score_config()  # the same scoring as `dvclean score` with the same settings
    skipped: list[str] = []
    if html_report is None and not given_on_command_line("method") and score_config.methods != ScoreConfig().methods:
        # a configuration file's methods (for `dvclean score`, or a [fix] table): not run, as they would only cost time
        skipped.append(f"the configuration's method {','.join(score_config.methods)} is not run: fix acts on the "
                       "mislabel flags, which are the same with any method (add --report to see its values)")
        score_config = dataclasses.replace(score_config, methods=ScoreConfig().methods)
    if html_report is None:
        if given_on_command_line("method") and score_config.methods != ScoreConfig().methods:  # (-m knn: no cost)
            raise ConfigError(
                "--method changes the values and the hard flags, and fix acts on the mislabel flags only, which "
                "are the same with any --method: drop --method (it would only cost time), or add --report to "
                "see the values it gives beside the fix"
            )
        if given_on_command_line("hard_frac") and score_config.flags.hard_fraction != ScoreConfig().flags.hard_fraction:
            raise ConfigError(
                "--hard-frac changes which rows are flagged hard, and fix acts on the mislabel flags only, which "
                "are the same with any --hard-frac: drop --hard-frac, or add --report to see the hard rows it "
                "gives beside the fix"
            )
    if output is None:
        if data == "-":
            raise OutputError("reading from stdin: pass --output PATH for the cleaned data")
        output = default_fixed_path(data, fmt)
    check_output_path(output, read_inputs(data, scoring.valid, config),
                      example=default_fixed_path("data.csv" if data == "-" else data, fmt).name)
    check_format_matches(output, fmt)
    out_fmt = output_format_for(Path(output), fmt)
    check_output_columns(data, Path(output), out_fmt, input_format=input_format)  # before the scoring
    check_target(html_report, read_inputs(data, scoring.valid, config), "--report")
    check_distinct_outputs({"--output": output, "--report": html_report})
    with progress_reporter(err, enabled=not (quiet or as_json)) as progress:
        result = run_fix(data, label=label, id_column=id_column, drop=tuple(drop or ()), config=fix_config,
                         score_config=score_config, progress=progress, valid=scoring.valid,
                         read_options=read_options(separator, encoding, input_format, null_values))
    with staged_outputs() as stage:  # the cleaned data and the report: both, or neither
        write_fixed(result, stage.path(output), format=out_fmt)
        if html_report is not None:
            from ..report import build_report, write_report
            from .check_cmd import _command_line

            write_report(build_report(result.scores, command=_command_line()), stage.path(html_report))
    written = Path(output)
    # the scoring's notes (ignored columns, ...), printed as `dvclean score` prints them and in the JSON summary
    from ..pipeline import notes_beyond_scores

    rule = str(result.summary.get("rule", ""))
    if scoring.valid is not None and html_report is None and rule and not rule.startswith("knn"):
        # (README: the flags' neighbour evidence is leave-self-out but under the knn rule with --valid)
        skipped.append(f"--valid changed nothing in the output: under the {rule.split(' ')[0]} rule the mislabel "
                       "flags do not use the validation set (their neighbour evidence is leave-self-out), so the same "
                       "file is written without it, and notes on the validation set do not bear on it; it counts "
                       "under --mislabel-rule knn, and for the values --report shows")
    if force and action != "mark" and not given_on_command_line("force"):  # (a file that came with the data, say)
        from ._config import effective_config

        source = (effective_config()["values"].get("force") or (None, "a configuration file"))[1]
        skipped.insert(0, f"force = true ({source}): --action {action} acts even where it would be refused (labels "
                          "the features do not predict, a rare class mostly flagged, respellings, a class emptied or "
                          "most rows changed); pass --no-force to have those refused")
    notes = list(dict.fromkeys([*skipped, *result.summary.get("notes", ()), *notes_beyond_scores(result.scores)]))
    summary = {**result.summary, "output": str(written), "notes": notes}
    if html_report is not None:
        summary["report"] = str(html_report)
    if as_json:
        print_json(summary)
        return
    if quiet:
        return
    s = summary

    def rows(n: int, kind: str = "") -> str:  # "1 row", "3 flagged rows"
        return f"{n} {kind}{'row' if n == 1 else 'rows'}"

    skipped = s.get("skipped", 0)
    if s["action"] == "relabel":
        what = (f"relabeled {rows(s.get('relabeled', 0))} ({rows(skipped, 'flagged ')} below --min-confidence "
                f"{s['min_confidence']:g} left as {'it was' if skipped == 1 else 'they were'})")
    elif s["action"] == "drop":
        what = f"dropped {rows(s.get('dropped', 0))}"
    else:
        what = f"marked {rows(s.get('marked', 0))} in column dvclean_issue (no row changed)"
    if s.get("task") == "regression":
        what += " (regression target: flagged rows are outlying targets)"
    out = stdout_console()
    out.print(
        f"{s['flagged']} of {rows(s['rows_in'])} flagged ({s['rule']}); {what}; "
        f"{rows(s['changed'])} changed, {rows(s['rows_out'])} written to {esc(written)}"
        + (f"; report: {esc(html_report)}" if html_report is not None else ""),
        highlight=False,
    )
    for note in notes:  # as `dvclean score` prints them, after the summary
        out.print(f"note: {esc(note)}", highlight=False)

"""``dvclean augment``: a thin shell over :func:`dvclean.augment.augment`.

SDV and torch are imported only inside the command body (through the library), so
``dvclean --help`` and ``dvclean score`` never load them.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..augment.config import GENERATORS, AugmentConfig
from ._scoring import parse_closed_fraction
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
    read_options,
)

_AUG = AugmentConfig()


@app.command()
@guarded
def augment(
    data: Annotated[str, typer.Argument(help="Data file (CSV, CSV.gz/.zst, Parquet, NDJSON, JSON array, Arrow IPC) or - for stdin (needs --output).")],
    label: Annotated[str | None, typer.Option("--label", "-y", help="Label column (modelled jointly with the features).")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Row-id column: never modelled; synthetic rows get new ids.")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="Column to exclude from the valuation features (repeatable).")] = None,
    withhold: Annotated[list[str] | None, typer.Option("--withhold", help="Column never given to the generator (personal identifiers, free text); null in synthetic rows (repeatable).")] = None,
    target: Annotated[str, typer.Option("--target", "-t", help="Rows the generator learns from: hard, all, mislabeled-removed, class:VALUE, or e.g. hard,class:VALUE.")] = _AUG.target,
    generator: Annotated[str, typer.Option("--generator", "-g", metavar=f"<{'|'.join(GENERATORS)}>", help="tvae (the paper's best), ctgan, copulagan or gaussian-copula (fast).")] = _AUG.generator,
    n_synthetic: Annotated[str, typer.Option("--n-synthetic", "-n", help="Synthetic rows: a count (500) or a percent of the labelled rows (10%).")] = str(_AUG.n_synthetic),
    epochs: Annotated[int | None, typer.Option("--epochs", help="Training epochs (tvae/ctgan/copulagan; default: from the training-set size).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Batch size (default: min(500, rows), a multiple of 10 for ctgan/copulagan).")] = None,
    hard_frac: Annotated[float, typer.Option("--hard-frac", parser=parse_closed_fraction, metavar="<fraction|%>", help="The hard set: the lowest-valued fraction of the rows not flagged mislabeled (0.05 or 5%).")] = _AUG.hard_fraction,
    include_mislabeled: Annotated[bool, typer.Option("--include-mislabeled", help="Let rows flagged mislabeled train the generator.")] = False,
    drop_mislabeled: Annotated[bool, typer.Option("--drop-mislabeled", help="Remove rows flagged mislabeled from the output.")] = False,
    provenance: Annotated[bool, typer.Option("--provenance/--no-provenance", help="Add the boolean column dvclean_synthetic.")] = True,
    scores: Annotated[str | None, typer.Option("--scores", help="Reuse a `dvclean score` output for this file instead of valuing again.")] = None,
    html_report: Annotated[Path | None, typer.Option("--report", help="Also write the self-contained HTML report (scores + the evaluation) to this path.")] = None,
    k: Annotated[int, typer.Option("--k", help="K of the KNN-Shapley valuation that finds the hard rows (and values --evaluate's training splits); with --scores nothing else is valued, so --k without --evaluate is refused (exit 2).")] = _AUG.k,
    quality: Annotated[bool | None, typer.Option("--quality/--no-quality", help="Score the synthetic rows' SDMetrics quality against their training rows (default: when the generator models at most 100 columns; it compares every pair of columns).", show_default=False)] = None,
    evaluate: Annotated[bool, typer.Option("--evaluate", help="Three-arm holdout comparison (baseline / non-targeted / targeted) with XGBoost.")] = False,
    repeats: Annotated[int, typer.Option("--repeats", help="Seeds per arm of --evaluate.")] = _AUG.repeats,
    splits: Annotated[int, typer.Option("--splits", help="Repeat --evaluate on this many train/valuation/holdout splits; the CIs then cover the choice of holdout rows too.")] = _AUG.splits,
    holdout: Annotated[str | None, typer.Option("--holdout", help="Holdout file for --evaluate (default: a stratified 10% split).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random step, an integer in [0, 2**32) (same seed, same output file).")] = _AUG.seed,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default: <input stem>.augmented.<input format> next to the input).")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="Output format when there is no --output (default: the input's) or its suffix is not one dvclean recognises; with a recognised --output suffix the two must agree (else exit 2).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
    separator: Annotated[str | None, typer.Option("--separator", help="CSV delimiter (sniffed when omitted).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV file.")] = "utf-8",
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force csv, parquet, ndjson, json or ipc.")] = None,
    null_values: Annotated[str | None, typer.Option("--null-values", help=NULL_VALUES_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
) -> None:
    """Add synthetic rows learned from the hardest rows (targeted augmentation).

    Values every row (KNN-Shapley), trains an SDV generator only on the target rows
    (rows flagged mislabeled never, unless --include-mislabeled), and writes the
    original rows unchanged followed by the synthetic rows, plus a JSON report named
    after the output (<output stem>.augment-report.json, .augmented removed), next to
    it. Needs SDV: `pip install ".\\[augment]"`, run in the dvclean checkout.
    """
    from ..augment import augment as run_augment
    from ..augment import default_augment_output, report_path_for
    from ..augment.core import check_augment_paths
    from ..errors import ConfigError, DataValidationError, OutputError
    from ..io import output_format_for
    from ._output import esc, print_json, setup_logging, staged_outputs, stderr_console, stdout_console

    err = stderr_console()
    setup_logging(err, quiet=quiet, verbose=verbose, notes_printed=True)  # the summary prints the notes
    if include_mislabeled and drop_mislabeled:
        raise ConfigError(
            "--include-mislabeled and --drop-mislabeled contradict each other: the generator would learn from rows "
            "that the output removes as wrong; pass one of them"
        )
    config = AugmentConfig(
        target=target, generator=generator, n_synthetic=n_synthetic, epochs=epochs, batch_size=batch_size,
        hard_fraction=hard_frac, include_mislabeled=include_mislabeled, drop_mislabeled=drop_mislabeled,
        provenance=provenance, seed=seed, k=k, evaluate=evaluate, repeats=repeats, splits=splits,
        withhold=tuple(withhold or ()), quality=quality,
    )
    generator = config.generator  # (as the config spells it: gaussian_copula is gaussian-copula)
    check_unused_options(
        generator=generator, evaluate=evaluate, holdout=holdout, epochs=epochs, batch_size=batch_size, splits=splits,
        scores=scores, k=k,
    )
    check_hard_frac(target, hard_frac, html_report)
    refuse_augment_table(data)
    fmt_value = fmt.value if fmt else None
    check_format_matches(output, fmt_value)
    if output is None:
        if data == "-":
            raise OutputError("reading from stdin: pass --output PATH for the augmented table")
        output = default_augment_output(data, fmt_value)
    out_fmt = output_format_for(Path(output), fmt_value)  # a suffix dvclean cannot write is refused before any work
    check_output_columns(data, Path(output), out_fmt, input_format=input_format)  # before the scoring and the fit
    json_report = report_path_for(output)
    check_distinct_outputs(
        {"--output": output, "the JSON report (named after --output)": json_report, "--report": html_report}
    )
    check_augment_paths(output, json_report, [data, scores, holdout])
    check_target(html_report, [data, scores, holdout], "--report")
    show = not (quiet or as_json)

    def progress(msg: str) -> None:
        if show:
            err.print(f"[dim]{esc(msg)}[/dim]", highlight=False)

    read_opts = read_options(separator, encoding, input_format, null_values)
    piped: bytes | None = None
    if data == "-" and scores is not None and html_report is not None:
        # the HTML report reads the data with the scores file: from these bytes, as stdin is read only once
        from ..io import read_limited

        piped = read_limited(sys.stdin.buffer, "stdin", what="standard input holds")
    try:
        result = run_augment(
            data, label=label, id_column=id_column, drop=tuple(drop or ()), scores=scores, holdout=holdout,
            config=config, read_options=read_opts if piped is None else {**read_opts, "stdin": io.BytesIO(piped)},
            progress=progress,
        )
    except DataValidationError as exc:
        problems = [_for_augment(p) for p in exc.problems]
        if problems == exc.problems:
            raise
        raise DataValidationError(problems) from None
    with staged_outputs() as stage:  # the table, its JSON report and the HTML report: all, or none
        _staged_augment(result, output, json_report, stage, fmt_value)
        if html_report is not None:
            from ..report import build_report, build_report_from_files, write_report
            from .check_cmd import _command_line

            command = _command_line()  # the whole command line, as score's, check's and fix's reports show theirs
            if result.scores.result is not None:
                data_report = build_report(result.scores.result, command=command, augmentation=result.report,
                                           source_bytes=piped)
            else:  # scores came from --scores: rebuild from that file and the data, read as the run read it
                opts = read_opts if piped is None else {**read_opts, "stdin": io.BytesIO(piped)}
                data_report = build_report_from_files(
                    scores, data=data, label=result.table.label, command=command,
                    augmentation=result.report, read_options=opts, drop=result.table.dropped,
                )
            write_report(data_report, stage.path(html_report))
    report = dict(result.report, output=str(output), report=str(json_report))
    if as_json:
        print_json(report)
    elif not quiet:
        render_augment(stdout_console(), report)


def _staged_augment(result: Any, output: Path, json_report: Path, stage: Any, fmt: str | None) -> None:
    """Stage the augmented table and its JSON report, the report recording the paths they get once in place."""
    from ..augment import write_augmented

    write_augmented(result, stage.path(output), format=fmt, report_path=stage.path(json_report),
                    record=(output, json_report))


def check_unused_options(
    *, generator: str, evaluate: bool, holdout: str | None, epochs: int | None, batch_size: int | None,
    splits: int = 1, scores: str | None = None, k: int | None = None,
) -> None:
    """Refuse options typed on the command line that would do nothing with the others given.

    With ``--scores`` the rows are not valued again: ``--k`` is refused unless ``--evaluate`` values
    its training splits with it. ``--drop`` is kept: it sets the evaluation's features and is
    checked against the ``--drop`` a Parquet scores file records.
    """
    from ..augment.config import NEURAL
    from ..errors import ConfigError

    if scores is not None and not evaluate and given_on_command_line("k"):
        from ..augment.core import _scores_k, _scores_metadata

        theirs = _scores_k(_scores_metadata(scores))
        used = f" (computed with K={theirs})" if theirs is not None else ""
        raise ConfigError(
            f"--k {k} sets the K of the valuation, but --scores {scores} already fixed the values{used} and no row "
            f"is valued again: drop --k, or re-run `dvclean score --k {k}` and pass its output (or omit --scores)"
        )

    if not evaluate:
        for typed, option in (
            (holdout is not None, "--holdout"), (given_on_command_line("repeats"), "--repeats"),
            (given_on_command_line("splits"), "--splits"),
        ):
            if typed:
                raise ConfigError(f"{option} is only used by --evaluate; add --evaluate or drop {option}")
    elif holdout is not None and splits > 1:
        raise ConfigError(
            f"--splits {splits} re-draws the holdout, but a --holdout file is fixed: drop --splits or --holdout"
        )
    if generator not in NEURAL:
        for value, option in ((epochs, "--epochs"), (batch_size, "--batch-size")):
            if value is not None:
                raise ConfigError(
                    f"{option} applies to the neural generators ({', '.join(NEURAL)}) only; "
                    f"--generator {generator} has no training loop: drop {option}"
                )


def refuse_augment_table(data: str) -> None:
    """Refuse an ``[augment]`` table in the configuration files that apply to ``data``, as the commands that read
    them do: ``augment`` reads none, so its values would be silently ignored. A file that cannot be parsed is left
    to the commands that read it."""
    from ..errors import ConfigError
    from ..settings import find_config_files

    try:
        files = find_config_files(data)
    except ConfigError:
        return
    for cf in files:
        if isinstance(cf.table.get("augment"), dict):
            raise ConfigError(
                f"{cf.section_name('augment')}: `dvclean augment` does not read configuration files; pass its "
                "options on the command line and remove the table"
            )


def check_hard_frac(target: str, hard_frac: float, html_report: Path | None) -> None:
    """Refuse a typed ``--hard-frac`` that selects nothing: the target set has no ``hard`` part (and no
    ``--report`` shows the rows it flags hard)."""
    from ..augment.config import Target, parse_target
    from ..errors import ConfigError

    if not given_on_command_line("hard_frac") or html_report is not None:
        return
    spec = parse_target(target)
    if spec.base != "hard":
        hard = Target("hard", spec.classes)
        raise ConfigError(
            f"--hard-frac {hard_frac:g} sizes the hard set, but --target {spec} uses no hard set (the generator "
            f"learns from all the rows it names whatever --hard-frac): drop --hard-frac, or use --target {hard}"
        )


def _for_augment(problem: str) -> str:
    """Rewrite a label problem whose hint is about --task (score/check/fix) for augment (class labels only)."""
    from ..augment.core import for_augment

    return for_augment(problem)


#: The evaluation's metrics where lower is better (the table's headers say so).
LOSS_METRICS = frozenset({"log_loss"})


def render_augment(console: Any, report: dict[str, Any]) -> None:
    """Human summary of an augment run (the evaluation table and verdict when present)."""
    from rich.table import Table

    from ._output import esc

    tgt, gen, rows = report["target"], report["generator"], report["output_rows"]
    mix = ", ".join(f"{c}: {n}" for c, n in tgt["class_mix"].items())
    dropped = int(rows.get("dropped_mislabeled") or 0)  # (--drop-mislabeled: also gone from the output)
    removed = f"; {dropped} of them removed from the output (--drop-mislabeled)" if dropped else ""
    console.print(
        f"[bold]dvclean augment[/bold] {esc(report['input']['path'])}: target [bold]{esc(tgt['spec'])}[/bold] = "
        f"{tgt['rows']} rows ({esc(mix)}); {_mislabeled_use(report)}{removed}",
        highlight=False,
    )
    fit = (f", {gen['epochs']} epoch{'' if gen['epochs'] == 1 else 's'}, batch {gen['batch_size']}"
           if gen["epochs"] is not None else "")
    held = f" (withheld, empty: {esc(', '.join(gen['withheld']))})" if gen.get("withheld") else ""
    console.print(f"generator {esc(gen['name'])}{fit}: {rows['synthetic']} synthetic rows{held}", highlight=False)
    q = report.get("quality")
    if q and q.get("score") is not None:
        console.print(f"SDMetrics quality vs. its training rows: {q['score']:.3f}", highlight=False)
    ev = report.get("evaluation")
    if ev:
        primary = ev["primary_metric"]
        names = [m for m in ev["arms"]["baseline"] if isinstance(ev["arms"]["baseline"][m], dict)]
        n_splits = int(ev.get("splits", 1))
        over = (
            f"{n_splits} splits x {ev['repeats']} seeds: mean ± 95% CI over the splits"
            if n_splits > 1 else f"{ev['repeats']} seeds: mean ± 95% CI (seeds and holdout rows)"
        )
        rows_of = f"{ev['split']['holdout']} rows{' each' if n_splits > 1 else ''}"
        table = Table(title=f"holdout ({rows_of}), XGBoost over {over}", title_justify="left")
        table.add_column("arm")
        table.add_column("rows", justify="right")
        for m in names:  # (a loss: a positive difference is worse, which the headers say)
            loss = m in LOSS_METRICS
            table.add_column(esc(m) + (" (lower is better)" if loss else ""), justify="right")
            table.add_column(f"Δ {esc(m)}" + (" (+ is worse)" if loss else ""), justify="right")
        for arm, entry in ev["arms"].items():
            cells = [arm.replace("_", "-"), str(entry["rows"])]
            for m in names:
                cells.append(_pm(entry[m]))
                cells.append(_pm(entry[f"delta_{m}"], signed=True) if f"delta_{m}" in entry else "")
            table.add_row(*cells)
        console.print(table)
        tested = _evaluated_target(report)
        console.print(f"[bold]{esc(ev['verdict'])}[/bold] (primary metric: {esc(primary)}{esc(tested)})",
                      highlight=False)
    for note in augment_notes(report):
        console.print(f"note: {esc(note)}", highlight=False)
    total = sum(v for k, v in report["timings"].items())
    console.print(
        f"time: {total:.1f}s; wrote {esc(report['output'])} ({rows['total']} rows) and {esc(report['report'])}",
        highlight=False,
    )


def _evaluated_target(report: dict[str, Any]) -> str:
    """What the evaluation's targeted arm learned from, for the verdict line, when its class mix is not the output's
    (the evaluation chooses its own target rows in its training split, valued against its valuation split); else "".
    """
    ev, tgt = report.get("evaluation") or {}, report["target"]
    mix = ev.get("target_class_mix")
    if not mix or mix == tgt.get("class_mix"):
        return ""
    shown = ", ".join(f"{c}: {n}" for c, n in mix.items())
    ours = ", ".join(f"{c}: {n}" for c, n in (tgt.get("class_mix") or {}).items())
    where = "the first split's" if int(ev.get("splits", 1)) > 1 else "its"
    return (f"; the targeted arm learned from the evaluation's own {tgt['spec']} rows, "
            f"{ev.get('target_rows', sum(mix.values()))} of {where} training split ({shown}), not the output's "
            f"{tgt['rows']} ({ours})")


def augment_notes(report: dict[str, Any]) -> list[str]:
    """The valuation's notes, augment's own, then the evaluation's, each once."""
    ev = report.get("evaluation") or {}
    return list(dict.fromkeys([*report["scores"].get("notes", []), *report.get("notes", []), *ev.get("notes", [])]))


def _mislabeled_use(report: dict[str, Any]) -> str:
    """How many rows are flagged mislabeled and how many of them trained the generator (the report's counts)."""
    flagged, used = report["scores"]["mislabeled"], report["target"]["mislabeled_rows_used"]
    if not report["config"].get("include_mislabeled"):
        excluded = report["target"].get("mislabeled_rows_excluded", flagged)
        if excluded == flagged:  # (every flagged row is a target row: the whole data set, or all in the class)
            return f"{flagged} flagged mislabeled (not used for training)"
        classes = str(report["target"].get("spec", "")).count("class:")
        synthetic_in = int(report["target"].get("synthetic_rows_excluded") or 0)
        if classes:  # (a class target: the other classes' flagged rows, and synthetic ones, were never candidates)
            where = "real rows of " * bool(synthetic_in) + "the targeted class" + ("es" if classes > 1 else "")
            return f"{flagged} flagged mislabeled, {excluded or 'none'} of them in {where} (kept out of training)"
        # (no class target: the flagged rows the count leaves out are the input's synthetic rows, which never train)
        return (f"{flagged} flagged mislabeled ({excluded} real, {flagged - excluded} synthetic rows of the input), "
                "none used for training")
    if flagged == 0:
        return "0 flagged mislabeled"
    if flagged == 1:
        return f"1 flagged mislabeled, {'among' if used else 'not among'} the training rows"
    return f"{flagged} flagged mislabeled, {used or 'none'} of them among the training rows"


def _pm(stat: dict[str, Any], signed: bool = False) -> str:
    from ..augment.evaluate import signed as with_sign

    mean, ci = stat["mean"], stat["ci95"]
    m = with_sign(mean) if signed else f"{mean:.4f}"
    return m if ci is None else f"{m} ± {ci:.4f}"

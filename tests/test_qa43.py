"""Session 43's fixes (QA rounds 66-67 and the items left from session 42)."""

from __future__ import annotations

from typer.testing import CliRunner

from dvclean.cli import app

from .test_check import clusters, write_csv

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_step_summary_naming_one_of_several_data_files_is_refused_once(tmp_path, monkeypatch):
    a = write_csv(clusters(), tmp_path / "a.csv")
    b = write_csv(clusters(), tmp_path / "b.csv")
    before = a.read_bytes()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(a))
    res = runner.invoke(app, ["check", str(a), str(b), "-y", "y", "--format", "github"])
    assert res.exit_code == 2, res.output
    said = flat(res.stderr + res.stdout)
    assert said.count(f"$GITHUB_STEP_SUMMARY ({a}) is the input file {a}") == 2  # the ::error line and stderr: once each
    assert a.read_bytes() == before
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # the github format by default in GitHub Actions: the same
    res = runner.invoke(app, ["check", str(a), str(b), "-y", "y"])
    assert res.exit_code == 2 and flat(res.stderr + res.stdout).count("is the input file") == 2
    res = runner.invoke(app, ["check", str(a), str(b), "-y", "y", "--format", "text"])  # not appended to: fine
    assert res.exit_code == 0, res.output
    assert a.read_bytes() == before


def test_data_and_valid_or_holdout_both_from_stdin_is_refused_clearly(tmp_path):
    """Both read standard input: the data took it all and --valid found it empty ('no data was piped in', which was
    false; QA round 67)."""
    text = write_csv(clusters(), tmp_path / "d.csv").read_text()
    for args, option in ((["score", "-", "-y", "y", "--valid", "-", "-o", str(tmp_path / "s.parquet")], "--valid"),
                         (["check", "-", "-y", "y", "--valid", "-"], "--valid"),
                         (["augment", "-", "-y", "y", "--holdout", "-", "--evaluate", "-o", str(tmp_path / "a.csv")],
                          "--holdout")):
        res = runner.invoke(app, args, input=text)
        assert res.exit_code == 2, res.output
        said = flat(res.stderr)
        assert "both read standard input (-)" in said and f"give {option} the path of a file" in said, said
        assert "no data was piped in" not in said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_a_baseline_from_stdin_is_refused_without_a_hint_to_write_a_file_named_dash(tmp_path):
    data = write_csv(clusters(), tmp_path / "d.csv")
    for args, text in ((["check", str(data)], None), (["check", "-"], data.read_text())):
        res = runner.invoke(app, [*args, "-y", "y", "--baseline", "-", "--max-new-mislabeled", "1"], input=text)
        assert res.exit_code == 2, res.output
        said = flat(res.stderr)
        assert "--baseline cannot read standard input (-): give the path of a baseline file" in said, said
        assert "mv -.tmp" not in said and "no such file" not in said


def test_a_budget_note_advises_one_worker_only_to_a_run_that_used_several():
    """With --n-jobs 1 the note advised '--n-jobs 1 spends less of it starting workers' (QA round 67's docs audit)."""
    import numpy as np
    import polars as pl

    import dvclean
    from dvclean.config import CrossFitConfig, ScoreConfig, TMCConfig

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 150)
    frame = pl.DataFrame({"a": rng.normal(size=150) + y, "b": rng.normal(size=150), "y": y})

    def note(n_jobs: int) -> str:
        cfg = ScoreConfig(methods=("banzhaf",), tmc=TMCConfig(time_budget=1e-6),
                          crossfit=CrossFitConfig(n_jobs=n_jobs, n_folds=3))
        return " ".join(n for n in dvclean.score(frame, label="y", config=cfg).summary["notes"] if "--time-budget" in n)

    alone = note(1)
    assert "rough estimates" in alone and "--n-jobs 1" not in alone
    assert "the run's start-up, a few seconds of imports and first fits, counts against it" in alone
    assert "on small data --n-jobs 1 spends less of it starting workers" in note(2)


def test_identical_feature_rows_say_so_instead_of_an_auroc_artefact(tmp_path):
    """Every feature constant: the predictability test's AUROC is an artefact of the folds' class shares ('out-of-sample
    AUROC 0.000' was printed; QA round 67)."""
    data = tmp_path / "c.csv"
    data.write_text("a,b,y\n" + "".join(f"1.0,2.0,{int(i % 7 < 3)}\n" for i in range(200)))
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    said = flat(res.output)
    assert "every row has the same feature values" in said and "the mislabel flags are noise" in said
    assert "AUROC" not in said


def test_the_progress_bar_says_which_time_is_elapsed_and_which_is_left():
    """It read '0:00:01 left 0:00:23' (QA round 69): the first time is the elapsed one."""
    import io
    import re

    from rich.console import Console

    from dvclean.cli._output import progress_reporter

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with progress_reporter(console, enabled=True) as report:
        assert report is not None
        report("knn", 5, 10)
    line = [x for x in out.getvalue().splitlines() if "knn" in x][-1]  # (the final render)
    assert re.search(r"5/10 \d+:\d\d:\d\d elapsed, (\d+:\d\d:\d\d|-:--:--) left", line), line

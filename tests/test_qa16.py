"""Defects found in the sixteenth QA round (and fixed), one test each."""

from __future__ import annotations

import pytest

from dvclean.augment import augment
from dvclean.config import ScoreConfig

from .conftest import needs_sdv
from .test_augment_followups import fast, scores_of, text_classes


@needs_sdv
def test_augment_names_the_method_of_a_scores_file_and_no_knn_k_for_another_method(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    oob = scores_of(tmp_path, data, "oob.parquet", label="label", config=ScoreConfig(methods=("oob",)))
    r = augment(str(data), label="label", scores=oob, config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "oob" and r.report["scores"]["source"].endswith("(oob)")
    assert r.report["config"]["k"] is None  # was the footer's knn.k, a K that valued nothing
    knn = scores_of(tmp_path, data, "knn.parquet", label="label", config=ScoreConfig(seed=0))
    r = augment(str(data), label="label", scores=knn, config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "knn" and r.report["config"]["k"] == 5
    r = augment(str(data), label="label", config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "knn" and r.report["scores"]["source"] == "computed (knn)"


# ---------------------------------------------------------------- configuration files


def _gate(tmp_path, toml: str, *args: str, method: tuple[str, ...] = ("-m", "knn")):
    from typer.testing import CliRunner

    from dvclean.cli import app

    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=80)
    (tmp_path / "dvclean.toml").write_bytes(toml.encode() if isinstance(toml, str) else toml)
    return CliRunner().invoke(app, ["check", str(data), *method, *args])


def test_an_on_off_option_from_a_file_is_turned_off_by_its_no_form(tmp_path):
    toml = 'label = "y"\n[check]\nexit-zero = true\nmax-mislabeled = 0\n'
    assert _gate(tmp_path, toml, "-q").exit_code == 0  # the file's exit-zero hides the failing check
    assert _gate(tmp_path, toml, "-q", "--no-exit-zero").exit_code == 1  # was "No such option"
    res = _gate(tmp_path, toml, "--no-exit-zero", "--show-config")
    assert "exit-zero" in res.output and "false" in res.output and "command line" in res.output


@pytest.mark.parametrize(("line", "expected"), [
    ('null-values = ["?"]', "invalid value ['?'] for --null-values: it takes one value, not a list"),
    ("k = 0", "invalid value 0 for --k: it must be an int >= 1"),
    ('mislabel-rule = "bogus"', "invalid value 'bogus' for --mislabel-rule: it must be one of"),
    ("max_mislabeled = 5\nmax-mislabeled = 3", "'max-mislabeled' and 'max_mislabeled' set the same option"),
    ("method = []", "method = [] names no method"),
])
def test_bad_values_in_a_file_name_the_file(tmp_path, line, expected):
    res = _gate(tmp_path, f'label = "y"\n{line}\n', "-q", method=() if line.startswith("method") else ("-m", "knn"))
    assert res.exit_code == 2, res.output
    assert f"{tmp_path / 'dvclean.toml'}" in res.output and expected in res.output, res.output


def test_a_bom_or_a_directory_as_configuration_file_is_named(tmp_path):
    res = _gate(tmp_path, b'\xef\xbb\xbflabel = "y"\n', "-q")
    assert res.exit_code == 2 and "byte-order mark" in res.output, res.output
    (tmp_path / "dvclean.toml").unlink()
    (tmp_path / "dvclean.toml").mkdir()
    from typer.testing import CliRunner

    from dvclean.cli import app

    res = CliRunner().invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "-m", "knn", "-q"])
    assert res.exit_code == 2 and "is a directory" in res.output, res.output  # was silently skipped
    res = CliRunner().invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--config", str(tmp_path / "dvclean.toml")])
    assert res.exit_code == 2 and "is a directory" in res.output, res.output  # said "no such file"


@needs_sdv
def test_augment_refuses_an_augment_table(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=60)
    (tmp_path / "dvclean.toml").write_text("[augment]\nseed = 1\n")
    res = CliRunner().invoke(app, ["augment", str(data), "-y", "y", "-g", "gaussian-copula", "-n", "5",
                                   "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 2 and "does not read configuration files" in res.output, res.output
    assert not (tmp_path / "a.csv").exists()

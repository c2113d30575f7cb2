"""Defects found in the seventeenth QA round (and fixed), one test each."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_dvclean_and_the_entry_point_load_no_numerical_stack():
    # the console script imports dvclean.cli before main() can install its Ctrl-C handling; that import was
    # ~0.9 s (numpy, polars, scipy, scikit-learn), and a Ctrl-C in it printed Python's traceback
    code = ("import sys, dvclean, dvclean.cli; "
            "print(sorted(m for m in ('numpy', 'polars', 'scipy', 'sklearn', 'typer', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_public_names_still_resolve_lazily():
    import dvclean

    for name in dvclean.__all__:
        assert getattr(dvclean, name) is not None, name
        assert name in dir(dvclean)
    from dvclean import REGISTRY, score

    assert callable(score) and "knn" in REGISTRY
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dvclean.nope  # noqa: B018


def test_a_ctrl_c_while_the_commands_load_exits_130_without_a_traceback(monkeypatch, capsys):
    import dvclean.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_load_app", interrupted)
    monkeypatch.setattr(sys, "argv", ["dvclean", "score", "x.csv", "--label", "y"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 130
    assert capsys.readouterr().err == "interrupted; no output was written\n"


def _float_ids(path):
    rows = ["id,x,y"] + [f"{i if i != 1 else 1.5},{(i % 3) + i / 10:.1f},{'ab'[i % 2]}" for i in range(24)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_float_id_column_keeps_its_spelling_in_scores_and_fixed_copies(tmp_path):
    import polars as pl

    from dvclean import score
    from dvclean.config import FixConfig
    from dvclean.fix import fix, write_fixed

    data = _float_ids(tmp_path / "d.csv")
    r = score(str(data), label="y", id_column="id")
    assert r.frame["id"].to_list()[:3] == ["0", "1.5", "2"]  # was 0.0, 1.5, 2.0
    fixed = fix(str(data), label="y", id_column="id", config=FixConfig(action="mark"))
    out = tmp_path / "fixed.csv"
    write_fixed(fixed, out)
    assert out.read_text().splitlines()[1].startswith("0,") and out.read_text().splitlines()[3].startswith("2,")
    # a continuous float *label* stays a number (a regression target), and integer ids stay integers
    ints = tmp_path / "i.csv"
    ints.write_text("id,x,y\n" + "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(24)))
    assert score(str(ints), label="y", id_column="id").frame.schema["id"] == pl.Int64


@pytest.mark.parametrize(("lines", "named"), [
    ('json = true\nformat = "markdown"', "json = true, format = 'markdown')"),
    ("max-new-hard = 3", "max-new-hard = 3)"),  # as written (an int), not the option's text '3'
])
def test_a_cross_option_error_names_the_configuration_file_its_values_came_from(tmp_path, lines, named):
    from .test_qa16 import _gate

    res = _gate(tmp_path, f'label = "y"\n[check]\n{lines}\n')
    assert res.exit_code == 2
    assert f"(set in {tmp_path / 'dvclean.toml'} [check]: {named}" in " ".join(res.output.split())
    # typed on the command line, the message is unchanged
    res = _gate(tmp_path, 'label = "y"\n', "--json", "--format", "markdown")
    assert res.exit_code == 2 and "set in" not in res.output


def test_version_option_on_the_main_command():
    from typer.testing import CliRunner

    from dvclean import __version__
    from dvclean.cli import app

    for flag in ("--version", "-V"):
        res = CliRunner().invoke(app, [flag])
        assert res.exit_code == 0 and res.output == f"dvclean {__version__}\n"  # was "No such option"


def test_a_torch_whose_native_libraries_fail_to_load_gets_the_install_hint(monkeypatch):
    import importlib.abc

    from dvclean.augment._sdv import require_sdv
    from dvclean.errors import DvcleanError

    class Broken(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "sdv":  # as torch raises while SDV imports it
                raise OSError("libtorch_cpu.so: cannot open shared object file")
            return None

    monkeypatch.delitem(sys.modules, "sdv", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    with pytest.raises(DvcleanError, match=r"dvclean\[augment\].*libtorch_cpu\.so"):  # was exit 3, "a bug in dvclean"
        require_sdv()

"""QA round 60 (session 39).

* Every message that tells how to create a `check` baseline gives the safe command (``--exit-zero`` into
  ``NAME.tmp``, renamed once complete): a missing baseline, one of another label or task, one whose rows cannot
  be matched and ``--max-new-*`` without ``--baseline`` suggested ``dvclean check DATA --json > main.json``, which
  the README warns against (a failing gate exits 1 and stops a CI step; a run that dies leaves a half file).
"""
from __future__ import annotations

import pytest

from dvclean.check import Baseline, baseline_command, load_baseline
from dvclean.errors import ConfigError, InputError

SAFE = "--exit-zero > main.json.tmp && mv main.json.tmp main.json`"


def test_a_missing_baseline_suggests_the_safe_command(tmp_path):
    with pytest.raises(InputError) as e:
        load_baseline(tmp_path / "main.json")
    full = SAFE.replace("main.json", str(tmp_path / "main.json"))  # (the path as given, its folder kept)
    assert str(e.value).endswith(f"create it with `dvclean check DATA --json {full}")
    assert "--json > main.json`" not in str(e.value)


@pytest.mark.parametrize(("label", "task", "command"), [  # (the baseline's path as given, its folder kept)
    ("z", None, "`dvclean check DATA --label z --json " + SAFE.replace("main.json", "ci/main.json")),
    ("y", "regression", "`dvclean check DATA --label y --task regression --json "
     + SAFE.replace("main.json", "ci/main.json")),
])
def test_a_baseline_of_another_label_or_task_suggests_the_safe_command(label, task, command):
    base = Baseline(path="ci/main.json", key="hash", id_column=None, mislabeled=(), hard=(), label="y",
                    task="classification")
    with pytest.raises(ConfigError) as e:
        base.check_compatible(label, task)
    assert command in str(e.value)


def test_baseline_command_quotes_a_name_with_spaces():
    assert baseline_command("my base.json") == (
        "`dvclean check DATA --json --exit-zero > 'my base.json.tmp' && mv 'my base.json.tmp' 'my base.json'`")

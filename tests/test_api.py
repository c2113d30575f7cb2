"""The documented Python entry points are reachable after a bare ``import dvclean``."""

from __future__ import annotations

import subprocess
import sys


def test_submodules_are_attributes_of_the_package():
    code = (
        "import dvclean\n"
        "assert callable(dvclean.fix.fix) and callable(dvclean.check.evaluate_check)\n"
        "assert callable(dvclean.report.build_report) and callable(dvclean.diagnostics.label_predictability)\n"
        "try:\n    dvclean.no_such_thing\nexcept AttributeError as e:\n    assert 'no_such_thing' in str(e)\n"
        "else:\n    raise SystemExit('no AttributeError')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr

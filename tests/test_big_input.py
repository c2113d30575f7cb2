"""Big input: 1,000,000 rows x 50 columns scored with --method knn under 4 GiB peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from dvclean.testing import write_big_csv

LIMIT_MIB = 4096


@pytest.mark.slow
@pytest.mark.timeout(1800)  # (6 minutes alone on a quick machine, 10 beside the other worker on a slow one)
def test_million_rows_fifty_columns_under_4_gib(tmp_path):
    src = tmp_path / "big.csv"
    write_big_csv(src, 1_000_000, 50, seed=0)
    out = tmp_path / "scores.parquet"
    # a fresh parent process, so RUSAGE_CHILDREN sees only this run's peak
    probe = textwrap.dedent(f"""
        import json, resource, subprocess, sys
        r = subprocess.run([sys.executable, "-m", "dvclean", "score", {str(src)!r}, "--method", "knn",
                            "-o", {str(out)!r}, "--json", "-q"], capture_output=True, text=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({{"rc": r.returncode, "peak_mib": peak, "stderr": r.stderr[-2000:], "stdout": r.stdout}}))
    """)
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=1800)
    doc = json.loads(res.stdout.strip().splitlines()[-1])
    assert doc["rc"] == 0, doc["stderr"]
    summary = json.loads(doc["stdout"])
    assert summary["rows"]["valued"] == 1_000_000
    assert summary["methods"]["knn"]["diagnostics"]["algorithm"] == "approx"
    assert doc["peak_mib"] < LIMIT_MIB, f"peak RSS {doc['peak_mib']:.0f} MiB"

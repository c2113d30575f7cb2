"""Hypothesis-driven fuzzing of the CSV loading path (``make fuzz``; never part of ``make test``).

Feeds mutated CSV text and raw bytes to ``dvclean.score`` through stdin-like input and
fails on any exception that is not a documented :class:`dvclean.DvcleanError`. Each
crash found is saved under ``tests/fuzz_corpus/`` and replayed by
``tests/test_fuzz_regressions.py`` for ever after.

Usage::

    python fuzz/fuzz_csv.py --seconds 120
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dvclean
from dvclean.errors import DvcleanError

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fuzz_corpus"

cells = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
    st.sampled_from(["", "NA", "?", "null", "true", "False", '"', '""', "1e308", "-0", "2020-01-01", "12:00", "\r", "\ufeff"]),
)


@st.composite
def csv_documents(draw: st.DrawFn) -> bytes:
    n_cols = draw(st.integers(1, 6))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(["a", "b", "label", "y", " x ", "é", "", "a"]), min_size=n_cols, max_size=n_cols))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=n_cols + 1), max_size=25))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = sep.join(header) + eol + eol.join(sep.join(r) for r in rows)
    data = text.encode("utf-8", errors="surrogatepass") if draw(st.booleans()) else text.encode("utf-8", "replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=4)) + data[cut:]
    return data


documents = st.one_of(csv_documents(), st.binary(max_size=200))


def check(data: bytes) -> None:
    """The property: only documented errors, never anything else."""
    try:
        dvclean.score("-", read_options={"stdin": io.BytesIO(data)})
    except DvcleanError:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    deadline = time.monotonic() + args.seconds
    count = {"n": 0, "crashes": 0}

    @settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(documents)
    def fuzz(data: bytes) -> None:
        if time.monotonic() > deadline:
            return
        count["n"] += 1
        try:
            check(data)
        except Exception:
            count["crashes"] += 1
            CORPUS.mkdir(parents=True, exist_ok=True)
            path = CORPUS / f"crash-{hashlib.sha1(data).hexdigest()[:12]}.bin"
            path.write_bytes(data)
            print(f"CRASH saved to {path}:\n{traceback.format_exc()}", file=sys.stderr)

    while time.monotonic() < deadline:
        fuzz()  # crashes are recorded, not raised, so every round runs to completion
    print(f"fuzz: {count['n']} inputs in {args.seconds:.0f}s, {count['crashes']} crashes")
    sys.exit(1 if count["crashes"] else 0)


if __name__ == "__main__":
    main()

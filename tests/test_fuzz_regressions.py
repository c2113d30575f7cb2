"""Inputs that once crashed the loader (found by ``make fuzz``) now give documented errors or work."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import dvclean
from dvclean.errors import DvcleanError

CORPUS = Path(__file__).parent / "fuzz_corpus"
CASES = sorted(CORPUS.glob("*.bin")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fuzz_regression(path):
    try:
        dvclean.score("-", read_options={"stdin": io.BytesIO(path.read_bytes())})
    except DvcleanError:
        pass


def test_lone_carriage_return_in_header():
    with pytest.raises(DvcleanError):
        dvclean.score("-", read_options={"stdin": io.BytesIO(b'a,"b\rc\n1,2\n')})

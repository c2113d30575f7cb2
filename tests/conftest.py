"""Shared fixtures."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

from dvclean.testing import inject_label_noise  # noqa: F401  (re-exported for the tests)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "adult_2000.csv"
SHARED_DATA = Path(os.environ.get("DVCLEAN_SHARED_DATA", ROOT.parent / "shared" / "data"))

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("ci", max_examples=120, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


#: Tests that need the machine to themselves: `make test` runs them one at a time after the rest
#: (which runs on two pytest-xdist workers). A time budget's outcome depends on the CPU a test gets
#: (the TMC acceptance is "AUROC >= 0.75 within a 2-minute budget on 2 cores"), and the signal and
#: resume tests time their kills against a running process.
SERIAL_MODULES = {"test_interrupt.py", "test_resume.py", "test_time_budget_methods.py"}
SERIAL_TESTS = {"test_tmc_finds_flipped_labels_within_a_time_budget", "test_time_budget_stop_is_reported"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SERIAL_MODULES or getattr(item, "originalname", item.name) in SERIAL_TESTS:
            item.add_marker(pytest.mark.serial)


HAS_SDV = importlib.util.find_spec("sdv") is not None
#: Skip marker of the tests that train SDV generators (the optional extra).
needs_sdv = pytest.mark.skipif(not HAS_SDV, reason="SDV is not installed (pip install \".[augment]\" in the checkout)")


@pytest.fixture
def sdv_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SDV writes a logger config under the user data dir: keep it in a temporary HOME.

    Modules that train generators use it for every test: ``pytestmark = pytest.mark.usefixtures("sdv_home")``.
    """
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


@pytest.fixture
def copula_fits(monkeypatch: pytest.MonkeyPatch) -> list:
    """The training frame of every gaussian-copula fit (SDV's ``GaussianCopulaSynthesizer.fit`` spied on)."""
    from sdv.single_table import GaussianCopulaSynthesizer

    seen: list = []
    original = GaussianCopulaSynthesizer.fit

    def spy(self: object, data: dict) -> object:
        seen.append(data["rows"].copy())
        return original(self, data)

    monkeypatch.setattr(GaussianCopulaSynthesizer, "fit", spy)
    return seen


@pytest.fixture
def sample_csv() -> Path:
    return SAMPLE


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data directory {SHARED_DATA} is absent (set DVCLEAN_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fix_db"]

ROOT = Path(__file__).resolve().parents[1]


def _captures() -> Path:
    """``../shared/captures`` beside the checkout, or ``P88_CAPTURES``."""
    explicit = os.environ.get("P88_CAPTURES")
    if explicit:
        return Path(explicit)
    return ROOT.parent / "shared" / "captures"


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    """The real ChronoTrack captures in ../shared/captures (never copied into the repo)."""
    path = _captures()
    if not path.is_dir():
        pytest.fail(f"real captures not found at {path} (set P88_CAPTURES to their directory)")
    return path

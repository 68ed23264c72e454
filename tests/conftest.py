from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.fix_db"]

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "captures"


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    """The real ChronoTrack captures in ../shared/captures (never copied into the repo)."""
    if not CAPTURES.is_dir():
        pytest.fail(f"real captures not found at {CAPTURES}")
    return CAPTURES

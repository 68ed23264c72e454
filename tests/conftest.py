"""Shared fixtures. What a fresh clone may lack (the real captures in ``../shared``, a
Chromium) makes its tests skip with one line; ``P88_TEST_REQUIRE_ALL=1`` (set by ``.ci/run``,
where both exist) turns each such skip into a failure, so CI always runs everything.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM

pytest_plugins = ["tests.fix_db"]

ROOT = Path(__file__).resolve().parents[1]


def _captures() -> Path:
    """``../shared/captures`` beside the checkout, or ``P88_CAPTURES``."""
    explicit = os.environ.get("P88_CAPTURES")
    if explicit:
        return Path(explicit)
    return ROOT.parent / "shared" / "captures"


REQUIRE_ALL = "P88_TEST_REQUIRE_ALL"


def missing(reason: str) -> None:
    """Skip the test for want of something outside the repository, or fail under CI's switch."""
    if os.environ.get(REQUIRE_ALL, "") not in ("", "0"):
        pytest.fail(f"{reason} ({REQUIRE_ALL} is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    """The real ChronoTrack captures in ../shared/captures (never copied into the repo)."""
    path = _captures()
    if not path.is_dir():
        missing(f"real captures not found at {path} (set P88_CAPTURES to their directory)")
    return path


@pytest.fixture
def browser_profile() -> Iterator[Path]:
    """A throwaway Chromium profile; skips (or fails under CI's switch) without Chromium."""
    if not Path(CHROMIUM).exists():
        missing("chromium is not installed (apt-get install -y chromium)")
    profile = Path(tempfile.mkdtemp(prefix="p88-chromium-"))
    yield profile
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def listener_port(p88_env: str, tmp_path: Path) -> Iterator[int]:
    """A real listener in a thread (its own event loop), so the CLI can run asyncio itself."""
    from p88.listener import Listener, ListenOptions

    ready, ports = threading.Event(), []
    stops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def serve() -> None:
        async def main() -> None:
            lis = Listener(p88_env, ListenOptions(spool_dir=tmp_path / "spool", port=0))
            stop, started = asyncio.Event(), asyncio.Event()
            stops.append((asyncio.get_running_loop(), stop))
            task = asyncio.create_task(lis.run(stop, ready=started))
            await started.wait()
            assert lis.server is not None
            ports.append(lis.server.bound_port)
            ready.set()
            await task

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(20)
    yield ports[0]
    loop, stop = stops[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)

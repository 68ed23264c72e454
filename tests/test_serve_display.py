"""The display page in a real headless Chromium: a read committed after the page loaded shows up.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL on fds 3 and 4), so no extra package and no debugging port.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88.serve import create_app
from tests.test_serve_fixtures import at, insert_reads, make_session, running, wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
]


class DevTools:
    """A minimal synchronous CDP client over Chromium's debugging pipe."""

    def __init__(self, url: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # The shell maps our pipe ends onto the fds Chromium expects (3 in, 4 out).
        script = f'exec 3<&{to_chrome_r} 4>&{from_chrome_w}; exec "$@"'
        self.proc = subprocess.Popen(
            ["bash", "-c", script, "bash", CHROMIUM, *FLAGS, f"--user-data-dir={profile}", url],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("P88_CHROMIUM_LOG") else subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def call(self, method: str, timeout: float = 15, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise AssertionError(f"{method}: {reply['error']}")
                    result: dict[str, Any] = reply.get("result", {})
                    return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"Chromium did not answer {method}")
            ready, _, _ = select.select([self._from_chrome], [], [], remaining)
            if ready:
                chunk = os.read(self._from_chrome, 65536)
                if not chunk:
                    raise AssertionError("Chromium closed the DevTools pipe")
                self._buffer += chunk

    def attach_to_page(self, timeout: float = 30) -> None:
        """Attach to the (first) page once Chromium has opened it."""
        deadline = time.monotonic() + timeout
        while True:
            targets = self.call("Target.getTargets")["targetInfos"]
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                break
            if time.monotonic() > deadline:
                raise AssertionError("Chromium opened no page")
            time.sleep(0.1)
        reply = self.call("Target.attachToTarget", targetId=pages[0]["targetId"], flatten=True)
        self.session = reply["sessionId"]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture
def browser_profile() -> Iterator[Path]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    profile = Path(tempfile.mkdtemp(prefix="p88-chromium-"))
    yield profile
    shutil.rmtree(profile, ignore_errors=True)


def test_page_shows_a_read_inserted_after_it_loaded(
    db_url: str, conn: psycopg.Connection[Any], browser_profile: Path
) -> None:
    sid = make_session(conn)
    insert_reads(conn, sid, [("finish", "1001", at(3000))])
    app = create_app(db_url)
    with running(app) as base:
        wait_until(lambda: app.state.hub.floor is not None)
        chrome = DevTools(base + "/", browser_profile)
        try:
            chrome.attach_to_page()

            def page_state() -> Any:
                return chrome.evaluate("document.getElementById('status').dataset.state")

            wait_until(lambda: page_state() == "live", timeout=30)
            wait_until(lambda: len(app.state.hub.subscribers) == 1)
            reads_text = "document.getElementById('reads').innerText"
            assert "1001" in chrome.evaluate(reads_text)  # loaded with the page
            assert "4242" not in chrome.evaluate(reads_text)

            insert_reads(conn, sid, [("finish", "4242", at(2900.57))])
            wait_until(lambda: "4242" in chrome.evaluate(reads_text), timeout=10)
            first_row = chrome.evaluate(
                "Array.from(document.querySelectorAll('#reads tr')[0].cells)"
                ".map(c => c.textContent)"
            )
            assert first_row == ["08:48:20.57", "Finish Line", "4242"]
            board = "document.getElementById('board').innerText"
            # the leaderboard refreshes too: 4242 crossed before 1001, so it leads
            wait_until(lambda: chrome.evaluate(board).split()[:2] == ["1", "4242"], timeout=10)
        finally:
            chrome.close()


def test_page_shows_race_standings(
    db_url: str, conn: psycopg.Connection[Any], browser_profile: Path
) -> None:
    """``/?race_id=N``: the leaderboard shows the race's placed finishers by name."""
    from tests.test_serve_fixtures import make_partner

    partner = make_partner(conn, "acme")
    sid = make_session(conn, partner_id=partner)
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'Acme 5K', "
        "'2026-05-03') RETURNING id",
        (partner,),
    ).fetchone()[0]  # type: ignore[index]
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, session_id, place_by)"
        " VALUES (%s, %s, '5K', 5000, %s, 'chip') RETURNING id",
        (partner, event, sid),
    ).fetchone()[0]  # type: ignore[index]
    for place, (bib, first, last, secs) in enumerate(
        [("7", "Ada", "Quick", 1000.5), ("9", "Ben", "Steady", 1100.25)], start=1
    ):
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name) VALUES (%s, %s) RETURNING id",
            (first, last),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib,"
            " status, chip_time, overall_place, source)"
            " VALUES (%s, %s, %s, %s, %s, 'finished', make_interval(secs => %s), %s, 'manual')",
            (partner, event, race, person, bib, secs, place),
        )
    app = create_app(db_url)
    with running(app) as base:
        chrome = DevTools(f"{base}/?race_id={race}", browser_profile)
        try:
            chrome.attach_to_page()
            board = "document.getElementById('board').innerText"
            wait_until(lambda: "Ada Quick" in (chrome.evaluate(board) or ""), timeout=30)
            rows = chrome.evaluate(
                "Array.from(document.querySelectorAll('#board tr'))"
                ".map(r => Array.from(r.cells).map(c => c.textContent))"
            )
            assert rows == [
                ["1", "7", "Ada Quick", "0:16:40.50"],
                ["2", "9", "Ben Steady", "0:18:20.25"],
            ]
            title = chrome.evaluate("document.getElementById('board-title').textContent")
            assert title == "Leaderboard — Acme 5K 5K"
        finally:
            chrome.close()

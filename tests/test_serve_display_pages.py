"""The display pages in a real headless Chromium, against the app on loopback, with reads
committed by the listener's write path after the page loaded: runner cards at a busy
finish, chip check, the announcer, every page fitting three screens, /docs offline."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88 import store
from p88.serve import create_app
from tests.browser import DevTools
from tests.display_race import Runner, Writer, make_race
from tests.test_serve_fixtures import running, wait_until

VIPS = {"31", "37", "44"}
FIELD = [
    Runner(
        str(n),
        f"First{n}",
        f"Last{n}",
        "F" if n % 2 else "M",
        20 + n % 50,
        f"Town{n}",
        message=f"Go number {n}!" if n % 3 == 0 else "",
        vip=str(n) in VIPS,
    )
    for n in range(1, 53)
]
SCREENS = [(1920, 1080), (1280, 720), (1080, 1920)]


@contextmanager
def page(base: str, path: str, profile: Path) -> Iterator[DevTools]:
    chrome = DevTools(base + path, profile)
    try:
        chrome.attach_to_page()
        wait_until(
            lambda: chrome.evaluate("document.getElementById('status').dataset.state") == "live",
            timeout=30,
        )
        yield chrome
    finally:
        chrome.close()


def test_cards_at_a_busy_finish_none_skipped_vips_first_messages_edited(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    """50 runners cross within 5 s (each read twice): 50 cards, each shown once, a VIP
    ahead of every runner still waiting when it arrived; names and messages from the CSV;
    a message edited during the race shows on that runner's card."""
    race = make_race(conn, tmp_path, FIELD)
    app = create_app(db_url)
    writer = Writer(db_url)
    cards = "/display?hold=2&min_hold=0.25&max_cards=2"  # drains slower than they arrive
    with running(app) as base, page(base, cards, browser_profile) as c:
        assert c.evaluate("document.getElementById('title').textContent") == "finish"
        wait_until(lambda: len(app.state.display_feed.watchers) == 1)
        for batch in range(10):  # 5 runners every 0.5 s; the second read 0.4 s later
            bibs = range(batch * 5 + 1, batch * 5 + 6)
            writer.commit(
                [("finish", str(b), 1800 + b) for b in bibs]
                + [("finish", str(b), 1800.4 + b) for b in bibs]
            )
            time.sleep(0.5)
        log = "window.p88Display"
        wait_until(lambda: c.evaluate(f"{log}.shown.length") >= 50, timeout=40)
        time.sleep(1.0)  # a duplicate card would show up by now
        shown: list[dict[str, Any]] = c.evaluate(f"{log}.shown")
        arrived: list[dict[str, Any]] = c.evaluate(f"{log}.arrived")
        assert sorted(int(s["bib"]) for s in shown) == list(range(1, 51))  # once each
        assert len(arrived) == 50
        assert c.evaluate(f"{log}.screens") < 50  # the queue put several on a screen
        when_shown = {s["bib"]: s["seq"] for s in shown}
        for vip in (a for a in arrived if a["vip"]):
            waiting = [
                a["bib"]
                for a in arrived
                if not a["vip"] and a["seq"] < vip["seq"] and when_shown[a["bib"]] > vip["seq"]
            ]
            assert all(when_shown[vip["bib"]] <= when_shown[b] for b in waiting), vip
        assert {s["bib"] for s in shown if s["vip"]} == VIPS
        jumped = [
            (v["bib"], a["bib"])
            for v in arrived
            if v["vip"]
            for a in arrived
            if not a["vip"] and a["seq"] < v["seq"] and when_shown[a["bib"]] > when_shown[v["bib"]]
        ]
        assert jumped  # the queue was long enough for VIPs to pass runners waiting
        by_bib = {s["bib"]: s for s in shown}
        assert by_bib["7"]["name"] == "First7 Last7" and by_bib["7"]["message"] == ""
        assert by_bib["9"]["message"] == "Go number 9!"  # from the participants CSV
        # an edit while the race runs shows for the runner's next crossing
        edit = tmp_path / "edit.csv"
        edit.write_text("bib,message\n51,Edited at the finish\n", encoding="utf-8")
        store.import_messages(conn, edit, race.race_id)
        writer.commit([("finish", "51", 1900.0), ("finish", "52", 1900.5)])
        wait_until(lambda: c.evaluate(f"{log}.shown.length") >= 52, timeout=15)
        late = {s["bib"]: s for s in c.evaluate(f"{log}.shown")}
        assert late["51"]["message"] == "Edited at the finish"
        assert late["51"]["name"] == "First51 Last51"
        assert late["52"]["message"] == ""
    writer.close()


def test_chip_check_names_an_assigned_tag_and_flags_an_unknown_one(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    make_race(conn, tmp_path, FIELD[:10])
    app = create_app(db_url)
    writer = Writer(db_url)
    with running(app) as base, page(base, "/chipcheck", browser_profile) as c:
        state = "document.getElementById('check').dataset.status"
        assert c.evaluate(state) == "idle"
        writer.commit([("check", "7", 10.0)])
        wait_until(lambda: c.evaluate(state) == "assigned", timeout=15)
        assert c.evaluate("document.getElementById('check-name').textContent") == "First7 Last7"
        assert c.evaluate("document.getElementById('check-bib').textContent") == "#7"
        assert "rgb(92, 16, 16)" not in c.evaluate(
            "getComputedStyle(document.getElementById('check')).backgroundColor"
        )
        writer.commit([("check", "9999", 20.0)])
        wait_until(lambda: c.evaluate(state) == "unknown", timeout=15)
        assert c.evaluate("document.getElementById('check-name').textContent") == "UNKNOWN TAG"
        assert c.evaluate(
            "getComputedStyle(document.getElementById('check')).backgroundColor"
        ) == "rgb(92, 16, 16)"  # fmt: skip
        writer.commit([("finish", "8", 30.0)])  # not the check point: not shown
        time.sleep(1.0)
        assert [x["tag"] for x in c.evaluate("window.p88Check.checks")] == ["7", "9999"]
    writer.close()


ANNOUNCED = [
    Runner("1", "Ada", "Quick", "F", 30, "Boulder"),
    Runner("2", "Ben", "Steady", "M", 40, "Denver"),
    Runner("3", "Cleo", "Brisk", "F", 31, "Golden"),
    Runner("4", "Dan", "Swift", "M", 41, "Lyons"),
    Runner("5", "Eve", "Calm", "F", 52, "Erie"),
]


def test_announcer_lists_runners_coming_up_in_order_of_arrival(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    """Hand-computed (10 km, gun 08:00, 5k split): Ada 5k 20:00 -> due 08:40:00, Cleo
    21:00 -> 08:42:00, Ben 22:30 -> 08:45:00, Eve 25:00 -> 08:50:00; Dan finished. A star
    for Ada (leads F30-34 at the 5k) and Eve (F50-54); not for Ben (Dan was faster)."""
    make_race(conn, tmp_path, ANNOUNCED)
    app = create_app(db_url)
    writer = Writer(db_url)
    with running(app) as base, page(base, "/announcer", browser_profile) as c:
        writer.commit([("5k", "4", 1080), ("5k", "1", 1200), ("5k", "3", 1260)])
        writer.commit([("5k", "2", 1350), ("5k", "5", 1500), ("finish", "4", 2160)])
        rows_js = (
            "Array.from(document.querySelectorAll('#coming tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent))"
        )
        wait_until(lambda: len(c.evaluate(rows_js)) == 4, timeout=15)
        rows = c.evaluate(rows_js)
        assert [r[:5] for r in rows] == [
            ["08:40:00.00", "1", "Ada Quick", "Boulder", "F30-34 ★"],
            ["08:42:00.00", "3", "Cleo Brisk", "Golden", "F30-34"],
            ["08:45:00.00", "2", "Ben Steady", "Denver", "M40-44"],
            ["08:50:00.00", "5", "Eve Calm", "Erie", "F50-54 ★"],
        ]
        assert rows[0][5] == "5k 0:20:00.00"
    writer.close()


def _fits(chrome: DevTools) -> dict[str, int]:
    size: dict[str, int] = chrome.evaluate(
        "({h: document.documentElement.scrollHeight, vh: window.innerHeight,"
        " w: document.documentElement.scrollWidth, vw: window.innerWidth})"
    )
    return size


def test_every_page_fits_three_screens_without_scrollbars(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    """Full pages (60 crossings, cards, a chip check, runners coming up) at 1920x1080,
    1280x720 and portrait 1080x1920: the document is never taller or wider than the
    screen. Screenshots go to P88_SCREENSHOTS when set (to look at them)."""
    make_race(conn, tmp_path, FIELD)
    writer = Writer(db_url)
    writer.commit([("5k", str(n), 1000 + n * 7) for n in range(1, 53)])
    writer.commit([("finish", str(n), 2000 + n * 9) for n in range(1, 31)])
    shots = Path(os.environ.get("P88_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    app = create_app(db_url)
    pages = {
        "index": "/",
        "cards": "/display?hold=30&max_cards=4",
        "list": "/display?template=list&hold=30",
        "ticker": "/display?template=ticker&hold=30",
        "chipcheck": "/chipcheck",
        "announcer": "/announcer",
    }
    with running(app) as base:
        for index, (name, path) in enumerate(pages.items()):
            with page(base, path, browser_profile) as c:
                wait_until(lambda c=c: len(app.state.display_feed.watchers) >= 1)
                if name in ("cards", "list", "ticker"):
                    first = 31 + 4 * index  # runners who have not finished yet
                    writer.commit([("finish", str(n), 2400 + n) for n in range(first, first + 4)])
                    wait_until(lambda c=c: c.evaluate("window.p88Display.shown.length") >= 1)
                if name == "chipcheck":
                    writer.commit([("check", "12", 100.0), ("check", "77777", 101.0)])
                    wait_until(lambda c=c: len(c.evaluate("window.p88Check.checks")) == 2)
                for width, height in SCREENS:
                    c.set_viewport(width, height)
                    time.sleep(0.4)  # resize handlers re-fit their rows
                    size = _fits(c)
                    c.screenshot(shots / f"{name}-{width}x{height}.png")
                    assert size["h"] <= size["vh"] and size["w"] <= size["vw"], (name, size)
    writer.close()


def test_docs_work_offline_under_a_strict_policy(db_url: str, browser_profile: Path) -> None:
    """/docs renders Swagger UI from files this server serves; its policy allows nothing
    else (no CDN, no inline code)."""
    import httpx

    app = create_app(db_url)
    with running(app) as base:
        csp = httpx.get(base + "/docs").headers["content-security-policy"]
        assert "cdn" not in csp and "unsafe-inline" not in csp and "script-src 'self';" in csp
        assert httpx.get(base + "/docs/static/swagger-ui-bundle.js").status_code == 200
        assert httpx.get(base + "/docs/static/other.js").status_code == 404
        chrome = DevTools(base + "/docs", browser_profile)
        try:
            chrome.attach_to_page()
            title = "document.querySelector('.swagger-ui .info .title')?.textContent || ''"
            wait_until(lambda: "p88 timing API" in chrome.evaluate(title), timeout=30)
            ops = chrome.evaluate("document.querySelectorAll('.opblock').length")
            assert ops >= 10
        finally:
            chrome.close()


@pytest.mark.parametrize("path", ["/display", "/chipcheck", "/announcer"])
def test_pages_take_their_token_into_a_cookie(db_url: str, path: str) -> None:
    import httpx

    from p88.serve.auth import Grant

    secret = "display-token-0123456789"
    app = create_app(db_url, tokens={secret: Grant(None)})
    with running(app) as base:
        assert httpx.get(base + path).status_code == 401
        moved = httpx.get(f"{base}{path}?token={secret}&template=list")
        assert moved.status_code == 303
        assert moved.headers["location"] == f"{path}?template=list"
        assert "HttpOnly" in moved.headers["set-cookie"]
        cookies = {"p88_token": secret}
        shown = httpx.get(base + path, cookies=cookies)
        assert shown.status_code == 200 and "<script" in shown.text
        assert "<script>" not in shown.text and "<style>" not in shown.text  # no inline code
        assert "script-src 'self';" in shown.headers["content-security-policy"]
        assert httpx.get(base + "/static/display.js", cookies=cookies).status_code == 200
        assert httpx.get(base + "/static/display.js").status_code == 401


def test_settings_panel_colours_and_logo(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    """Key S shows the panel that explains the page's parameters (and hides it again);
    colours come from the server's settings unless the address overrides them; the logo
    is the server's display_logo."""
    from p88.serve.pages import DisplayOptions
    from tests.test_display_api import tiny_png

    make_race(conn, tmp_path, FIELD[:3])
    logo = tmp_path / "logo.png"
    logo.write_bytes(tiny_png())
    app = create_app(db_url, display=DisplayOptions.parse("accent=#abcdef bg=#000000", str(logo)))
    with running(app) as base, page(base, "/display?bg=%23203040&hold=9", browser_profile) as c:
        style = "getComputedStyle(document.documentElement).getPropertyValue"
        wait_until(lambda: c.evaluate(f"{style}('--accent')").strip() == "#abcdef")
        assert c.evaluate(f"{style}('--bg')").strip() == "#203040"  # the address wins
        wait_until(lambda: c.evaluate("document.getElementById('logo').naturalWidth") == 1)
        assert c.evaluate("document.getElementById('logo').hidden") is False
        panel = "document.getElementById('settings')"
        assert c.evaluate(f"{panel}.hidden") is True

        def press(key: str) -> None:
            for kind in ("keyDown", "keyUp"):
                c.call("Input.dispatchKeyEvent", type=kind, key=key, text=key)

        press("s")
        assert c.evaluate(f"{panel}.hidden") is False
        text = c.evaluate(f"{panel}.innerText")
        for name in ("template", "hold", "min_hold", "max_cards", "location", "logo"):
            assert name in text
        assert "shortest time a card stays" in text and "9" in text  # hold's value now
        press("s")
        assert c.evaluate(f"{panel}.hidden") is True

"""The results site in headless Chromium: as exported files (no server) and as ``p88
serve`` publishes it under ``/results/`` (with its strict CSP, so the search only works
if the page's script is allowed to run). A bib search finds the runner and opens their
splits; the division filter narrows the table; screenshots of a race page and the awards
page are taken (kept in ``P88_SHOTS_DIR`` when set, for a person to look at) and the
pages' text is checked for the expected names.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import psycopg

from p88.exports import export_race
from p88.serve import create_app
from tests.browser import DevTools
from tests.exports_race import build
from tests.test_serve_fixtures import running, wait_until


def goto(chrome: DevTools, url: str) -> None:
    chrome.call("Page.navigate", url=url)
    time.sleep(0.2)
    wait_until(lambda: chrome.evaluate("document.readyState") == "complete", timeout=20)


def visible_bibs(chrome: DevTools) -> list[str]:
    return list(
        chrome.evaluate(
            "Array.from(document.querySelectorAll('tbody.r')).filter(b => !b.hidden)"
            ".map(b => b.dataset.bib)"
        )
    )


def search(chrome: DevTools, text: str) -> None:
    script = (
        "(() => { const q = document.getElementById('q'); q.value = TEXT;"
        " q.dispatchEvent(new Event('input')); })()"
    )
    chrome.evaluate(script.replace("TEXT", json.dumps(text)))


def screenshot(chrome: DevTools, path: Path) -> bytes:
    chrome.call("Emulation.setDeviceMetricsOverride", width=1100, height=900,
                deviceScaleFactor=1, mobile=False)  # fmt: skip
    data = base64.b64decode(chrome.call("Page.captureScreenshot", format="png")["data"])
    path.write_bytes(data)
    keep = os.environ.get("P88_SHOTS_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return data


def check_race_page(chrome: DevTools) -> None:
    counted = "(document.getElementById('count') || {}).textContent"
    wait_until(lambda: chrome.evaluate(counted) == "16 runners", timeout=20)
    assert len(visible_bibs(chrome)) == 16
    search(chrome, "109")
    assert visible_bibs(chrome) == ["109"]
    detail = chrome.evaluate("document.querySelector('tbody.r[data-bib=\"109\"] tr.detail').hidden")
    assert detail is False  # the one runner found has their splits open
    splits = chrome.evaluate(
        "document.querySelector('tbody.r[data-bib=\"109\"] tr.detail').innerText"
    )
    assert "5K" in splits and "16:31" in splits and "3:18/km" in splits
    search(chrome, "lane")
    assert visible_bibs(chrome) == ["103"]
    search(chrome, "")
    chrome.evaluate(
        "(() => { const d = document.getElementById('div'); d.value = 'g-F40-44';"
        " d.dispatchEvent(new Event('change')); })()"
    )
    assert sorted(visible_bibs(chrome)) == ["102", "103", "104"]
    chrome.evaluate(
        "(() => { const d = document.getElementById('div'); d.value = '';"
        " d.dispatchEvent(new Event('change')); })()"
    )


def test_exported_site_works_from_files(
    conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    race = build(conn)
    site = tmp_path / "site"
    export_race(conn, race, "site", site)
    chrome = DevTools((site / f"race-{race}.html").as_uri(), browser_profile)
    try:
        chrome.attach_to_page()
        wait_until(lambda: chrome.evaluate("document.readyState") == "complete", timeout=20)
        check_race_page(chrome)
        shot = screenshot(chrome, tmp_path / "race-page.png")
        assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 10_000
        text = chrome.evaluate("document.body.innerText")
        for name in ("Gil Park", "Ada Swift", "Eve Hall", "Valley 10K 10K"):
            assert name in text
    finally:
        chrome.close()


def test_served_site_under_results_with_its_csp(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path, browser_profile: Path
) -> None:
    race = build(conn)
    app = create_app(db_url)
    with running(app) as base:
        chrome = DevTools(base + "/results/", browser_profile)
        try:
            chrome.attach_to_page()
            wait_until(lambda: "Valley 10K 10K" in (chrome.evaluate("document.body.innerText")
                                                     or ""), timeout=20)  # fmt: skip
            goto(chrome, f"{base}/results/race-{race}.html")
            check_race_page(chrome)  # the script ran: the CSP lets site.js in
            screenshot(chrome, tmp_path / "served-race-page.png")
            goto(chrome, f"{base}/results/awards-{race}.html")
            blocks = chrome.evaluate(
                "Array.from(document.querySelectorAll('section.division')).map(s =>"
                " [s.querySelector('h2').textContent,"
                "  Array.from(s.querySelectorAll('td.name')).map(td => td.textContent)])"
            )
            assert blocks[0] == ["Overall Male", ["Gil Park", "Hal Ives", "Ian Cole"]]
            assert blocks[1] == ["Overall Female",
                                 ["Ada Swift", "Bea Strong", "Cara Lane", "Dee Moss"]]  # fmt: skip
            assert "Eve Hall" not in chrome.evaluate("document.body.innerText")
            shot = screenshot(chrome, tmp_path / "awards-page.png")
            assert shot[:8] == b"\x89PNG\r\n\x1a\n"
            sheet = chrome.evaluate(
                "getComputedStyle(document.querySelector('h2')).borderBottomStyle"
            )
            assert sheet == "solid"  # site.css loaded under the CSP
        finally:
            chrome.close()

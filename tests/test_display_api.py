"""The display API over HTTP (no browser): its documents, its errors, the live crossing
stream seen by a plain SSE client, the display settings and logo."""

from __future__ import annotations

import json
import struct
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from p88.errors import ConfigError
from p88.serve import create_app
from p88.serve.pages import DisplayOptions
from tests.display_race import Runner, Writer, make_race
from tests.test_serve_fixtures import running, wait_until

RUNNERS = [
    Runner("1", "Ada", "Quick", "F", 30, "Boulder", "Go Ada!"),
    Runner("2", "Ben", "Steady", "M", 40, "Denver", vip=True),
]


def tiny_png() -> bytes:
    """A 1x1 PNG, built here so the test needs no image file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xd2\x3f")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_documents_and_errors(db_url: str, conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    race = make_race(conn, tmp_path, RUNNERS)
    writer = Writer(db_url)
    writer.commit([("5k", "1", 1200), ("5k", "2", 1300), ("finish", "2", 2500),
                   ("finish", "2", 2500.3)])  # fmt: skip
    writer.close()
    with running(create_app(db_url)) as base:
        ctx = httpx.get(base + "/api/display/context").json()
        assert ctx["session_id"] == race.session_id and ctx["point"] == "finish"
        assert ctx["check_point"] == "check" and ctx["locations"][0] == "start"
        doc = httpx.get(base + "/api/display/crossings").json()
        rows = [(c["point"], c["bib"], c["name"], c["place"]) for c in doc["crossings"]]
        assert rows == [("5k", "1", "Ada Quick", 1), ("5k", "2", "Ben Steady", 2),
                        ("finish", "2", "Ben Steady", 1)]  # fmt: skip
        ben = doc["crossings"][2]
        assert (ben["time"], ben["elapsed"], ben["pace"]) == (
            "08:41:40.00",
            "0:41:40.00",
            "6:42/mi",
        )
        assert ben["vip"] is True and ben["division"] == "M40-44" and ben["city"] == "Denver"
        up = httpx.get(base + "/api/display/coming-up").json()
        assert [(r["bib"], r["projected_time"], r["division_leader"]) for r in up["runners"]] == [
            ("1", "08:40:00.00", True)
        ]
        assert httpx.get(base + "/api/display/crossings?session_id=999").status_code == 404
        assert httpx.get(base + "/api/display/stream?kind=nope").status_code == 422
        settings = httpx.get(base + "/api/display/settings").json()
        assert settings["colors"]["bg"] == "#0b0f14" and settings["logo"] is False
        assert httpx.get(base + "/display/logo").status_code == 404
        assert httpx.get(base + "/static/../app.py").status_code == 404


def test_crossing_stream_to_a_plain_client(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """One ``event: crossing`` per new crossing: repeated reads and other points' reads
    (with location=finish) send nothing."""
    race = make_race(conn, tmp_path, RUNNERS)
    app = create_app(db_url)
    events: list[tuple[str, dict[str, Any]]] = []

    def listen(url: str) -> None:
        with httpx.stream("GET", url, timeout=20) as response:
            kind = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
                    if len(events) >= 2:
                        return

    with running(app) as base:
        url = f"{base}/api/display/stream?session_id={race.session_id}&location=finish"
        thread = threading.Thread(target=listen, args=(url,), daemon=True)
        thread.start()
        wait_until(lambda: len(app.state.display_feed.watchers) == 1)
        writer = Writer(db_url)
        writer.commit([("finish", "1", 2400), ("5k", "2", 1300)])
        writer.commit([("finish", "1", 2400.4), ("finish", "1", 2401)])  # same crossing
        time.sleep(0.5)
        writer.commit([("finish", "2", 2500)])
        writer.close()
        thread.join(10)
    assert [(k, e["bib"], e["place"], e["message"]) for k, e in events] == [
        ("crossing", "1", 1, "Go Ada!"),
        ("crossing", "2", 2, None),
    ]


def test_display_settings_colours_and_logo(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(tiny_png())
    options = DisplayOptions.parse("bg=#112233, accent=#abc", str(logo))
    assert options.colors == {"bg": "#112233", "fg": "#f2f5f8", "accent": "#abc"}
    with running(create_app(db_url, display=options)) as base:
        assert httpx.get(base + "/api/display/settings").json()["logo"] is True
        got = httpx.get(base + "/display/logo")
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert got.content == logo.read_bytes()
    with pytest.raises(ConfigError, match="bad entry 'bg=red'"):
        DisplayOptions.parse("bg=red", None)
    with pytest.raises(ConfigError, match="not an image file"):
        DisplayOptions.parse(None, str(tmp_path / "missing.png"))

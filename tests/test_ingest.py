"""The exactly-once writer on a real PostgreSQL: file imports, repeats, rejects, gun times."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from p88.fileimport import import_lines, import_reads
from p88.protocol import parse_line
from p88.store.connect import connect
from p88.store.spool import SessionInfo

DAY = date(2024, 12, 14)


def _count(url: str, query: str) -> Any:
    with connect(url, autocommit=True) as c:
        row = c.execute(query).fetchone()
        assert row is not None
        return row[0]


def test_capture_imports_once_whatever_the_repeats(db_url: str, captures_dir: Path) -> None:
    lines = (captures_dir / "mini11992-2024-12-14.ct33").read_bytes().splitlines()
    session = SessionInfo("race", session_date=DAY, timezone="America/New_York")
    with connect(db_url) as conn:
        first = import_lines(conn, session, lines, source="a.ct33", connection_id="file-a")
        again = import_lines(conn, session, lines, source="a.ct33")
        iso = (captures_dir / "mini11992-2024-12-14.iso.ct33").read_bytes().splitlines()
        parsed = [parse_line(x) for x in iso]
        third = import_reads(conn, session, parsed)  # type: ignore[arg-type]
    assert (first.inserted, first.duplicates, first.rejects) == (8859, 0, 0)
    assert (again.inserted, again.duplicates) == (0, 8859)
    assert (third.inserted, third.duplicates) == (0, 8859)
    assert _count(db_url, "SELECT count(*) FROM timing_reads") == 8859
    assert _count(db_url, "SELECT count(DISTINCT tag_code) FROM timing_reads") == 3376
    assert _count(db_url, "SELECT last_sequence FROM client_streams") == 8859
    assert _count(db_url, "SELECT min(read_timestamp)::text FROM timing_reads") == (
        "2024-12-14 11:05:15.06"
    )
    assert _count(db_url, "SELECT count(*) FROM timing_locations") == 1
    # ids follow the order of the lines
    with connect(db_url, autocommit=True) as c:
        seqs = [r[0] for r in c.execute("SELECT sequence_number FROM timing_reads ORDER BY id")]
    assert seqs == list(range(1, 8860))


def test_rejects_and_gun_times(db_url: str) -> None:
    lines = [
        b"CT01_33~1~start~guntime~07:45:01.01~0~DF239A~0",
        b"CT01_33~2~finish~12~08:38:58.97~0~0FA22E~4",
        b"CT01_33~abc~FINISH~1208~11:05:15.06~1~12057E~4",
        b"\x00\xff\xfe",
        b"CT01_33~3~start~GUNTIME~07:45:01.01~0~DF239A~0",
        b"CT01_33~4~x~newlocation~00:00:00.00~0~0~0",
    ]
    with connect(db_url) as conn:
        result = import_lines(conn, SessionInfo("s", session_date=DAY), lines, source="f.ct33")
    assert (result.inserted, result.gun_events, result.rejects) == (1, 1, 2)
    with connect(db_url, autocommit=True) as c:
        rejects = c.execute(
            "SELECT line_number, raw_line, source, reason FROM rejected_lines ORDER BY id"
        ).fetchall()
        gun = c.execute("SELECT gun_timestamp::text FROM timing_gun_events").fetchall()
    assert [(r[0], bytes(r[1]), r[2]) for r in rejects] == [
        (3, b"CT01_33~abc~FINISH~1208~11:05:15.06~1~12057E~4", "f.ct33"),
        (4, b"\x00\xff\xfe", "f.ct33"),
    ]
    assert "seq" in rejects[0][3]
    assert gun == [("2024-12-14 07:45:01.01",)]


def test_one_notify_per_batch(db_url: str, captures_dir: Path) -> None:
    lines = (captures_dir / "mini11992-2024-12-14.ct33").read_bytes().splitlines()[:2500]
    with psycopg.connect(db_url, autocommit=True) as listener:
        listener.execute("LISTEN p88_reads")
        with connect(db_url) as conn:
            import_lines(conn, SessionInfo("n", session_date=DAY), lines, batch_size=1000)
        notes = list(listener.notifies(timeout=1.0, stop_after=10))
    assert len(notes) == 3
    assert [n.payload.count('"count"') for n in notes] == [1, 1, 1]
    assert '"count":500' in notes[-1].payload


def test_partly_duplicate_batch_is_attributed_per_connection(
    db_url: str, captures_dir: Path
) -> None:
    from datetime import UTC, datetime

    from p88.protocol import Read, WallClock
    from p88.store.ingest import SessionCache, write_batch
    from p88.store.spool import ConnectionRow, ReadRow

    now = datetime.now(UTC)
    clock = WallClock(DAY, "UTC")
    lines = (captures_dir / "mini11992-2024-12-14.ct33").read_bytes().splitlines()[:150]

    def rows(part: list[bytes], key: str) -> list[ReadRow]:
        out = []
        for line in part:
            r = parse_line(line)
            assert isinstance(r, Read)
            out.append(ReadRow("s", r.location, r.tag, clock.resolve(r.time), r.lap, r.reader,
                               r.gator, r.seq, key, r.raw.decode(), now, key))  # fmt: skip
        return out

    cache = SessionCache()
    with connect(db_url) as conn:
        a, b = (ConnectionRow(k, "127.0.0.1", 1, now) for k in ("ka", "kb"))
        first = write_batch(conn, [a, b, *rows(lines[:100], "ka")], cache)
        second = write_batch(conn, rows(lines[49:], "kb"), cache)
    assert (first.inserted, second.inserted, second.duplicates) == (100, 50, 51)
    assert second.max_id == _count(db_url, "SELECT max(id) FROM timing_reads")
    with connect(db_url, autocommit=True) as c:
        got = c.execute(
            "SELECT conn_key, read_count, duplicate_count FROM connection_log ORDER BY conn_key"
        ).fetchall()
        streams = c.execute(
            "SELECT connection_id, last_sequence, read_count FROM client_streams ORDER BY 1"
        ).fetchall()
    assert got == [("ka", 100, 0), ("kb", 50, 51)]
    assert streams == [("ka", 100, 100), ("kb", 150, 50)]


def test_store_never_imports_protocol() -> None:
    """File import is a join at the package root (p88.fileimport); store stays codec-free."""
    import ast

    import p88.store

    root = Path(p88.store.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("p88.protocol")]
    assert offenders == []

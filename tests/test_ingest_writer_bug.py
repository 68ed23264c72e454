"""A bug in the write path must not lose reads: they are kept beside the spool."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from p88.store import ingest_writer
from p88.store.ingest_writer import IngestWriter
from p88.store.spool import ReadRow


def test_ops_are_kept_when_the_write_path_raises_a_bug(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug in the write path")

    monkeypatch.setattr(ingest_writer, "write_batch", broken)
    spool_dir = Path(tempfile.mkdtemp(prefix="p88-writer-bug-"))
    writer = IngestWriter(db_url, spool_dir, linger=0.001)
    writer.start()
    now = datetime.now(UTC)
    raw = "CT01_33~1~FINISH~1208~11:05:15.06~1~12057E~4"
    when = datetime(2024, 12, 14, 11, 5, 15, 60000)
    op = ReadRow("s", "FINISH", "1208", when, 1, "12057E", 4, 1, "cid", raw, now)
    writer.submit(op)
    writer.stop()
    assert writer.failed.backlog == 1
    assert writer.failed.files(), "the failed ops file is on disk"
    shutil.rmtree(spool_dir, ignore_errors=True)

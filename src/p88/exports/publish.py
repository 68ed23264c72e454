"""Exporting a race: the one function ``p88 results export`` and the benchmark call.

Order of work, so that bad input costs nothing and writes nothing: the format is looked
up (an unknown one is refused, listing the known), the target is checked (an existing
path is refused without ``force``), the race is read, and only then is the export written,
to a temporary file or directory that is renamed into place when complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p88.exports._atomic import check_target, write_directory, write_file
from p88.exports.registry import Publication, get_exporter
from p88.store import Awards, compute_awards, load_rules, load_sheet

if TYPE_CHECKING:
    import psycopg

__all__ = ["ExportSummary", "export_race", "load_publication", "race_awards"]


@dataclass(frozen=True, kw_only=True)
class ExportSummary:
    """What an export wrote."""

    format: str
    path: Path
    rows: int
    seconds: float


def race_awards(conn: psycopg.Connection[Any], race_id: int) -> Awards:
    """The race's awards under its stored rules (``p88 results awards``)."""
    return compute_awards(load_sheet(conn, race_id, splits=False), load_rules(conn, race_id))


def load_publication(
    conn: psycopg.Connection[Any], race_id: int, *, whole_event: bool = False
) -> Publication:
    """The race's sheet and awards; with ``whole_event``, every race of its event too
    (the asked-for race first, the others by id)."""
    ids = [race_id]
    if whole_event:
        ids += [
            rid
            for (rid,) in conn.execute(
                "SELECT o.id FROM ct_races r JOIN ct_races o ON o.event_id = r.event_id"
                " WHERE r.id = %s AND o.id <> r.id ORDER BY o.id",
                (race_id,),
            ).fetchall()
        ]
    sheets = [load_sheet(conn, rid) for rid in ids]
    return Publication(sheets=sheets, rules={rid: load_rules(conn, rid) for rid in ids})


def export_race(
    conn: psycopg.Connection[Any], race_id: int, fmt: str, target: Path, *, force: bool = False
) -> ExportSummary:
    """Export race ``race_id`` as ``fmt`` to ``target`` (see the module doc)."""
    exporter = get_exporter(fmt)
    check_target(target, force=force, directory=exporter.directory)
    started = time.perf_counter()
    publication = load_publication(conn, race_id, whole_event=exporter.whole_event)
    writer = write_directory if exporter.directory else write_file
    rows = writer(target, lambda path: exporter.write(publication, path), force=force)
    return ExportSummary(format=fmt, path=target, rows=rows, seconds=time.perf_counter() - started)

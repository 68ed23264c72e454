"""Live results in the server: the on-course route, and results as SSE events.

``GET /api/results/{race_id}/course`` is :func:`p88.store.results.course.course_status`
as JSON. :func:`result_events` turns a follower's announcements (``NOTIFY p88_results``,
:mod:`p88.store.results.announce`) into events for the hub's stream: one ``event:
result`` per changed result (its places, times, status and where the runner was last
seen), or one ``event: results`` asking a display to read the race again when too many
changed to list. They carry no ``id:``, so a stream's ``Last-Event-ID`` stays the last
read's; a display that reconnects reads the standings again instead of replaying results.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Path, Query

from p88.errors import InputError
from p88.serve.deps import DbDep, ScopeDep
from p88.serve.errors import documented, not_found
from p88.serve.hub import Event
from p88.serve.render import elapsed_text, value_json
from p88.store import (
    ResultsChanged,
    changed_results,
    course_document,
    course_status,
    race_summary,
    run,
)

router = APIRouter(tags=["results"], responses=documented(401, 503))


def result_json(row: dict[str, Any]) -> dict[str, Any]:
    """A changed result as a ``result`` event carries it."""
    return {
        "race_id": row["race_id"], "result_id": row["result_id"], "bib": row["bib"],
        "name": f"{row['first_name']} {row['last_name']}".strip(), "sex": row["sex"],
        "age_group": row["age_group"], "status": row["status"],
        "overall_place": row["overall_place"], "sex_place": row["sex_place"],
        "age_group_place": row["age_group_place"],
        "chip_time": elapsed_text(row["chip_time"].total_seconds()) if row["chip_time"] else None,
        "gun_time": elapsed_text(row["gun_time"].total_seconds()) if row["gun_time"] else None,
        "last_point": row["last_point"], "last_seen": value_json(row["last_seen"]),
        "note": row["note"],
    }  # fmt: skip


def result_events(conn: psycopg.Connection[Any], changes: list[ResultsChanged]) -> list[Event]:
    """Runs in a worker thread: the hub's events for these announcements, rendered once."""
    events: list[Event] = []
    ids = sorted({i for c in changes if c.ids for i in c.ids})
    for row in changed_results(conn, ids):
        text = f"event: result\ndata: {json.dumps(result_json(row), separators=(',', ':'))}\n\n"
        events.append(
            Event(row["result_id"], row["session_id"] or 0, row["last_point"] or "",
                  row["partner_id"], text, kind="result")
        )  # fmt: skip
    for race_id in sorted({c.race_id for c in changes if c.ids is None}):
        race = run(conn, race_summary(race_id))
        if race is None:
            continue
        data = json.dumps({"race_id": race_id, "refresh": True}, separators=(",", ":"))
        events.append(
            Event(race_id, race.session_id or 0, "", race.partner_id,
                  f"event: results\ndata: {data}\n\n", kind="results")
        )  # fmt: skip
    return events


def _course(
    conn: psycopg.Connection[Any], race_id: int, partner_id: int | None, bib: str | None
) -> dict[str, Any] | None:
    race = run(conn, race_summary(race_id))
    if race is None or (partner_id is not None and race.partner_id != partner_id):
        return None
    return course_document(run(conn, course_status(race_id, bib=bib, limit=200)))


@router.get(
    "/api/results/{race_id}/course",
    summary="On-course status of a race",
    responses=documented(404),
)
async def course(
    scope: ScopeDep,
    db: DbDep,
    race_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    bib: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
) -> Any:
    """Who has started, who is on the course and where last seen, projected arrivals,
    runners overdue at a point, and each point's cut-off (as ``p88 results course --json``)."""
    try:
        doc = await db.run(_course, race_id, scope.partner_id, bib)
    except InputError as exc:
        raise not_found(exc.message) from None
    if doc is None:
        raise not_found("no such race")
    return doc

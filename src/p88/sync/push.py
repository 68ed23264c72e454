"""``p88 sync runsignup push``: a race's results into a RunSignUp result set, changes only.

During the race results go to a preliminary result set (``preliminary_results: "T"``);
``--final`` moves them to a final set and empties the preliminary one (``clear-results``).
A result set is found by its name before one is created, so a push retried after a lost
answer, or run from a second laptop, does not make two. Splits are declared once per
result set (``result-set-splits``), and again only when the race's split points change,
with the ids RunSignUp gave, so existing split times stay attached. Rows are posted in
batches; each batch that RunSignUp accepted is recorded, so a push cut short resumes with
the rows it had not sent.

Assumptions (not spelled out by the documentation): ``new-result-set`` answers
``{"individual_result_set_id": N}``; ``get-result-sets`` answers
``{"individual_results_sets": [{"individual_result_set_id", "individual_result_set_name"}]}``;
``result-set-splits`` answers ``{"result_set_splits": [{"split_id", "split_name"}, ...]}``
in the order sent; ``full-results`` takes ``{"results": [...]}``. Split distances are sent
in miles (``split_distance_units: "M"``), as in the documented example.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from p88.sync.errors import SyncError
from p88.sync.http import Request, RunSignUp
from p88.sync.pull import PROVIDER, resolve_link
from p88.sync.results_rows import (
    SplitPoint,
    changed_rows,
    current_rows,
    identity,
    split_points,
)
from p88.sync.state import Link, load_pushed, save_link, save_pushed
from p88.units import MILE_M

if TYPE_CHECKING:
    import psycopg

Progress = Callable[[int, int], None]


@dataclass
class PushSummary:
    """What a push sent (or, with ``dry_run``, would send)."""

    race_id: int
    remote_race_id: int
    remote_event_id: int
    result_set_id: int | None
    final: bool
    created_set: bool = False
    splits_declared: bool = False
    rows: int = 0
    sent: int = 0
    batches: int = 0
    cleared_preliminary: int | None = None
    dry_run: bool = False
    requests: list[Request] = field(default_factory=list)
    seconds: float = 0.0


def _race_name(conn: psycopg.Connection[Any], race_id: int) -> str:
    row = conn.execute(
        "SELECT e.name || ' ' || r.name FROM ct_races r JOIN ct_events e ON e.id = r.event_id "
        "WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise SyncError(f"no race {race_id}", hint="p88 results new-race creates one")
    return str(row[0])


def _set_name(race_name: str, final: bool) -> str:
    return race_name if final else f"{race_name} (preliminary)"


def _find_or_create_set(client: RunSignUp, link: Link, name: str, final: bool) -> tuple[int, bool]:
    """The id of the result set called ``name``, creating it when RunSignUp has none."""
    base = f"race/{link.remote_race_id}/results"
    listing = client.call(
        Request("GET", f"{base}/get-result-sets", {"event_id": link.remote_event_id})
    )
    for s in (listing or {}).get("individual_results_sets") or []:
        if s.get("individual_result_set_name") == name:
            return int(s["individual_result_set_id"]), False
    made = client.call(_new_set_request(link, name, final))
    try:
        return int(made["individual_result_set_id"]), True
    except (KeyError, TypeError, ValueError):
        raise SyncError("RunSignUp created a result set but did not say its id") from None


def _new_set_request(link: Link, name: str, final: bool) -> Request:
    return Request(
        "POST",
        f"race/{link.remote_race_id}/results/new-result-set",
        {"event_id": link.remote_event_id, "request_format": "json"},
        {"individual_result_set_name": name, "public_results": "T", "pace_type": "T",
         "preliminary_results": "F" if final else "T"},
    )  # fmt: skip


def _splits_request(link: Link, set_id: int | str, points: list[SplitPoint],
                    known: dict[str, int], race_distance: int) -> Request:  # fmt: skip
    body = [
        {
            "split_id": known.get(p.name),
            "split_name": p.name,
            "split_distance": round(p.distance_m / MILE_M, 3) if p.distance_m else None,
            "split_distance_units": "M",
            "pace_type": "T",
            "approx_percent_time_complete": (
                round(100 * p.distance_m / race_distance) if p.distance_m else None
            ),
            "include_split_place": "F",
        }
        for p in points
    ]
    return Request(
        "POST",
        f"race/{link.remote_race_id}/results/result-set-splits",
        {"event_id": link.remote_event_id, "individual_result_set_id": set_id,
         "request_format": "json"},
        {"result_set_splits": body},
    )  # fmt: skip


def _results_request(link: Link, set_id: int | str, rows: list[dict[str, Any]]) -> Request:
    return Request(
        "POST",
        f"race/{link.remote_race_id}/results/full-results",
        {"event_id": link.remote_event_id, "individual_result_set_id": set_id,
         "request_format": "json"},
        {"results": rows},
    )  # fmt: skip


def push_runsignup(
    conn: psycopg.Connection[Any],
    client: RunSignUp | None,
    *,
    race_id: int,
    remote_race: int | None = None,
    remote_event: int | None = None,
    final: bool = False,
    dry_run: bool = False,
    batch: int = 1000,
    progress: Progress | None = None,
) -> PushSummary:
    """Send the race's changed results to RunSignUp; see the module docstring.

    With ``dry_run`` nothing is sent (``client`` may be None) and the summary lists the
    requests a push would make; ids RunSignUp has not given yet appear as ``<new ...>``.
    """
    started = time.perf_counter()
    link = resolve_link(conn, race_id, remote_race, remote_event)
    name = _race_name(conn, race_id)
    distance = conn.execute("SELECT distance_m FROM ct_races WHERE id = %s", (race_id,)).fetchone()
    race_distance = int(distance[0]) if distance else 0
    new_set = link.result_set_id is None or (final and not link.result_set_final)
    summary = PushSummary(race_id, link.remote_race_id, link.remote_event_id,
                          link.result_set_id, final or link.result_set_final)  # fmt: skip
    points = split_points(conn, race_id)
    if dry_run or client is None:
        summary.dry_run = True
        set_id: int | str = "<new result set>" if new_set else int(link.result_set_id or 0)
        known = {} if new_set else link.splits
        if new_set:
            summary.requests.append(_new_set_request(link, _set_name(name, final), final))
        if points and (new_set or set(known) != {p.name for p in points}):
            summary.requests.append(_splits_request(link, set_id, points, known, race_distance))
        fields = {p.name: f"split-{known.get(p.name, '<' + p.name + '>')}" for p in points}
        held = {} if new_set else load_pushed(conn, race_id, PROVIDER, int(set_id))
        rows = changed_rows(current_rows(conn, race_id, PROVIDER, fields), held)
        summary.rows, summary.sent = len(rows), len(rows)
        values = list(rows.values())
        for i in range(0, len(values), batch):
            summary.requests.append(_results_request(link, set_id, values[i : i + batch]))
        summary.seconds = time.perf_counter() - started
        return summary
    if new_set:
        previous = link.result_set_id if final and not link.result_set_final else None
        set_num, summary.created_set = _find_or_create_set(
            client, link, _set_name(name, final), final
        )
        link.result_set_id, link.result_set_final, link.splits = set_num, final, {}
        link.preliminary_set_id = previous
        with conn.transaction():
            save_link(conn, link)
    assert link.result_set_id is not None
    summary.result_set_id = set_num = link.result_set_id
    if points and set(link.splits) != {p.name for p in points}:
        answer = client.call(_splits_request(link, set_num, points, link.splits, race_distance))
        declared = (answer or {}).get("result_set_splits") or []
        link.splits = _split_ids(declared, points)
        summary.splits_declared = True
        with conn.transaction():
            save_link(conn, link)
    fields = {p: f"split-{sid}" for p, sid in link.splits.items()}
    now = current_rows(conn, race_id, PROVIDER, fields)
    held = load_pushed(conn, race_id, PROVIDER, set_num)
    rows = changed_rows(now, held)
    summary.rows = len(now)
    ids = list(rows)
    for i in range(0, len(ids), batch):
        chunk = ids[i : i + batch]
        client.call(_results_request(link, set_num, [rows[r] for r in chunk]))
        with conn.transaction():
            save_pushed(conn, race_id, PROVIDER, set_num,
                        {r: now.get(r) or identity(rows[r]) for r in chunk})  # fmt: skip
        summary.sent += len(chunk)
        summary.batches += 1
        if progress:
            progress(summary.sent, len(ids))
    if final and link.preliminary_set_id is not None:
        client.call(
            Request(
                "POST",
                f"race/{link.remote_race_id}/results/clear-results",
                {"event_id": link.remote_event_id,
                 "individual_result_set_id": link.preliminary_set_id},
            )
        )  # fmt: skip
        summary.cleared_preliminary = link.preliminary_set_id
        link.preliminary_set_id = None
    with conn.transaction():
        save_link(conn, link, pushed=True)
    summary.seconds = time.perf_counter() - started
    return summary


def _split_ids(declared: list[dict[str, Any]], points: list[SplitPoint]) -> dict[str, int]:
    """Point name -> split id from RunSignUp's answer (by name, else by position)."""
    by_name = {str(s.get("split_name")): s.get("split_id") for s in declared}
    out: dict[str, int] = {}
    for i, p in enumerate(points):
        sid = by_name.get(p.name)
        if sid is None and i < len(declared):
            sid = declared[i].get("split_id")
        if sid is None:
            raise SyncError(f"RunSignUp did not give a split id for {p.name!r}")
        out[p.name] = int(sid)
    return out

"""``p88 sync runsignup pull``: RunSignUp participants into a race's entries, incrementally.

The first pull of a race fetches every participant of the event; later pulls ask only
for rows modified on or after the stored high-water mark. RunSignUp's rule is "on or
after", so the rows at the mark come back again: the pull knows them (the registrations
seen at that second are stored with the mark) and compares each with what it wrote
before, so a repeated pull writes nothing, while a row changed again within the same
second is still applied. Changed bibs and chips are applied to the existing entry and
audited in ``sync_changes``. Entries are written by the importer's own writer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from p88.store import AgeGroups, load_races, write_rows
from p88.sync.errors import SyncError
from p88.sync.http import RunSignUp
from p88.sync.reassign import Move, apply_moves
from p88.sync.registrations import Registration, parse_participants
from p88.sync.state import Known, Link, load_link, load_registrations, save_link
from p88.sync.state import save_registrations as save_regs

if TYPE_CHECKING:
    import psycopg

PROVIDER = "runsignup"
Progress = Callable[[int], None]


@dataclass
class PullSummary:
    """What a pull fetched and wrote."""

    race_id: int
    remote_race_id: int
    remote_event_id: int
    incremental: bool
    fetched: int = 0
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    seen_again: int = 0
    no_bib: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    high_water: int | None = None
    dry_run: bool = False
    seconds: float = 0.0


def resolve_link(
    conn: psycopg.Connection[Any], race_id: int, remote_race: int | None, remote_event: int | None
) -> Link:
    """The race's RunSignUp link: the ids given (a new or changed link), else the stored ones."""
    link = load_link(conn, race_id, PROVIDER)
    if remote_race is None or remote_event is None:
        if link is None:
            raise SyncError(
                f"race {race_id} is not linked to a RunSignUp race",
                hint="pass --race-id and --event-id once",
            )
        if remote_race not in (None, link.remote_race_id) or remote_event not in (
            None,
            link.remote_event_id,
        ):
            raise SyncError("give both --race-id and --event-id to link the race anew")
        return link
    if link is None:
        return Link(race_id, PROVIDER, remote_race, remote_event)
    if (link.remote_race_id, link.remote_event_id) != (remote_race, remote_event):
        return Link(race_id, PROVIDER, remote_race, remote_event)  # relinked: start over
    return link


def pull_runsignup(
    conn: psycopg.Connection[Any],
    client: RunSignUp,
    *,
    race_id: int,
    remote_race: int | None = None,
    remote_event: int | None = None,
    per_page: int = 1000,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    age_groups: AgeGroups | None = None,
) -> PullSummary:
    """Pull the linked event's participants into race ``race_id``; see the module docstring.

    ``full`` ignores the high-water mark (every participant is fetched and compared);
    ``dry_run`` fetches and reports what would change without writing anything.
    """
    started = time.perf_counter()
    race = next(iter(load_races(conn, race_id=race_id, event_id=None).values()))
    stored = load_link(conn, race_id, PROVIDER)
    link = resolve_link(conn, race_id, remote_race, remote_event)
    since = None if full else link.high_water
    summary = PullSummary(race_id, link.remote_race_id, link.remote_event_id, since is not None)
    fetched: list[dict[str, Any]] = []
    for page in client.participants(
        link.remote_race_id, link.remote_event_id, modified_after=since, per_page=per_page
    ):
        fetched.extend(page)
        summary.pages += 1
        if progress:
            progress(len(fetched))
    summary.fetched = len(fetched)
    regs = parse_participants(fetched, race_id, race.event_date, age_groups or AgeGroups())
    known = load_registrations(conn, race_id, PROVIDER)
    seen = set(link.high_water_ids) if since is not None else set()
    to_write, moves = _diff(regs, known, seen, summary)
    high, high_ids = _high_water(regs, link)
    summary.high_water = high
    if dry_run:
        summary.dry_run = True
        summary.changes = [_change_json(m) for m in moves]
        summary.seconds = time.perf_counter() - started
        return summary
    if to_write or (high, high_ids) != (link.high_water, link.high_water_ids) or stored != link:
        with conn.transaction():
            changes = apply_moves(conn, race_id, moves, PROVIDER)
            rows = [r.row for r in to_write if r.row is not None]
            if rows:
                for i, row in enumerate(rows, start=1):
                    row["line"] = i
                write_rows(conn, rows, results=False)
            ids = _entry_ids(conn, race_id, [r["bib"] for r in rows])
            save_regs(conn, race_id, PROVIDER, [_state_row(r, ids, known) for r in to_write])
            link.high_water, link.high_water_ids = high, high_ids
            save_link(conn, link, pulled=True)
        summary.changes = [
            {"result_id": c.result_id, "registration_id": c.registration_id, "field": c.field,
             "old": c.old, "new": c.new} for c in changes
        ]  # fmt: skip
    summary.seconds = time.perf_counter() - started
    return summary


def _diff(
    regs: list[Registration], known: dict[int, Known], seen: set[int], summary: PullSummary
) -> tuple[list[Registration], list[Move]]:
    """The registrations to write and the bib/chip moves among them; counts into summary."""
    to_write: list[Registration] = []
    moves: list[Move] = []
    held = {k.bib: rid for rid, k in known.items() if k.bib is not None}
    for reg in regs:
        old = known.get(reg.registration_id)
        if reg.row is None:
            summary.no_bib += 1
            if old is None:
                to_write.append(reg)  # remembered, so the entry is made when a bib comes
            continue
        if old is not None and old.fingerprint == reg.fingerprint:
            summary.unchanged += 1
            summary.seen_again += reg.registration_id in seen
            continue
        bib, chip = reg.row["bib"], reg.row["tag"]
        holder = held.get(bib)
        if holder is not None and holder != reg.registration_id:
            moving_away = any(
                r.registration_id == holder and r.row is not None and r.row["bib"] != bib
                for r in regs
            )
            if not moving_away:
                raise SyncError(
                    f"RunSignUp gives bib {bib} to registration {reg.registration_id}, but "
                    f"registration {holder} still has it; nothing written",
                    hint="fix the bib assignment in RunSignUp and pull again",
                )
        to_write.append(reg)
        if old is None or old.result_id is None:
            summary.new += 1
            continue
        summary.changed += 1
        if old.bib is not None and (old.bib != bib or old.chip != chip):
            moves.append(Move(old.result_id, reg.registration_id, old.bib, bib, old.chip, chip))
    return to_write, moves


def _high_water(regs: list[Registration], link: Link) -> tuple[int | None, list[int]]:
    """The new mark: the highest last_modified and the registrations seen at it."""
    stamps = [r.last_modified for r in regs if r.last_modified is not None]
    if not stamps:
        return link.high_water, link.high_water_ids
    high = max(stamps)
    if link.high_water is not None and link.high_water > high:
        return link.high_water, link.high_water_ids
    ids = {r.registration_id for r in regs if r.last_modified == high}
    if high == link.high_water:
        ids |= set(link.high_water_ids)
    return high, sorted(ids)


def _entry_ids(conn: psycopg.Connection[Any], race_id: int, bibs: list[str]) -> dict[str, int]:
    if not bibs:
        return {}
    rows = conn.execute(
        "SELECT bib, id FROM ct_results WHERE race_id = %s AND bib = ANY(%s)", (race_id, bibs)
    ).fetchall()
    return {str(bib): int(rid) for bib, rid in rows}


def _state_row(
    reg: Registration, ids: dict[str, int], known: dict[int, Known]
) -> tuple[int, int | None, str | None, str | None, str, int | None]:
    if reg.row is None:
        old = known.get(reg.registration_id)
        return (reg.registration_id, old.result_id if old else None, None, None,
                reg.fingerprint, reg.last_modified)  # fmt: skip
    bib = reg.row["bib"]
    return (reg.registration_id, ids.get(bib), bib, reg.row["tag"], reg.fingerprint,
            reg.last_modified)  # fmt: skip


def _change_json(m: Move) -> dict[str, Any]:
    return {"result_id": m.result_id, "registration_id": m.registration_id,
            "bib": [m.old_bib, m.new_bib], "chip": [m.old_chip, m.new_chip]}  # fmt: skip

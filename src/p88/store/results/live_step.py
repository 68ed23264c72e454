"""One step of continuous scoring: the reads committed since the last step become results.

:func:`score_step` is one transaction under the race's scoring lock (the one
``score_race`` takes, so a ``p88 results score --full`` in between waits its turn). It

1. takes the reads of the race's points above the follower's position (``ct_live_scoring
   .read_upto``, less a look-back for ids committed out of order) that have no verdict;
2. re-times only the runners those reads belong to (with all their reads: a new read can
   change which one counts), plus runners whose tag just became known (a late
   registration) and runners the race clock has just put past a cut-off;
3. writes the results, splits and verdicts that changed, re-places only the finishers a
   change can move (:func:`~p88.store.results.places.update_places_from`), moves the
   position, and announces the changed results (:mod:`.announce`).

It uses the same functions as :func:`~p88.store.results.scoring.score_race` (``time_entry``,
``outcome``, the writers), so a race followed step by step equals a full rescore. What the
results depend on besides the reads (points, settings, gun, waves) is kept as a digest
with the position; when it differs the step is a full ``score_race`` instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import RefusedError
from p88.store.results import points as pts
from p88.store.results.announce import announce
from p88.store.results.corrections_apply import RaceCorrections, apply_corrections
from p88.store.results.crossings import AMBIGUOUS_TAG, UNKNOWN_TAG, Timing
from p88.store.results.cutoffs import clock_candidates, race_clock
from p88.store.results.entries import Entry, load_entries, load_tags, write_entries
from p88.store.results.live_position import (
    Position,
    adoptable,
    basis,
    live_position,
    max_verdict,
    save_position,
)
from p88.store.results.places import update_places_from
from p88.store.results.scoring import (
    LOCK_KEY,
    ScoreOptions,
    _load_race,
    _Race,
    _time_reads,
    score_race,
)
from p88.store.results.sessionreads import race_gun
from p88.store.results.settings import RaceSettings, load_settings
from p88.store.results.writes import write_splits, write_verdicts

if TYPE_CHECKING:
    import psycopg

__all__ = ["LOOKBACK", "NoPoints", "StepSummary", "Strays", "score_step"]

LOOKBACK = 5_000  # read ids below the position that may still commit late (another writer)


class NoPoints(RefusedError):
    """A race without stored timing points cannot be followed: a guess may not be saved."""

    def __init__(self, race_id: int) -> None:
        super().__init__(
            f"race {race_id} has no timing points stored: set them first with "
            f"p88 results points --race {race_id} --start LOC --finish LOC",
            rule="follow-needs-points",
        )


@dataclass(frozen=True)
class StepSummary:
    """What one step did; ``changed`` are the result ids announced."""

    race_id: int
    session_id: int
    full: bool
    new_reads: int
    retimed: int
    changed: list[int]
    places_changed: int
    upto: int
    clock: datetime | None
    seconds: float
    committed_at: float = 0.0  # time.time() just after the commit
    resumed_from: int | None = None


@dataclass
class Strays:
    """Tags of reads no single entry carried (unknown or shared): checked each step, so a
    late registration is scored as soon as its tag is known. Loaded once per follower."""

    tags: set[str] = field(default_factory=set)
    loaded: bool = False


def _owners(
    conn: psycopg.Connection[Any], race_id: int, tags: list[str]
) -> dict[str, list[tuple[int, str]]]:
    """Tag -> (id, bib) of the entries carrying it (the tag is the bib unless mapped), for
    these tags only: two index scans, by tag and by bib."""
    out: dict[str, list[tuple[int, str]]] = {}
    for rid, bib, tag in conn.execute(
        "SELECT id, bib, tag_code FROM ct_results WHERE race_id = %(race)s "
        "AND tag_code = ANY(%(tags)s) UNION ALL "
        "SELECT id, bib, bib FROM ct_results WHERE race_id = %(race)s "
        "AND bib = ANY(%(tags)s) AND tag_code IS NULL",
        {"race": race_id, "tags": tags},
    ).fetchall():
        out.setdefault(tag, []).append((rid, bib))
    return out


def _load_strays(conn: psycopg.Connection[Any], race_id: int, strays: Strays) -> None:
    if strays.loaded:
        return
    strays.tags = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT tag_code FROM ct_read_verdicts WHERE race_id = %s "
            "AND result_id IS NULL AND verdict IN (%s, %s)",
            (race_id, UNKNOWN_TAG, AMBIGUOUS_TAG),
        )
    }
    strays.loaded = True


def _place_time(e: Entry, settings: RaceSettings) -> timedelta | None:
    if e.status != "finished":
        return None
    return e.chip_time if settings.place_by == "chip" else (e.gun_time or e.chip_time)


def score_step(
    conn: psycopg.Connection[Any],
    race_id: int,
    session_id: int | None = None,
    *,
    strays: Strays | None = None,
    follower: str = "",
) -> StepSummary:
    """Score what arrived since the last step (see the module docstring); one transaction.
    ``conn`` must not be inside a transaction. Refuses a race with no stored points."""
    t0 = time.perf_counter()
    strays = strays if strays is not None else Strays()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_KEY, race_id))
        race = _load_race(conn, race_id)
        session = session_id if session_id is not None else race.session_id
        rules = pts.load(conn, race_id)
        if not rules:
            raise NoPoints(race_id)
        if session is None:
            raise RefusedError(
                f"race {race_id} has no timing session: pass --session", rule="follow-session"
            )
        settings = load_settings(conn, race_id)
        gun, _ = race_gun(conn, session, race.start_time)
        waves = dict(
            conn.execute(
                "SELECT wave, start_time FROM ct_race_waves WHERE race_id = %s "
                "AND start_time IS NOT NULL",
                (race_id,),
            ).fetchall()
        )
        digest = basis(rules, settings, gun, waves, session)
        pos = live_position(conn, race_id)
        if pos is None and adoptable(conn, race_id, session, rules, settings):
            pos = Position(race_id, session, max_verdict(conn, race_id), digest, None, 0, 0)
        if pos is None or pos.basis != digest or pos.session_id != session:
            summary = _full(conn, race_id, session, digest, pos, follower, t0)
        else:
            summary = _incremental(
                conn, race, session, rules, settings, gun, waves, pos, strays, follower, t0
            )
    return replace(summary, committed_at=time.time())


def _full(
    conn: psycopg.Connection[Any],
    race_id: int,
    session: int,
    digest: str,
    pos: Position | None,
    follower: str,
    t0: float,
) -> StepSummary:
    """Rescore every read (first step, or points/settings/gun changed), then keep position."""
    done = score_race(conn, race_id, session, ScoreOptions(full=True))
    upto = max_verdict(conn, race_id)
    clock = race_clock(conn, session)
    save_position(
        conn, Position(race_id, session, upto, digest, clock, 0, 0), done.reads_scored, follower
    )
    return StepSummary(
        race_id=race_id,
        session_id=session,
        full=True,
        new_reads=done.reads_scored,
        retimed=done.results_changed,
        changed=[],
        places_changed=done.places_changed,
        upto=upto,
        clock=clock,
        seconds=time.perf_counter() - t0,
        resumed_from=pos.read_upto if pos else None,
    )


def _incremental(
    conn: psycopg.Connection[Any],
    race: _Race,
    session: int,
    rules: list[pts.PointRule],
    settings: RaceSettings,
    gun: datetime | None,
    waves: dict[str, datetime],
    pos: Position,
    strays: Strays,
    follower: str,
    t0: float,
) -> StepSummary:
    locations = [r.location for r in rules]
    new = conn.execute(
        "SELECT r.id, r.tag_code FROM timing_reads r "
        "WHERE r.id > %s AND r.session_id = %s AND r.location_name = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM ct_read_verdicts v WHERE v.race_id = %s AND v.read_id = r.id)",
        (pos.read_upto - LOOKBACK, session, locations, race.id),
    ).fetchall()
    _load_strays(conn, race.id, strays)
    clock = race_clock(conn, session)
    retag = {tag for _, tag in new}
    retag.update(clock_candidates(conn, race.id, rules, gun, clock))
    # corrections (a swap, a tag from a time, a hand time, a DQ) apply here exactly as in
    # score_race: every tag a correction names is timed again with its owners at that time
    fixes = RaceCorrections.load(conn, race.id)
    all_tags = load_tags(conn, race.id) if fixes.active else None
    if all_tags is not None:
        involved = set(fixes.involved_tags(all_tags))
        if retag & involved:  # a swapped or reassigned tag read: its partners move too
            retag |= involved
    if strays.tags:
        known = _owners(conn, race.id, sorted(strays.tags))
        retag.update(t for t, owners in known.items() if len(owners) == 1)
    upto = max([pos.read_upto, *(i for i, _ in new)])
    if not retag:
        if upto != pos.read_upto or clock != pos.clock:
            save_position(
                conn, Position(race.id, session, upto, pos.basis, clock, 0, 0), 0, follower
            )
        return StepSummary(race.id, session, False, 0, 0, [], 0, upto, clock, _since(t0))
    tags = _owners(conn, race.id, sorted(retag))
    reads = conn.execute(
        "SELECT id, location_name, tag_code, read_timestamp FROM timing_reads "
        "WHERE session_id = %s AND location_name = ANY(%s) AND tag_code = ANY(%s)",
        (session, locations, sorted(retag)),
    ).fetchall()
    # each statement sees what committed before it: reads newer than ``new`` are scored
    # here too (they get their verdict), so the position moves past them
    upto = max([upto, *(r[0] for r in reads)])
    corrected = apply_corrections(fixes, reads, all_tags if all_tags is not None else tags)
    mine = sorted(corrected.by_entry)
    entries = load_entries(conn, race.id, race.event_date, mine) if mine else []
    by_id = {e.id: e for e in entries}
    verdicts, timed = _time_reads(corrected, by_id, rules, waves, gun, settings)
    strays.tags = (strays.tags - {r[2] for r in reads}) | {v[3] for v in verdicts if v[1] is None}
    changed: list[tuple[Entry, Entry]] = []
    finish_rule = rules[-1]
    for e in entries:
        e_gun = waves.get(e.wave, gun) if e.wave else gun
        got = corrected.outcome(
            e,
            timed.get(e.id) or Timing(),
            e_gun,
            finish_rule.distance_m or race.distance_m,
            settings,
            final=False,
            rules=rules,
            clock=clock,
        )
        if got.timing_columns() != e.timing_columns():
            changed.append((e, got))
    write_entries(conn, [new_e for _, new_e in changed])
    write_splits(conn, timed, rules, by_id, waves, gun, False, race.id)
    write_verdicts(conn, race.id, verdicts, [r[0] for r in reads], False)
    moved = _replace(conn, race.id, changed, settings)
    ids = sorted({e.id for e, _ in changed} | set(moved))
    save_position(
        conn, Position(race.id, session, upto, pos.basis, clock, 0, 0), len(new), follower
    )
    conn.execute(
        "INSERT INTO ct_scoring_runs (race_id, session_id, new_reads, changed_results, final, "
        "finished_at) VALUES (%s, %s, %s, %s, false, clock_timestamp())",
        (race.id, session, len(new), len(ids)),
    )  # the runs' history, and what later runs judge gun news against
    announce(conn, race.id, session, upto, ids)  # also "scored up to": ids may be empty
    return StepSummary(
        race.id, session, False, len(new), len(timed), ids, len(moved), upto, clock, _since(t0)
    )


def _replace(
    conn: psycopg.Connection[Any],
    race_id: int,
    changed: list[tuple[Entry, Entry]],
    settings: RaceSettings,
) -> list[int]:
    """Re-place what the changes can move: a finisher's places depend only on the
    finishers with a smaller time, so only those at or after the smallest old or new time
    among the changes can move; nothing when no finisher came or went."""
    times = [
        t for old, new in changed for e in (old, new) if (t := _place_time(e, settings)) is not None
    ]
    if not times:
        return []
    return update_places_from(conn, race_id, min(times), [new.id for _, new in changed])


def _since(t0: float) -> float:
    return time.perf_counter() - t0

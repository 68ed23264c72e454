"""Scoring a race from the reads of a timing session, incrementally.

``score_race`` runs in one transaction under a per-race advisory lock, so the CLI, the TUI
and the HTTP server can all call it during a race without stepping on each other. The
first run (or ``full=True``, or a change of points or of the session's gun events) scores
every read; later runs take only reads that have no verdict yet, re-time the runners those
reads belong to, and re-place the race when a result changed. Each run is recorded in
``ct_scoring_runs`` and announced with ``NOTIFY p88_results`` (payload: the race id).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import P88Error
from p88.store.results import points as pts
from p88.store.results.agegroups import AgeGroups
from p88.store.results.crossings import AMBIGUOUS_TAG, UNKNOWN_TAG, Read, Timing, time_entry
from p88.store.results.entries import Entry, load_entries, load_tags, outcome, write_entries
from p88.store.results.guns import runner_gun
from p88.store.results.places import update_places
from p88.store.results.sessionreads import gun_news, newly_known_tags, race_gun, reads_to_score
from p88.store.results.writes import Verdict, write_splits, write_verdicts

if TYPE_CHECKING:
    import psycopg

LOCK_KEY = 8_861_162  # advisory lock namespace: one scorer per race at a time
NOTIFY_CHANNEL = "p88_results"


@dataclass(frozen=True)
class ScoreOptions:
    """How to score: points (None = as saved, or inferred), overrides, and the finish line.

    ``final`` turns runners with reads but no finish into DNF and those with none into
    DNS (use it once the course is closed); otherwise they stay without a status.
    Incremental runs re-time only the runners with new reads: after changing
    ``age_groups``, or a race's start time, waves or tag map, run once with ``full``.
    """

    points: Sequence[pts.PointRule] | None = None
    dead_time: timedelta | None = None
    min_elapsed: timedelta | None = None
    age_groups: AgeGroups = field(default_factory=AgeGroups)
    final: bool = False
    full: bool = False


@dataclass(frozen=True)
class ScoreSummary:
    """What one scoring run did."""

    race_id: int
    session_id: int
    full: bool
    reads_scored: int
    new_reads: int
    verdicts: dict[str, int]
    results_changed: int
    places_changed: int
    finished: int
    gun: datetime | None
    gun_source: str
    points: list[pts.PointRule]
    seconds: float


@dataclass(frozen=True)
class _Race:
    id: int
    distance_m: int
    start_time: datetime | None
    session_id: int | None
    event_date: Any


def score_race(
    conn: psycopg.Connection[Any],
    race_id: int,
    session_id: int | None = None,
    options: ScoreOptions | None = None,
) -> ScoreSummary:
    """Score ``race_id`` from ``session_id``'s reads (default: the race's own session)."""
    opts = options or ScoreOptions()
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_KEY, race_id))
        race = _load_race(conn, race_id)
        session = session_id if session_id is not None else race.session_id
        if session is None:
            raise P88Error(f"race {race_id} has no timing session", hint="pass --session")
        if not conn.execute("SELECT 1 FROM timing_sessions WHERE id = %s", (session,)).fetchone():
            raise P88Error(f"no timing session {session}")
        if race.session_id != session:
            conn.execute("UPDATE ct_races SET session_id = %s WHERE id = %s", (session, race_id))
        rules, rules_changed = _rules(conn, race, session, opts)
        gun, gun_source = race_gun(conn, session, race.start_time)
        waves = dict(
            conn.execute(
                "SELECT wave, start_time FROM ct_race_waves WHERE race_id = %s "
                "AND start_time IS NOT NULL",
                (race_id,),
            ).fetchall()
        )
        full = opts.full or opts.final or rules_changed or gun_news(conn, race_id, session)
        tags = load_tags(conn, race_id)
        locations = [r.location for r in rules]
        late = [] if full else newly_known_tags(conn, race_id, tags)
        reads, new_reads = reads_to_score(conn, race_id, session, locations, full, late)
        grouped: dict[str, dict[str, list[Read]]] = defaultdict(lambda: defaultdict(list))
        for rid, loc, tag, ts in reads:
            grouped[tag][loc].append(Read(ts, rid, loc))
        mine = None if full else sorted(tags[t][0][0] for t in grouped if len(tags.get(t, ())) == 1)
        entries = load_entries(conn, race_id, race.event_date, mine)
        by_id = {e.id: e for e in entries}
        verdicts, timed = _time_reads(grouped, tags, by_id, rules, waves, gun)

        changed: list[Entry] = []
        finish_rule = rules[-1]
        for e in entries:
            got = timed.get(e.id)
            e_gun = runner_gun(gun, waves, e.wave)
            new = outcome(
                e,
                got or Timing(),
                e_gun,
                finish_rule.distance_m or race.distance_m,
                opts.age_groups,
                final=opts.final,
            )
            if new.timing_columns() != e.timing_columns():
                changed.append(new)
        write_entries(conn, changed)
        write_splits(conn, timed, rules, by_id, waves, gun, full, race_id)
        write_verdicts(conn, race_id, verdicts, [r[0] for r in reads], full)
        places = update_places(conn, race_id) if changed or full else 0
        finished = conn.execute(
            "SELECT count(*) FROM ct_results WHERE race_id = %s AND status = 'finished'",
            (race_id,),
        ).fetchone()
        conn.execute(
            "INSERT INTO ct_scoring_runs (race_id, session_id, new_reads, changed_results, final, "
            "finished_at) VALUES (%s, %s, %s, %s, %s, clock_timestamp())",
            (race_id, session, new_reads, len(changed), opts.final),
        )
        conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, str(race_id)))
    return ScoreSummary(
        race_id=race_id,
        session_id=session,
        full=full,
        reads_scored=len(reads),
        new_reads=new_reads,
        verdicts=dict(Counter(v[4] for v in verdicts)),
        results_changed=len(changed),
        places_changed=places,
        finished=int(finished[0]) if finished else 0,
        gun=gun,
        gun_source=gun_source,
        points=rules,
        seconds=time.perf_counter() - t0,
    )


def _time_reads(
    grouped: dict[str, dict[str, list[Read]]],
    tags: dict[str, list[tuple[int, str]]],
    by_id: dict[int, Entry],
    rules: list[pts.PointRule],
    waves: dict[str, datetime],
    gun: datetime | None,
) -> tuple[list[Verdict], dict[int, Timing]]:
    """Time each tag's reads against its entry; reads of unknown or shared tags are flagged."""
    verdicts: list[Verdict] = []
    timed: dict[int, Timing] = {}
    for tag, at in grouped.items():
        owners = tags.get(tag, [])
        if len(owners) != 1:
            code = UNKNOWN_TAG if not owners else AMBIGUOUS_TAG
            why = (
                "no entry of this race has this tag"
                if not owners
                else "tag of bibs " + ", ".join(sorted(bib for _, bib in owners))
            )
            verdicts += [(r.id, None, r.location, tag, code, why) for rs in at.values() for r in rs]
            continue
        entry = by_id[owners[0][0]]
        t = time_entry(at, rules, runner_gun(gun, waves, entry.wave))
        timed[entry.id] = t
        verdicts += [(rid, entry.id, loc, tag, v, why) for rid, loc, v, why in t.verdicts]
    return verdicts, timed


def _load_race(conn: psycopg.Connection[Any], race_id: int) -> _Race:
    row = conn.execute(
        "SELECT r.id, r.distance_m, r.start_time, r.session_id, e.event_date "
        "FROM ct_races r JOIN ct_events e ON e.id = r.event_id WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise P88Error(
            f"no race {race_id}", hint="p88 results new-race creates a race and prints its id"
        )
    return _Race(*row)


def _rules(
    conn: psycopg.Connection[Any], race: _Race, session: int, opts: ScoreOptions
) -> tuple[list[pts.PointRule], bool]:
    rules = list(opts.points) if opts.points else pts.load(conn, race.id)
    if not rules:
        rules = pts.infer(conn, session, race.distance_m)
    rules = pts.with_defaults(rules, dead_time=opts.dead_time, min_elapsed=opts.min_elapsed)
    changed = pts.save(conn, race.id, rules)
    return pts.validate(rules), changed

"""Scoring a race from the reads of a timing session, incrementally.

``score_race`` runs in one transaction under a per-race advisory lock, so the CLI, the TUI
and the HTTP server can all call it during a race without stepping on each other. The
first run (or ``full=True``, or a change of points or of the session's gun events) scores
every read; later runs take only reads that have no verdict yet, re-time the runners those
reads belong to, and re-place the race when a result changed. Each run is recorded in
``ct_scoring_runs`` and announced with ``NOTIFY p88_results`` (:mod:`.announce`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import InputError, UnknownRace
from p88.store.results import points as pts
from p88.store.results.agegroups import AgeGroups
from p88.store.results.announce import announce
from p88.store.results.corrections_apply import CorrectedRace, RaceCorrections, apply_corrections
from p88.store.results.crossings import Timing, time_entry
from p88.store.results.cutoffs import clock_candidates, race_clock
from p88.store.results.entries import Entry, load_entries, load_tags, write_entries
from p88.store.results.guns import runner_gun
from p88.store.results.places import update_places
from p88.store.results.sessionreads import (
    check_session_dates,
    gun_far_from_start,
    gun_news,
    newly_known_tags,
    race_gun,
    reads_to_score,
    session_label,
)
from p88.store.results.settings import (
    RaceSettings,
    last_signature,
    load_settings,
    remember_signature,
    save_settings,
    signature,
)
from p88.store.results.writes import Verdict, write_splits, write_verdicts

if TYPE_CHECKING:
    import psycopg

LOCK_KEY = 8_861_162  # advisory lock namespace: one scorer per race at a time


@dataclass(frozen=True)
class ScoreOptions:
    """How to score: points (None = as set for the race, or proposed from the session for
    this run only), overrides, and the finish line.

    ``points``, ``dead_time``, ``min_elapsed`` and ``age_groups`` given here are set for
    the race (stored, as ``p88 results points`` / ``settings`` would), so every later run
    uses them too; a change rescores every read. ``final`` turns runners with reads but no
    finish into DNF and those with none into DNS (use it once the course is closed);
    otherwise they stay without a status. After changing a race's start time, waves or tag
    map, run once with ``full``.
    """

    points: Sequence[pts.PointRule] | None = None
    dead_time: timedelta | None = None
    min_elapsed: timedelta | None = None
    age_groups: AgeGroups | None = None
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
    points_source: str = "set"
    held: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Race:
    id: int
    distance_m: int
    start_time: datetime | None
    session_id: int | None
    event_date: Any
    official_at: datetime | None


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
            raise InputError(
                f"race {race_id} has no timing session",
                hint="pass --session",
                what="timing session",
                where="--session",
            )
        if not conn.execute("SELECT 1 FROM timing_sessions WHERE id = %s", (session,)).fetchone():
            raise InputError(
                f"no timing session {session}", what="timing session", where="--session"
            )
        if race.session_id != session:
            conn.execute("UPDATE ct_races SET session_id = %s WHERE id = %s", (session, race_id))
        check_session_dates(conn, session, race_id, race.event_date)
        rules, points_source, warnings = _rules(conn, race, session, opts)
        settings = load_settings(conn, race_id)
        if opts.age_groups is not None and opts.age_groups != settings.age_groups:
            settings = replace(settings, age_groups=opts.age_groups)
            save_settings(conn, race_id, settings)
        fixes = RaceCorrections.load(conn, race_id)
        digest = signature(rules, settings)
        final = opts.final or race.official_at is not None  # official: DNF/DNS stay
        gun, gun_source = race_gun(conn, session, race.start_time)
        gun_warning = gun_far_from_start(conn, session, race.start_time)
        if gun_warning:
            warnings.append(gun_warning)
        waves = dict(
            conn.execute(
                "SELECT wave, start_time FROM ct_race_waves WHERE race_id = %s "
                "AND start_time IS NOT NULL",
                (race_id,),
            ).fetchall()
        )
        full = (
            opts.full
            or final
            or digest != last_signature(conn, race_id)
            or gun_news(conn, race_id, session)
        )
        tags = load_tags(conn, race_id)
        locations = [r.location for r in rules]
        clock = race_clock(conn, session)
        news, touched = fixes.news(tags)
        late = (
            []
            if full
            else newly_known_tags(conn, race_id, tags)
            + fixes.involved_tags(tags)
            + clock_candidates(conn, race_id, rules, gun, clock)
        )
        reads, new_reads = reads_to_score(conn, race_id, session, locations, full, late + news)
        corrected = apply_corrections(fixes, reads, tags, touched)
        mine = None if full else sorted(corrected.by_entry)
        entries = load_entries(conn, race_id, race.event_date, mine)
        by_id = {e.id: e for e in entries}
        verdicts, timed = _time_reads(corrected, by_id, rules, waves, gun, settings)

        changed: list[Entry] = []
        finish_rule = rules[-1]
        for e in entries:
            got = timed.get(e.id)
            e_gun = runner_gun(gun, waves, e.wave)
            new = corrected.outcome(
                e,
                got or Timing(),
                e_gun,
                finish_rule.distance_m or race.distance_m,
                settings,
                final=final,
                rules=rules,
                clock=clock,
            )
            if new.timing_columns() != e.timing_columns():
                changed.append(new)
        write_entries(conn, changed)
        write_splits(conn, timed, rules, by_id, waves, gun, full, race_id)
        write_verdicts(conn, race_id, verdicts, [r[0] for r in reads], full)
        places = update_places(conn, race_id) if changed or full else 0
        remember_signature(conn, race_id, digest)
        fixes.remember(conn, race_id)
        finished, held = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'finished'),"
            " count(*) FILTER (WHERE status = 'review') FROM ct_results WHERE race_id = %s",
            (race_id,),
        ).fetchone() or (0, 0)
        conn.execute(
            "INSERT INTO ct_scoring_runs (race_id, session_id, new_reads, changed_results, final, "
            "finished_at) VALUES (%s, %s, %s, %s, %s, clock_timestamp())",
            (race_id, session, new_reads, len(changed), final),
        )
        if changed or places or full:  # displays read the race again: only when it changed
            upto = max((r[0] for r in reads), default=0)
            announce(conn, race_id, session, upto, None, full=full)
    return ScoreSummary(
        race_id=race_id,
        session_id=session,
        full=full,
        reads_scored=len(reads),
        new_reads=new_reads,
        verdicts=dict(Counter(v[4] for v in verdicts)),
        results_changed=len(changed),
        places_changed=places,
        finished=int(finished),
        gun=gun,
        gun_source=gun_source,
        points=rules,
        seconds=time.perf_counter() - t0,
        points_source=points_source,
        held=int(held),
        warnings=warnings,
    )


def _time_reads(
    corrected: CorrectedRace,
    by_id: dict[int, Entry],
    rules: list[pts.PointRule],
    waves: dict[str, datetime],
    gun: datetime | None,
    settings: RaceSettings,
) -> tuple[list[Verdict], dict[int, Timing]]:
    """Time each entry from the reads the corrections gave it; a verdict for every read
    (hand times, which are not reads, get none)."""
    verdicts: list[Verdict] = list(corrected.stray)
    timed: dict[int, Timing] = {}
    for eid, at in corrected.by_entry.items():
        entry = by_id[eid]
        t = time_entry(at, rules, runner_gun(gun, waves, entry.wave), settings.start_rule)
        timed[eid] = t
        verdicts += [
            (rid, eid, loc, corrected.tag_of(rid, eid), v, why)
            for rid, loc, v, why in t.verdicts
            if rid > 0
        ]
    return verdicts, timed


def _load_race(conn: psycopg.Connection[Any], race_id: int) -> _Race:
    row = conn.execute(
        "SELECT r.id, r.distance_m, r.start_time, r.session_id, e.event_date, r.official_at "
        "FROM ct_races r JOIN ct_events e ON e.id = r.event_id WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    return _Race(*row)


def _rules(
    conn: psycopg.Connection[Any], race: _Race, session: int, opts: ScoreOptions
) -> tuple[list[pts.PointRule], str, list[str]]:
    """The points this run uses, where they come from, and warnings about them.

    Points given in ``opts`` must be locations of the session (refused otherwise, naming
    the real ones) and are set for the race. Otherwise the race's set points; otherwise a
    proposal from the session's reads, used for this run only and never saved
    (:func:`points.propose` refuses when the reads do not make it unambiguous)."""
    warnings: list[str] = []
    known = pts.known_locations(conn, session)
    if opts.points:
        rules = pts.validate(opts.points)
        pts.check_names(rules, known, session_label(conn, session))
        source = "set"
    else:
        rules = pts.load(conn, race.id)
        source = "set"
        if not rules:
            rules = pts.propose(conn, session, race.distance_m)
            source = "proposed"
    rules = pts.with_defaults(rules, dead_time=opts.dead_time, min_elapsed=opts.min_elapsed)
    if source == "set":
        pts.save(conn, race.id, rules)
        missing = [r.location for r in rules if r.location not in known]
        if missing:
            warnings.append(
                f"point(s) {', '.join(missing)} have no reads in this session yet "
                f"(its locations: {', '.join(known) or 'none'})"
            )
    return pts.validate(rules), source, warnings

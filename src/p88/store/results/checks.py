"""Checks before results are official: what a person must look at, with the runners involved.

Each check is one function that asks the database (results, splits, read verdicts, reads)
and returns the runners or tags it found; :func:`run_checks` runs them all. A runner a
person has already decided (DQ, DNF or DNS by hand, a held result cleared) is not listed
again. ``p88 results check`` prints the report; ``p88 results final`` refuses while any
check is open unless the crew accepts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import UnknownRace
from p88.store.results import points as pts
from p88.store.results.flags import FASTEST_MPS, MAX_CHIP
from p88.store.results.sessionreads import race_gun
from p88.store.results.settings import load_settings
from p88.units import elapsed_text

if TYPE_CHECKING:
    import psycopg

__all__ = ["CHECKS", "CheckReport", "CheckResult", "Finding", "run_checks"]

MANY_READS = 10  # an unknown tag read this often is someone on the mat, not noise
TOP = 3  # places compared between gun and chip order (the usual award depth)


@dataclass(frozen=True)
class Finding:
    """One runner (``bib``) or tag a check found, and what it found about them."""

    detail: str
    bib: str | None = None
    tag: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    advice: str
    found: list[Finding]

    @property
    def count(self) -> int:
        return len(self.found)


@dataclass(frozen=True)
class CheckReport:
    race_id: int
    checks: list[CheckResult]
    seconds: float = 0.0

    @property
    def open(self) -> list[CheckResult]:
        """The checks that found something: each needs a person."""
        return [c for c in self.checks if c.found]

    def as_json(self) -> dict[str, object]:
        return {
            "race_id": self.race_id,
            "clean": not self.open,
            "open": [c.name for c in self.open],
            "checks": [
                {"name": c.name, "title": c.title, "count": c.count, "advice": c.advice,
                 "found": [f.__dict__ for f in c.found]}
                for c in self.checks
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class _Race:
    id: int
    session: int | None
    gun: datetime | None
    close: timedelta
    locations: list[str]
    distance_m: int
    decided: list[str]  # bibs a person has decided: not listed again
    many: int
    top: int


def _not_scored(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """Reads that arrived after the last scoring run (or a race never scored): every
    other check reads the stored results, so they would be out of date."""
    if race.session is None:
        return []
    row = conn.execute(
        "SELECT (SELECT max(started_at) FROM ct_scoring_runs WHERE race_id = %s),"
        " (SELECT count(*) FROM timing_reads WHERE session_id = %s AND location_name = ANY(%s)"
        " AND received_at >= coalesce((SELECT max(started_at) FROM ct_scoring_runs"
        " WHERE race_id = %s), '-infinity'))",
        (race.id, race.session, race.locations, race.id),
    ).fetchone()
    assert row is not None
    last, news = row
    if not news:
        return []
    when = f"since the last scoring run ({last:%Y-%m-%d %H:%M:%S})" if last else "(never scored)"
    return [Finding(f"{news} read(s) not scored {when}")]


def _missing_splits(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """Finishers without a split that other runners have: a possible course cut."""
    rows = conn.execute(
        "WITH used AS (SELECT p.location_name, p.seq FROM ct_race_points p WHERE p.race_id = %(r)s"
        " AND p.kind = 'split' AND EXISTS (SELECT 1 FROM ct_splits s WHERE s.race_id = %(r)s"
        " AND s.point = p.location_name))"
        " SELECT r.bib, string_agg(u.location_name, ', ' ORDER BY u.seq) FROM ct_results r"
        " CROSS JOIN used u WHERE r.race_id = %(r)s AND r.finish_time IS NOT NULL"
        " AND r.status IN ('finished', 'review') AND r.bib <> ALL(%(d)s) AND NOT EXISTS"
        " (SELECT 1 FROM ct_splits s WHERE s.result_id = r.id AND s.point = u.location_name)"
        " GROUP BY r.bib ORDER BY r.bib",
        {"r": race.id, "d": race.decided},
    ).fetchall()
    return [Finding(f"finished without a read at {points}", bib=bib) for bib, points in rows]


def _impossible_pace(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """A stretch between two points (or the whole race) faster than world-record pace."""
    rows = conn.execute(
        "WITH legs AS (SELECT r.bib, s.point, s.distance_m - lag(s.distance_m, 1, 0) OVER w AS m,"
        " s.elapsed - lag(s.elapsed, 1, INTERVAL '0') OVER w AS t,"
        " lag(s.point, 1, 'the start') OVER w AS p0"
        " FROM ct_splits s JOIN ct_results r ON r.id = s.result_id WHERE s.race_id = %(r)s"
        " AND s.distance_m IS NOT NULL AND r.status IN ('finished', 'review')"
        " AND r.bib <> ALL(%(d)s) WINDOW w AS (PARTITION BY s.result_id ORDER BY s.distance_m)),"
        " whole AS (SELECT bib, 'the finish' AS point, %(m)s::int AS m, chip_time AS t,"
        " 'the start' AS p0 FROM ct_results WHERE race_id = %(r)s AND chip_time IS NOT NULL"
        " AND status IN ('finished', 'review') AND bib <> ALL(%(d)s))"
        " SELECT DISTINCT ON (bib) bib, p0, point, m, t FROM (SELECT * FROM legs UNION ALL"
        " SELECT * FROM whole) x WHERE m > 0"
        " AND m / greatest(extract(epoch FROM t), 0.01) > %(fast)s ORDER BY bib, t",
        {"r": race.id, "d": race.decided, "m": race.distance_m, "fast": FASTEST_MPS},
    ).fetchall()
    return [
        Finding(
            f"{m} m from {p0} to {point} in {elapsed_text(t)}: faster than world-record pace",
            bib=bib,
        )
        for bib, p0, point, m, t in rows
    ]


def _after_window(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """Reads at the race's points after the course closed (the cutoff, else 24 h)."""
    if race.session is None or race.gun is None:
        return []
    end = race.gun + race.close
    rows = conn.execute(
        "WITH late AS (SELECT tag_code AS tag, count(*) AS n, max(read_timestamp) AS last"
        " FROM timing_reads WHERE session_id = %s AND location_name = ANY(%s)"
        " AND read_timestamp > %s GROUP BY tag_code),"
        " owners AS (SELECT coalesce(tag_code, bib) AS tag, min(bib) AS bib FROM ct_results"
        " WHERE race_id = %s GROUP BY 1)"
        " SELECT l.tag, l.n, l.last, o.bib FROM late l LEFT JOIN owners o ON o.tag = l.tag"
        " WHERE o.bib IS NULL OR o.bib <> ALL(%s) ORDER BY l.tag",
        (race.session, race.locations, end, race.id, race.decided),
    ).fetchall()
    return [
        Finding(f"{n} read(s) after the course closed at {end}, last {last}", bib=bib, tag=tag)
        for tag, n, last, bib in rows
    ]


def _reads_no_result(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """Registered runners whose tag was read but who have no finish."""
    rows = conn.execute(
        "SELECT bib, locs FROM (SELECT r.bib, (SELECT string_agg(DISTINCT v.location_name, ', ')"
        " FROM ct_read_verdicts v WHERE v.result_id = r.id) AS locs FROM ct_results r"
        " WHERE r.race_id = %s AND r.finish_time IS NULL AND r.bib <> ALL(%s)) x"
        " WHERE locs IS NOT NULL ORDER BY bib",
        (race.id, race.decided),
    ).fetchall()
    return [Finding(f"read at {locs} but no finish", bib=bib) for bib, locs in rows]


def _unknown_tags(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """Tags of nobody in the race read many times: a volunteer on the mat, a swapped bib."""
    rows = conn.execute(
        "SELECT tag_code, count(*), string_agg(DISTINCT location_name, ', ')"
        " FROM ct_read_verdicts WHERE race_id = %s AND verdict = 'unknown_tag'"
        " GROUP BY tag_code HAVING count(*) >= %s ORDER BY count(*) DESC, tag_code",
        (race.id, race.many),
    ).fetchall()
    return [
        Finding(f"{n} reads at {locs}, no runner of this race", tag=tag) for tag, n, locs in rows
    ]


def _duplicates(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """A tag on several bibs, one person with two bibs, a bib also in another race of the
    event scored from the same session (its reads count in both)."""
    rows = conn.execute(
        "SELECT string_agg(bib, ', ' ORDER BY bib), 'share tag ' || coalesce(tag_code, bib)"
        " FROM ct_results WHERE race_id = %(r)s GROUP BY coalesce(tag_code, bib)"
        " HAVING count(*) > 1"
        " UNION ALL SELECT string_agg(bib, ', ' ORDER BY bib), 'are one participant'"
        " FROM ct_results WHERE race_id = %(r)s GROUP BY participant_id HAVING count(*) > 1"
        " UNION ALL SELECT r.bib, 'tag ' || coalesce(o.tag_code, o.bib) || ' is also bib ' ||"
        " o.bib || ' in race ' || o.race_id FROM ct_results r JOIN ct_races ra ON ra.id = r.race_id"
        " JOIN ct_races rb ON rb.event_id = ra.event_id AND rb.id <> ra.id"
        " AND rb.session_id = ra.session_id"
        " JOIN ct_results o ON o.race_id = rb.id"
        " AND coalesce(o.tag_code, o.bib) = coalesce(r.tag_code, r.bib)"
        " WHERE r.race_id = %(r)s ORDER BY 1",
        {"r": race.id},
    ).fetchall()
    return [Finding(f"bib(s) {bibs} {what}", bib=bibs.split(", ")[0]) for bibs, what in rows]


def _gun_chip_top(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """The first finishers by gun time and by chip time are not the same runners in the
    same order (overall and per sex): awards need a person to say which counts."""
    rows = conn.execute(
        "SELECT bib, sex, row_number() OVER (ORDER BY gun_time, bib),"
        " row_number() OVER (ORDER BY chip_time, bib),"
        " row_number() OVER (PARTITION BY sex ORDER BY gun_time, bib),"
        " row_number() OVER (PARTITION BY sex ORDER BY chip_time, bib)"
        " FROM ct_results WHERE race_id = %s AND status = 'finished' AND gun_time IS NOT NULL"
        " AND chip_time IS NOT NULL",
        (race.id,),
    ).fetchall()
    found = []
    groups = [("overall", None, 2, 3)] + [
        (f"sex {s}", s, 4, 5) for s in sorted({r[1] for r in rows if r[1]})
    ]
    for label, sex, g, c in groups:
        mine = [r for r in rows if sex is None or r[1] == sex]
        by_gun = [r[0] for r in sorted(mine, key=lambda r: r[g]) if r[g] <= race.top]
        by_chip = [r[0] for r in sorted(mine, key=lambda r: r[c]) if r[c] <= race.top]
        if by_gun != by_chip:
            first = next(a for a, b in zip(by_gun, by_chip, strict=False) if a != b)
            text = (
                f"top {race.top} {label}: by gun {', '.join(by_gun)}; by chip {', '.join(by_chip)}"
            )
            found.append(Finding(text, bib=first))
    return found


def _held(conn: psycopg.Connection[Any], race: _Race) -> list[Finding]:
    """Results held for review: not placed until a person clears them (or DQs them)."""
    rows = conn.execute(
        "SELECT bib, note FROM ct_results WHERE race_id = %s AND status = 'review'"
        " AND bib <> ALL(%s) ORDER BY bib",
        (race.id, race.decided),
    ).fetchall()
    return [Finding(note or "held", bib=bib) for bib, note in rows]


Check = Callable[["psycopg.Connection[Any]", _Race], list[Finding]]
#: name, title, what to do, the rule.
CHECKS: list[tuple[str, str, str, Check]] = [
    ("not_scored", "reads not scored yet",
     "score the race first (p88 results score --race N): the other checks read its results",
     _not_scored),
    ("missing_splits", "missing splits (possible course cut)",
     "check the split mat's reads; DQ a cut, or give a hand time (--time POINT=...)",
     _missing_splits),
    ("impossible_pace", "impossible pace between points",
     "check the runner's reads and tag; DQ a cut course or fix the tag", _impossible_pace),
    ("after_window", "reads after the finish window",
     "a runner still on course, or a tag left on the mat after the close", _after_window),
    ("reads_no_result", "registered runners with reads but no result",
     "a missed finish read (--time FINISH=...) or a real DNF (--dnf)", _reads_no_result),
    ("unknown_tags", "unknown tags with many reads",
     "a volunteer on the mat, or a runner wearing an unregistered bib (--tag)", _unknown_tags),
    ("duplicate_bibs", "duplicate bibs", "fix the registration or the tag map", _duplicates),
    ("gun_chip_top", "gun and chip top finishers disagree",
     "awards go by the race's place-by setting; confirm the order", _gun_chip_top),
    ("held", "results held for review",
     "clear the result (--clear) or DQ the runner (--dq)", _held),
]  # fmt: skip


def _decided(conn: psycopg.Connection[Any], race_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT c.bib FROM ct_result_corrections c WHERE c.race_id = %s"
        " AND c.action IN ('dq', 'dnf', 'dns', 'clear') AND NOT EXISTS (SELECT 1"
        " FROM ct_result_corrections u WHERE u.undoes = c.id AND u.action = 'undo')",
        (race_id,),
    ).fetchall()
    return [r[0] for r in rows]


def run_checks(
    conn: psycopg.Connection[Any], race_id: int, *, many_reads: int = MANY_READS, top: int = TOP
) -> CheckReport:
    """Every check on the race's stored results; a check that finds nothing is clean."""
    t0 = time.perf_counter()
    row = conn.execute(
        "SELECT session_id, start_time, distance_m FROM ct_races WHERE id = %s", (race_id,)
    ).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    session, scheduled, distance = row
    gun = race_gun(conn, session, scheduled)[0] if session is not None else scheduled
    race = _Race(
        id=race_id, session=session, gun=gun,
        close=load_settings(conn, race_id).cutoff or MAX_CHIP,
        locations=[r.location for r in pts.load(conn, race_id)], distance_m=distance,
        decided=_decided(conn, race_id), many=many_reads, top=top,
    )  # fmt: skip
    results = [CheckResult(n, title, advice, rule(conn, race)) for n, title, advice, rule in CHECKS]
    bibs = sorted({f.bib for c in results for f in c.found if f.bib})
    names = dict(
        conn.execute(
            "SELECT r.bib, btrim(p.first_name || ' ' || p.last_name) FROM ct_results r"
            " JOIN ct_participants p ON p.id = r.participant_id"
            " WHERE r.race_id = %s AND r.bib = ANY(%s)",
            (race_id, bibs),
        ).fetchall()
    )
    named = [
        CheckResult(c.name, c.title, c.advice, [
            Finding(f.detail, f.bib, f.tag, names.get(f.bib or "")) for f in c.found
        ])
        for c in results
    ]  # fmt: skip
    return CheckReport(race_id, named, time.perf_counter() - t0)

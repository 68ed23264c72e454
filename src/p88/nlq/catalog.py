"""Names the database knows: partners, events (as yearly series), races, places, sessions.

``Catalog.load(conn)`` reads them once (a few small queries, read-only); a catalog is
immutable and can be reused across questions until the data changes. Matching is
tolerant of case, abbreviations and small typos, but a typo alone never selects an
event: it only produces a "did you mean" (precision over recall).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from p88.nlq.places import STATES
from p88.store import catalog_rows

if TYPE_CHECKING:
    import psycopg

GENERIC = frozenset(
    {"marathon", "half", "10k", "5k", "race", "run", "road", "the", "of", "city", "trail"}
)


@dataclass(frozen=True)
class Event:
    """One held event: a series name in a year."""

    id: int
    partner_id: int
    name: str
    event_date: date
    city: str
    state: str


@dataclass(frozen=True)
class SeriesMatch:
    """An event series the question names, and how well."""

    name: str
    score: float
    exact: int
    span: tuple[int, int]


@dataclass(frozen=True)
class Catalog:
    """Everything ``p88 ask`` matches names against."""

    partners: dict[int, tuple[str, str]]
    events: tuple[Event, ...]
    races: dict[int, tuple[tuple[int, int], ...]]  # event id -> (race id, distance_m)
    home_states: frozenset[str]
    home_cities: dict[str, frozenset[str]]  # lower city -> its spellings in the data
    sessions: dict[int, str]
    locations: frozenset[str]
    bq_years: tuple[int, ...]
    series: dict[str, tuple[Event, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: psycopg.Connection[Any]) -> Catalog:
        """Read the catalog (read-only queries of p88's own, in the store)."""
        found = catalog_rows(conn)
        partners = {pid: (name, code) for pid, name, code in found.partners}
        events = tuple(Event(*r) for r in found.events)
        races: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for race_id, event_id, metres in found.races:
            races[event_id].append((race_id, metres))
        cities: dict[str, set[str]] = defaultdict(set)
        states: set[str] = set()
        for city, state in found.homes:
            if state:
                states.add(state)
            if city:
                cities[city.lower()].add(city)
        sessions = dict(found.sessions)
        locations = frozenset(found.locations)
        bq = tuple(found.bq_years)
        by_name: dict[str, list[Event]] = defaultdict(list)
        for ev in events:
            by_name[ev.name].append(ev)
        return cls(
            partners=partners,
            events=events,
            races={k: tuple(v) for k, v in races.items()},
            home_states=frozenset(states),
            home_cities={k: frozenset(v) for k, v in cities.items()},
            sessions=sessions,
            locations=locations,
            bq_years=bq,
            series={k: tuple(v) for k, v in by_name.items()},
        )

    def for_partner(self, partner_id: int | None) -> Catalog:
        """The catalog as one partner sees it: its own events and sessions only."""
        if partner_id is None:
            return self
        events = tuple(e for e in self.events if e.partner_id == partner_id)
        series: dict[str, list[Event]] = defaultdict(list)
        for ev in events:
            series[ev.name].append(ev)
        return Catalog(
            partners={k: v for k, v in self.partners.items() if k == partner_id},
            events=events,
            races={e.id: self.races.get(e.id, ()) for e in events},
            home_states=self.home_states,
            home_cities=self.home_cities,
            sessions=self.sessions,
            locations=self.locations,
            bq_years=self.bq_years,
            series={k: tuple(v) for k, v in series.items()},
        )

    def resolve_partner(self, text: str) -> int | None:
        """A partner by id, code or (case-insensitive) name."""
        want = text.strip().lower()
        for pid, (name, code) in self.partners.items():
            if want in (str(pid), code.lower(), name.lower()):
                return pid
        return None

    def series_distances(self, name: str) -> frozenset[int]:
        return frozenset(
            metres for ev in self.series.get(name, ()) for _, metres in self.races.get(ev.id, ())
        )

    def race_ids(self, events: list[Event], distance: int | None) -> list[int]:
        """Race ids of ``events``, of one distance or all."""
        return sorted(
            race_id
            for ev in events
            for race_id, metres in self.races.get(ev.id, ())
            if distance is None or metres == distance
        )


def words(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text`` with their spans."""
    return [(m[0], m.start(), m.end()) for m in re.finditer(r"[a-z0-9][a-z0-9'.+-]*", text)]


def distinctive(name: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in GENERIC]


@functools.lru_cache(maxsize=65536)
def _word_hits(word: str, token: str) -> str | None:
    """'exact' (equal, or a prefix of 4+ letters), 'typo' (close), or None."""
    if word == token:
        return "exact"
    if len(word) >= 4 and token.startswith(word):
        return "exact"
    if len(word) < 5 or abs(len(word) - len(token)) > 2 or word[0] != token[0]:
        return None
    if difflib.SequenceMatcher(None, word, token).ratio() >= 0.75:
        return "typo"
    return None


def match_series(
    catalog: Catalog, tokens: list[tuple[str, int, int]]
) -> tuple[list[SeriesMatch], list[tuple[str, str]]]:
    """Series the words name (best first), and (word, series) pairs that are only typos."""
    matches: list[SeriesMatch] = []
    typos: list[tuple[str, str]] = []
    for name in catalog.series:
        keys = distinctive(name)
        exact, typo, spans = 0, 0, []
        for key in keys:
            hits = [(_word_hits(word, key), start, end, word) for word, start, end in tokens]
            best = [h for h in hits if h[0] == "exact"] or [h for h in hits if h[0] == "typo"]
            if best:
                hit, start, end, word = best[0]
                exact += hit == "exact"
                typo += hit == "typo"
                spans.append((start, end, word))
        if exact:
            score = (exact + 0.5 * typo) / len(keys)
            span = (min(s for s, _, _ in spans), max(e for _, e, _ in spans))
            matches.append(SeriesMatch(name, score, exact, span))
        elif typo:
            typos.extend((w, name) for _, _, w in spans)
    matches.sort(key=lambda m: (-m.score, -m.exact, m.name))
    return matches, typos


def closest(word: str, names: list[str], n: int = 3) -> list[str]:
    """Known names closest to ``word`` (for "did you mean")."""
    scored = []
    for name in names:
        best = max(
            (difflib.SequenceMatcher(None, word, key).ratio() for key in distinctive(name)),
            default=0.0,
        )
        scored.append((best, name))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [name for score, name in scored[:n] if score >= 0.6]


def state_code(word: str) -> str | None:
    return STATES.get(word.lower()) or (word.upper() if word.upper() in STATES.values() else None)

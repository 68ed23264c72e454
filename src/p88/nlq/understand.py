"""English question -> ``Frame``: entities, catalog names, keywords, then the checks that
keep a guess from passing as certain (ambiguity, unknown words, other tenants' events).

``understand`` raises ``Ambiguous`` with numbered interpretations, ``NotUnderstood`` naming
the words it could not place (and the closest known names), or ``NotYours`` when a partner
names an event it does not time. It never reads results; it may look up runners' names.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from p88.nlq import vocab
from p88.nlq.catalog import (
    Catalog,
    Event,
    closest,
    distinctive,
    match_series,
    words,
)
from p88.nlq.entities import DISTANCE_LABEL, MARATHON, Entities, extract
from p88.nlq.frame import Ambiguous, Condition, Frame, Interpretation, NotUnderstood, Pins
from p88.nlq.names import (
    not_yours,
    resolve_partner_named,
    resolve_places,
    resolve_runner,
    resolve_series,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["Pins", "events_for", "understand"]

TIME_METRICS = ("top", "avg", "median", "min", "max", "distribution", "bq", "list")


def understand(
    question: str,
    catalog: Catalog,
    *,
    conn: psycopg.Connection[Any] | None = None,
    partner_id: int | None = None,
    today: date | None = None,
    pins: Pins | None = None,
) -> Frame:
    """The frame of ``question``; raises when it is ambiguous or not understood."""
    if not any(ch.isalnum() for ch in question):  # else it would answer a default question
        raise NotUnderstood(
            'no question to answer: ask one in English, e.g. "how many finished under 3 hours"',
            words=[],
            suggestions=[],
        )
    pins = pins or Pins()
    today = today or date.today()
    ent = extract(question, today)
    text = ent.text
    frame = Frame(partner_id=partner_id)
    if vocab.LIVE.search(text) and (ent.session_no is not None or "read" in text):
        return _live(ent, catalog, frame)
    resolve_partner_named(ent, catalog, frame, partner_id)
    if ent.tenant and frame.partner_id is None:
        raise NotUnderstood(
            "'our' needs a timing partner: ask with --partner NAME (or name the partner)",
            words=["our"],
            suggestions=[],
        )
    resolve_places(ent, catalog, frame)
    if vocab.BQ.search(text):
        for m in vocab.BQ.finditer(text):
            ent.take(m)
        frame.metric = "bq"
    series = resolve_series(ent, catalog, partner_id, pins)
    frame.series = series
    if series and not pins.event:
        said = set(re.findall(r"[a-z0-9]+", text))
        if not set(distinctive(series)) <= said:
            frame.confidence = 0.85  # matched by an abbreviation or a partial name
    _metric(ent, frame)
    _conditions(ent, frame, pins)
    _years(ent, frame, catalog, series, pins)
    _distance(ent, frame, catalog, series)
    if conn is not None:
        resolve_runner(ent, frame, conn, partner_id)
    if frame.subject == "events" and frame.participant_ids:
        frame.subject = "results"  # "which events did <runner> run": the runner's results
        frame.metric = "count" if vocab.COUNT.search(text) else "list"
    _leftovers(ent, catalog, series, partner_id)
    return frame


def _live(ent: Entities, catalog: Catalog, frame: Frame) -> Frame:
    text = ent.text
    frame.subject, frame.metric = "reads", "count"
    frame.session_id = ent.session_no
    frame.minutes_back = ent.minutes_back
    for name in sorted(catalog.locations, key=len, reverse=True):
        m = re.search(rf"\b{re.escape(name.lower())}\b", text)
        if m:
            frame.location = name
            break
    if re.search(r"\b(?:latest|most recent|list|show)\b", text) and "count" not in text:
        frame.metric = "list"
    if re.search(r"\b(?:by|per|each) (?:location|point|mat)\b|timing data", text):
        frame.group_by = ["location"]
    return frame


def _metric(ent: Entities, frame: Frame) -> None:
    text = ent.text
    if vocab.EVENTS.search(text):
        frame.subject = "events"
        frame.metric = "count" if vocab.COUNT.search(text) else "list"
        if vocab.RECENT.search(text):
            frame.recent_days = 365
        return
    for pattern, status in vocab.STATUS:
        if pattern.search(text):
            frame.status = status  # type: ignore[assignment]
            for m in pattern.finditer(text):
                ent.take(m)
            break
    frame.people = bool(vocab.PEOPLE.search(text))
    for pattern, group in vocab.GROUPS:
        if pattern.search(text):
            frame.group_by.append(group)  # type: ignore[arg-type]
            for m in pattern.finditer(text):
                ent.take(m)
    if frame.metric == "bq":
        frame.metric = "list" if vocab.LIST.search(text) and not vocab.COUNT.search(text) else "bq"
        if frame.metric == "list":
            frame.metric = "bq"
            frame.top_n = 100
    elif vocab.PR.search(text):
        frame.metric = "pr"
    elif vocab.REPEAT.search(text):
        frame.metric = "repeat"
        frame.people = True
    elif vocab.PERCENT.search(text):
        frame.metric = "percent"
    elif vocab.MEDIAN.search(text):
        frame.metric = "median"
    elif vocab.AVG.search(text):
        frame.metric = "avg"
    elif vocab.DISTRIBUTION.search(text):
        frame.metric = "distribution"
    elif vocab.MIN.search(text):
        frame.metric = "min"
    elif vocab.MAX.search(text):
        frame.metric = "max"
    elif ent.top_n is not None or ent.winner or vocab.TOP_WORDS.search(text):
        frame.metric = "top"
        frame.top_n = ent.top_n or 1
        frame.slowest = ent.slowest or "slowest" in text
        frame.measure = "gun"
    elif vocab.COUNT.search(text):
        frame.metric = "count"
    elif vocab.LIST.search(text) or frame.group_by == []:
        frame.metric = "list"
    if frame.metric in ("list",) and vocab.COUNT.search(text):
        frame.metric = "count"
    if frame.metric == "pr" and frame.status == "entered":
        frame.status = "finished"
    frame.sex, frame.age_min, frame.age_max = ent.sex, ent.age_min, ent.age_max


def _conditions(ent: Entities, frame: Frame, pins: Pins) -> None:
    text = ent.text
    if vocab.GUN.search(text):
        frame.measure = "gun"
    elif vocab.CHIP.search(text) or frame.metric != "top":
        frame.measure = "chip" if frame.measure != "gun" or frame.metric != "top" else "gun"
    if re.search(r"\bpaces?\b", text) and frame.metric in ("avg", "median", "min", "max"):
        frame.measure = "pace"
    if pins.time in ("gun", "chip"):
        frame.measure = pins.time  # type: ignore[assignment]
    for bound in ent.bounds:
        measure = "pace" if bound.kind == "pace" else ("gun" if frame.measure == "gun" else "chip")
        frame.conditions.append(Condition(measure, bound.op, bound.seconds))  # type: ignore[arg-type]


def _years(ent: Entities, frame: Frame, catalog: Catalog, series: str | None, pins: Pins) -> None:
    frame.year_from, frame.year_to = ent.year_from, ent.year_to
    if pins.year and pins.year != "all":
        if not pins.year.isdigit():
            raise NotUnderstood(
                f"--year {pins.year!r} is not a year", words=[pins.year], suggestions=[]
            )
        frame.year_from = frame.year_to = int(pins.year)
    if frame.metric == "bq":
        years = catalog.bq_years or (0,)
        wanted = (frame.year_to or date.today().year) + 1
        frame.bq_year = min(max(wanted, years[0]), years[-1])
    if series is None or frame.year_from is not None or frame.year_to is not None:
        return
    held = sorted({e.event_date.year for e in catalog.series.get(series, ())})
    if pins.year == "all" or len(held) <= 1 or frame.metric in ("pr", "repeat"):
        return
    if "year" in frame.group_by or vocab.ALL_YEARS.search(ent.text) or frame.subject == "events":
        return
    latest = held[-1]
    raise Ambiguous(
        f"{series} was held in {len(held)} years ({held[0]}-{latest}); which?",
        [
            Interpretation(f"{series} {latest} only", f"--year {latest}", replace(frame)),
            Interpretation(
                f"{series}, all years {held[0]}-{latest} together", "--year all", replace(frame)
            ),
        ],
    )


def _distance(ent: Entities, frame: Frame, catalog: Catalog, series: str | None) -> None:
    explicit = [d for d, span in ent.distances]
    if series is not None:
        name_words = series.lower()
        implied = [d for d, (s, e) in ent.distances if ent.text[s:e] in name_words]
        explicit = [d for d, (s, e) in ent.distances if ent.text[s:e] not in name_words]
        available = catalog.series_distances(series)
        if not explicit:
            named = [d for d in implied if d in available]
            from_name = [d for d, label in DISTANCE_LABEL.items() if label in name_words]
            if named:
                explicit = named[:1]
                frame.confidence = min(frame.confidence, 0.95)  # distance from the name
            elif len(available) == 1:
                explicit = list(available)
            elif from_name and from_name[0] in available:
                explicit = from_name[:1]
        if explicit and explicit[0] not in available:
            have = ", ".join(DISTANCE_LABEL.get(d, f"{d} m") for d in sorted(available))
            raise NotUnderstood(
                f"{series} has no {DISTANCE_LABEL.get(explicit[0])} (it has: {have})",
                words=[DISTANCE_LABEL.get(explicit[0], "")],
                suggestions=[],
            )
        needs_one = frame.metric in TIME_METRICS or frame.conditions
        if not explicit and len(available) > 1 and needs_one and "distance" not in frame.group_by:
            raise Ambiguous(
                f"{series} has {len(available)} races; which distance?",
                [
                    Interpretation(
                        f"the {DISTANCE_LABEL[d]}", DISTANCE_LABEL[d], replace(frame, distance=d)
                    )
                    for d in sorted(available, reverse=True)
                ],
            )
    if len(set(explicit)) > 1 and "distance" not in frame.group_by:
        frame.group_by.append("distance")
    elif explicit:
        frame.distance = explicit[0]
    if frame.metric == "bq":
        frame.distance = MARATHON


def _leftovers(ent: Entities, catalog: Catalog, series: str | None, partner_id: int | None) -> None:
    name_words = series.lower().split() if series else []

    def in_name(word: str) -> bool:
        return any(w == word or (len(word) >= 3 and w.startswith(word)) for w in name_words)

    unknown = [
        w
        for w, s, e in words(ent.text)
        if not ent.used(s, e)
        and w not in vocab.VOCAB
        and not (re.fullmatch(r"[\d.:+-]+", w) and not re.fullmatch(r"(?:19|20)\d\d", w))
        and not in_name(w)
    ]
    if unknown and partner_id is not None:
        spans = [(w, s, e) for w, s, e in words(ent.text) if w in unknown]
        others, typos = match_series(catalog, spans)
        raise not_yours(
            unknown, catalog.for_partner(partner_id), model_may_try=not (others or typos)
        )
    if unknown:
        near = closest(unknown[0], list(catalog.series))
        quoted = ", ".join(f"'{w}'" for w in unknown)
        raise NotUnderstood(f"did not understand {quoted}", words=unknown, suggestions=near)


def events_for(frame: Frame, catalog: Catalog, today: date) -> list[Event] | None:
    """The events the frame's filters select, or None when it has no event filter."""
    if not (
        frame.series
        or frame.year_from
        or frame.year_to
        or frame.partner_id is not None
        or frame.event_state
        or frame.recent_days
    ):
        return None
    events = list(catalog.events)
    if frame.series:
        events = [e for e in events if e.name == frame.series]
    if frame.partner_id is not None:
        events = [e for e in events if e.partner_id == frame.partner_id]
    if frame.year_from is not None:
        events = [e for e in events if e.event_date.year >= frame.year_from]
    if frame.year_to is not None:
        events = [e for e in events if e.event_date.year <= frame.year_to]
    if frame.event_state:
        events = [e for e in events if e.state == frame.event_state]
    if frame.recent_days:
        events = [e for e in events if (today - e.event_date).days <= frame.recent_days]
    return events

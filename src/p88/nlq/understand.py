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
from p88.nlq.checks import read_share, refuse_unused
from p88.nlq.entities import DISTANCE_LABEL, MARATHON, Entities, extract, implied_distance
from p88.nlq.frame import Ambiguous, Condition, Frame, Interpretation, NotUnderstood, Pins
from p88.nlq.live import live_frame, session_named
from p88.nlq.names import (
    not_yours,
    resolve_partner_named,
    resolve_places,
    resolve_runner,
    resolve_series,
)
from p88.nlq.places import resolve_home_words
from p88.nlq.refuse import refuse_outright
from p88.nlq.shape import read_shape
from p88.nlq.standards import standards_frame
from p88.nlq.typos import forgive_typos, mark_function_words, series_by_typo
from p88.units import elapsed_text

if TYPE_CHECKING:
    import psycopg

__all__ = ["Pins", "events_for", "understand"]

TIME_METRICS = (
    "top", "avg", "median", "min", "max", "distribution", "bq", "list", "percentile", "pb_set",
    "improved", "stddev",
)  # fmt: skip


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
    named = session_named(text, catalog)
    live = bool(vocab.LIVE.search(text)) and (
        ent.session_no is not None
        or "read" in text
        or named is not None
        or ent.minutes_back is not None
    )
    refuse_outright(text, bool(catalog.events), live)
    if not live and (standards := standards_frame(ent, frame)) is not None:
        return standards
    if live:
        if named is not None:
            ent.session_no = named
        return live_frame(ent, catalog, frame)
    resolve_partner_named(ent, catalog, frame, partner_id)
    if ent.tenant and frame.partner_id is None:
        raise NotUnderstood(
            "'our' needs a timing partner: ask with --partner NAME (or name the partner)",
            words=["our"],
            suggestions=[],
        )
    resolve_home_words(ent, frame)
    resolve_places(ent, catalog, frame)
    if vocab.BQ.search(text):
        for m in vocab.BQ.finditer(text):
            ent.take(m)
        frame.metric = "bq"
    mark_function_words(ent, catalog)
    series = series_by_typo(ent, catalog, partner_id, frame) if not pins.event else None
    if series is None:
        series = resolve_series(ent, catalog, partner_id, pins)
    frame.series = series
    if series and not pins.event:
        said = set(re.findall(r"[a-z0-9]+", text))
        if not set(distinctive(series)) <= said:
            frame.confidence = 0.85  # matched by an abbreviation or a partial name
    read_shape(ent, frame, today)
    _metric(ent, frame)
    _conditions(ent, frame, pins)
    read_share(ent, frame)
    refuse_unused(ent, frame)
    _years(ent, frame, catalog, series, pins)
    _distance(ent, frame, catalog, series)
    if conn is not None:
        resolve_runner(ent, frame, conn, partner_id)
    if frame.subject == "events" and frame.participant_ids:
        frame.subject = "results"  # "which events did <runner> run": the runner's results
        frame.metric = "count" if vocab.COUNT.search(text) else "list"
    if ent.winner and series is None and not frame.participant_ids and not frame.group_by:
        raise NotUnderstood(
            'which race? name the event (and year), e.g. "who won the Boston Marathon in 2024"',
            words=["won"],
            suggestions=[],
        )
    forgive_typos(ent, series, frame)
    _leftovers(ent, catalog, series, partner_id)
    return frame


def _metric(ent: Entities, frame: Frame) -> None:
    text = ent.text
    if vocab.EVENTS.search(text) and frame.ranked_by is None:
        if vocab.AVG.search(text) or vocab.MEDIAN.search(text) or vocab.PERCENT.search(text):
            raise NotUnderstood(
                "p88 counts and lists events; an average or share of races per runner is "
                "not something it computes",
                words=["average"],
                suggestions=[],
            )
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
    frame.people = frame.people or bool(vocab.PEOPLE.search(text))
    for pattern, group in vocab.GROUPS:
        if pattern.search(text):
            if group not in frame.group_by:
                frame.group_by.append(group)  # type: ignore[arg-type]
            for m in pattern.finditer(text):
                ent.take(m)
    if frame.metric == "pb_set" and vocab.PERCENT.search(text):
        frame.bq_percent = True  # the share of finishers who set one
    if frame.every_edition and "year" in frame.group_by:
        frame.group_by.remove("year")
    shaped = frame.metric in ("percentile", "pb_set", "improved", "repeat", "stddev") or (
        frame.measure in ("gap", "age", "pace_km") and frame.metric != "count"
    )
    if frame.measure == "gun" and frame.metric == "min":  # "winning time"
        shaped = True
    if frame.metric == "bq" and vocab.PERCENT.search(text):
        frame.bq_percent = True
    figures = (vocab.PERCENT, vocab.MEDIAN, vocab.AVG, vocab.MIN, vocab.MAX)
    asked = [p.search(text) for p in figures]
    if frame.ranked_by is None and sum(1 for m in asked if m) >= 2 and not shaped:
        said = " and ".join(f"'{m[0]}'" for m in asked if m)
        raise NotUnderstood(
            f"{said}: one figure at a time, please (ask for each separately)",
            words=[m[0] for m in asked if m],
            suggestions=[],
        )
    held = re.search(
        r"\bhow many (?:different )?(?P<d>marathons|half marathons|halfs|10ks|5ks)\b"
        r"(?= (?:were|was|did|have|has|are)\b.*\b(?:held|hosted|timed|staged|organi[sz]ed)\b)",
        text,
    )
    if held and not frame.participant_ids:
        frame.subject, frame.metric = "events", "count"  # events that had such a race
        ent.take(held)
        return
    if shaped:
        pass
    elif frame.metric == "bq":
        frame.metric = "list" if vocab.LIST.search(text) and not vocab.COUNT.search(text) else "bq"
        if frame.metric == "list":
            frame.metric = "bq"
            frame.top_n = 100
    elif vocab.PR.search(text):
        frame.metric = "pr"
        _take_all(ent, vocab.PR)
    elif vocab.REPEAT.search(text):
        if ent.winner:
            raise NotUnderstood(
                "repeat winners: p88 counts people with repeat results, not repeat wins; ask "
                'for the winners of each year instead (e.g. "winners of the X by year")',
                words=["winners"],
                suggestions=[],
            )
        frame.metric = "repeat"
        frame.people = True
        for m in vocab.REPEAT.finditer(text):
            ent.take(m)
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
        _take_all(ent, vocab.MIN)
        if re.search(r"\bwho\b", text) and not vocab.COUNT.search(text):
            frame.metric, frame.top_n = "top", 1  # "who has the fastest time": the runner
    elif vocab.MAX.search(text):
        frame.metric = "max"
        _take_all(ent, vocab.MAX)
    elif frame.ranked_by is None and (
        ent.top_n is not None or ent.winner or vocab.TOP_WORDS.search(text)
    ):
        frame.metric = "top"
        frame.top_n = ent.top_n or 1
        frame.slowest = ent.slowest or "slowest" in text
        frame.measure = "gun"
        plural = re.search(
            r"\b(?:fastest|quickest|slowest) (?:\w+ )?(?:women|men|runners|finishers|athletes"
            r"|people|females|males|guys|ladies)\b",
            text,
        )
        if plural and ent.top_n is None and not ent.winner and not frame.group_by:
            raise NotUnderstood(
                f"'{plural[0]}': how many? ask for a number (e.g. \"the 10 fastest women\")",
                words=[plural[0]],
                suggestions=[],
            )
    elif vocab.COUNT.search(text):
        frame.metric = "count"
    elif frame.ranked_by is not None:
        frame.metric = "count"
    elif vocab.LIST.search(text) or frame.group_by == []:
        frame.metric = "list"
    if frame.metric == "list" and frame.group_by:
        frame.metric = "count"  # "show the age group breakdown": a count per group
    place = re.search(r"\bwhat (?:place|position)\b|\bplac(?:e|ed|ing)s?\b|\bpositions?\b", text)
    if place and frame.metric in ("list", "top"):
        frame.show_place = True
        ent.take(place)
    if frame.metric in ("list", "pb_set") and vocab.COUNT.search(text):
        frame.metric = "count" if frame.metric == "list" else "pb_set"
        frame.top_n = None if frame.metric == "pb_set" else frame.top_n
    if frame.metric == "pb_set" and not vocab.COUNT.search(text) and not frame.bq_percent:
        frame.top_n = 100  # list who set one
    compared = frame.metric not in ("improved", "top", "pr", "pb_set") and not (
        frame.both_years or frame.more_years
    )
    if len(frame.years) == 2 and compared:
        frame.metric = "count" if frame.metric == "list" else frame.metric
        if "year" not in frame.group_by:
            frame.group_by.append("year")  # a comparison: one row per year
    if frame.metric == "pr" and frame.status == "entered":
        frame.status = "finished"
    frame.sex, frame.age_min, frame.age_max = ent.sex, ent.age_min, ent.age_max
    if frame.more_than is not None or frame.more_years is not None:
        if frame.metric != "count" or frame.group_by or frame.people:
            raise NotUnderstood(
                '"how many more ... than ..." is answered as one count minus another; '
                "ask it without a grouping, an average or a share",
                words=["more", "than"],
                suggestions=[],
            )
        if frame.more_than is not None:
            frame.sex = None  # both sexes are counted, one minus the other
    both = frame.both_distances is not None or frame.both_years
    if both and (frame.metric not in ("count", "list") or frame.group_by):
        raise NotUnderstood(
            '"both a ... and a ..." is answered as the people who finished both: count or '
            "list them, without a grouping or another figure",
            words=["both"],
            suggestions=[],
        )


def _take_all(ent: Entities, pattern: re.Pattern[str]) -> None:
    for m in pattern.finditer(ent.text):
        ent.take(m)


def _conditions(ent: Entities, frame: Frame, pins: Pins) -> None:
    text = ent.text
    computed = frame.measure in ("gap", "age", "pace_km") or (
        frame.measure == "gun" and frame.metric == "min"
    )
    if computed:
        pass
    elif vocab.GUN.search(text):
        frame.measure = "gun"
    elif vocab.CHIP.search(text) or frame.metric != "top":
        frame.measure = "chip"
    timed = ("avg", "median", "min", "max", "percentile")
    if not computed and re.search(r"\bpaces?\b", text) and frame.metric in timed:
        frame.measure = "pace"
    if frame.metric == "top" and frame.group_by:
        frame.measure = "gun" if frame.measure != "chip" or not vocab.CHIP.search(text) else "chip"
    if pins.time in ("gun", "chip") and not computed:
        frame.measure = pins.time  # type: ignore[assignment]
    for bound in ent.bounds:
        gun = frame.measure == "gun" and not computed
        measure = "pace" if bound.kind == "pace" else ("gun" if gun else "chip")
        before = text[max(0, bound.span[0] - 3) : bound.span[0]]
        if frame.metric == "bq" and before == "by " and bound.op in (">", ">="):
            frame.bq_margin = (bound.op, bound.seconds)  # "qualified by more than 5 minutes"
            continue
        if measure != "pace" and bound.seconds < 600:
            raise NotUnderstood(
                f"'{bound.text}' would be a finish time under 10 minutes; for a pace say "
                '"per mile" (e.g. "under 8:00 per mile")',
                words=[bound.text],
                suggestions=[],
            )
        jargon = bool(re.match(r"(?:sub|broke|break|breaking)\b", bound.text))
        frame.conditions.append(Condition(measure, bound.op, bound.seconds, jargon))  # type: ignore[arg-type]


def _years(ent: Entities, frame: Frame, catalog: Catalog, series: str | None, pins: Pins) -> None:
    frame.year_from, frame.year_to = ent.year_from, ent.year_to
    if pins.year and pins.year != "all":
        if not pins.year.isdigit():
            raise NotUnderstood(
                f"--year {pins.year!r} is not a year", words=[pins.year], suggestions=[]
            )
        frame.year_from = frame.year_to = int(pins.year)
    if frame.every_edition:
        pool = catalog.series.get(series, ()) if series else catalog.events
        held_in = {e.event_date.year for e in pool}
        frame.min_results = len(held_in)
        frame.notes.append(f"all {len(held_in)} editions held")
    if series is None or frame.year_from is not None or frame.year_to is not None:
        return
    held = sorted({e.event_date.year for e in catalog.series.get(series, ())})
    if pins.year == "all" or len(held) <= 1 or frame.metric in ("pr", "repeat", "pb_set"):
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
        if "event" in frame.group_by and re.search(r"\b(?:by|per|each|every) race\b", ent.text):
            frame.group_by[frame.group_by.index("event")] = "distance"  # the event's races
            frame.all_distances = True
        if not explicit and not frame.all_distances:
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
        by_time = None if explicit else _distance_by_time(frame, available)
        if by_time is not None:
            explicit = [by_time]
        needs_one = (frame.metric in TIME_METRICS or bool(frame.conditions)) and not (
            frame.all_distances
        )
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
    elif not explicit:
        by_time = _distance_by_time(frame, None)
        explicit = [by_time] if by_time is not None else []
    if len(set(explicit)) > 1 and "distance" not in frame.group_by:
        frame.group_by.append("distance")
    elif explicit:
        frame.distance = explicit[0]
    if frame.metric == "bq":
        frame.distance = MARATHON


def _distance_by_time(frame: Frame, available: frozenset[int] | None) -> int | None:
    """The distance a time condition implies when the question names none ("sub 3"),
    noted in the answer; None when the time implies none (or one the event lacks)."""
    timed = [c for c in frame.conditions if c.measure != "pace"]
    metres = implied_distance(timed[0].seconds, jargon=timed[0].jargon) if timed else None
    if metres is None or (available is not None and metres not in available):
        return None
    said = elapsed_text(timed[0].seconds, digits=0)
    frame.notes.append(f"the {DISTANCE_LABEL[metres]}, as a time of {said} implies")
    return metres


def _leftovers(ent: Entities, catalog: Catalog, series: str | None, partner_id: int | None) -> None:
    name_words = series.lower().split() if series else []

    def in_name(word: str) -> bool:
        return any(w == word or (len(word) >= 3 and w.startswith(word)) for w in name_words)

    unknown = [
        w
        for w, s, e in words(ent.text)
        if not ent.used(s, e)
        and w not in vocab.VOCAB
        and not (re.fullmatch(r"[.:+-]+", w))
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
    if frame.years:
        events = [e for e in events if e.event_date.year in frame.years]
    if frame.event_state:
        events = [e for e in events if e.state == frame.event_state]
    if frame.recent_days:
        events = [e for e in events if (today - e.event_date).days <= frame.recent_days]
    return events

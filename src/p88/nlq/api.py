"""``ask`` and ``explain``: the library entry points (the CLI and the HTTP API call these).

    question -> understand (entities, catalog) -> Frame -> compile (sqlglot tree)
             -> guard (allow-list, tenant rewrite, LIMIT) -> run (READ ONLY, timeout, role)
             -> Answer (rows + one line saying how it was understood)

With ``llm_url`` set, a question the compiler does not understand is offered to a local
model; whatever it returns passes the same guard and the answer says it was model-assisted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from p88.errors import ConfigError
from p88.nlq.answer import Answer, describe
from p88.nlq.catalog import Catalog
from p88.nlq.compile import compile_frame, render
from p88.nlq.execute import DEFAULT_TIMEOUT_S, run
from p88.nlq.frame import Frame, NotUnderstood, NotYours, Unanswerable
from p88.nlq.guard import Guarded, guard
from p88.nlq.schema import POLICY
from p88.nlq.understand import Pins, events_for, understand
from p88.units import MARATHON_M, whole_metres

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Explanation:
    """What ``explain`` returns: the frame, the SQL that would run, and the reading."""

    question: str
    frame: Frame
    sql: str
    understood: str
    confidence: float

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "frame": self.frame.as_dict(),
            "sql": self.sql,
            "understood": self.understood,
            "confidence": self.confidence,
        }


def resolve_partner(catalog: Catalog, partner: str | int | None) -> int | None:
    if partner is None or partner == "":
        return None
    pid = catalog.resolve_partner(str(partner))
    if pid is None:
        raise ConfigError(f"no timing partner {partner!r}", hint="use its code, name or id")
    return pid


def compile_question(
    question: str,
    conn: psycopg.Connection[Any] | None,
    catalog: Catalog,
    *,
    partner_id: int | None = None,
    pins: Pins | None = None,
    today: date | None = None,
) -> tuple[Frame, Guarded]:
    """Understand, compile and guard one question (no execution)."""
    today = today or date.today()
    frame = understand(question, catalog, conn=conn, partner_id=partner_id, today=today, pins=pins)
    events = events_for(frame, catalog, today)
    if events is not None and not events and frame.series:
        held = sorted({e.event_date.year for e in catalog.series.get(frame.series, ())})
        raise NotUnderstood(
            f"{frame.series} was not held then (held {held[0]}-{held[-1]})"
            if held
            else f"{frame.series} has no events",
            words=[frame.series],
            suggestions=[],
        )
    if events is None and frame.distance is not None and frame.subject == "results":
        events = list(catalog.events)
    if frame.metric == "bq":
        check_boston_years(frame, catalog, events)
    race_ids = None if events is None else catalog.race_ids(events, frame.distance)
    if frame.subject == "events" and frame.distance is not None:
        pool = catalog.events if events is None else events
        events = [
            e for e in pool if any(m == frame.distance for _, m in catalog.races.get(e.id, ()))
        ]
    if frame.subject == "events" and events is not None:
        frame.event_ids = tuple(e.id for e in events) or (-1,)
    tree = compile_frame(frame, race_ids, limit=POLICY.max_limit if frame.top_n else 100)
    return frame, guard(render(tree), POLICY, partner_id=partner_id)


def boston_year(day: date) -> int:
    """The Boston Marathon a race on ``day`` qualifies for: the B.A.A.'s window for Boston
    Y opens in September of Y-2 (a race on 2024-10-13 qualifies for Boston 2026)."""
    return day.year + (2 if day.month >= 9 else 1)


def check_boston_years(frame: Frame, catalog: Catalog, events: list[Any] | None) -> None:
    """Refuse when no race asked about has a loaded standard; say which are left out."""
    pool = catalog.events if events is None else events
    marathon = whole_metres(MARATHON_M)
    marathons = [e for e in pool if any(m == marathon for _, m in catalog.races.get(e.id, ()))]
    wanted = sorted({boston_year(e.event_date) for e in marathons})
    have = [y for y in wanted if y in catalog.bq_years]
    loaded = ", ".join(str(y) for y in catalog.bq_years) or "none"
    if not have:
        asked = ", ".join(str(y) for y in wanted) or "none"
        raise Unanswerable(
            f"no Boston qualifying standard for Boston {asked} is loaded (p88 holds the "
            f"standards for Boston {loaded}); races qualify for the Boston whose window "
            "(from September two years before) holds them",
            words=["boston"],
            suggestions=[],
        )
    missing = [y for y in wanted if y not in have]
    if missing:
        frame.notes.append(
            f"races that qualify for Boston {', '.join(map(str, missing))} are not counted: "
            f"p88 holds the standards for Boston {loaded} only"
        )


def ask(
    question: str,
    conn: psycopg.Connection[Any],
    *,
    partner: str | int | None = None,
    event: str | None = None,
    year: str | None = None,
    time_basis: str | None = None,
    today: date | None = None,
    catalog: Catalog | None = None,
    llm_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Answer:
    """Answer ``question`` from the results (and live reads) in ``conn``.

    Raises ``NotUnderstood``, ``Ambiguous`` or ``NotYours`` (all ``P88Error``) instead of
    guessing, and ``RefusedError`` if any SQL fails the guard. ``conn`` should be an
    autocommit connection (or one with no transaction open): each query runs in its own
    READ ONLY transaction. Pass a ``Catalog`` loaded once to skip reloading it per question.

    >>> ask("how many finished the Hartford Marathon under 3 hours in 2023", conn)  # doctest: +SKIP
    """
    started = time.perf_counter()
    catalog = catalog or Catalog.load(conn)
    partner_id = resolve_partner(catalog, partner)
    pins = Pins(event=event, year=year, time=time_basis)
    try:
        frame, guarded = compile_question(
            question, conn, catalog, partner_id=partner_id, pins=pins, today=today
        )
    except (NotUnderstood, NotYours) as exc:
        if not llm_url or (isinstance(exc, NotYours) and not exc.model_may_try):
            raise
        if isinstance(exc, Unanswerable):
            raise
        from p88.nlq.llm import ask_model

        return ask_model(question, conn, llm_url, catalog, partner_id=partner_id, today=today)
    rows = run(conn, guarded, timeout_s=timeout_s)
    return Answer(
        question=question,
        understood=describe(frame, rows.rows),
        frame=frame,
        sql=guarded.sql,
        columns=rows.columns,
        rows=rows.rows,
        confidence=frame.confidence,
        role=rows.role,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def explain(
    question: str,
    conn: psycopg.Connection[Any],
    *,
    partner: str | int | None = None,
    event: str | None = None,
    year: str | None = None,
    time_basis: str | None = None,
    today: date | None = None,
    catalog: Catalog | None = None,
) -> Explanation:
    """How ``question`` would be answered (frame, SQL, confidence), without running it."""
    catalog = catalog or Catalog.load(conn)
    partner_id = resolve_partner(catalog, partner)
    frame, guarded = compile_question(
        question,
        conn,
        catalog,
        partner_id=partner_id,
        pins=Pins(event=event, year=year, time=time_basis),
        today=today,
    )
    return Explanation(question, frame, guarded.sql, describe(frame), frame.confidence)

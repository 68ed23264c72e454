"""``p88 results follow`` and ``p88 results course``: live results and the course's status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.table import Table

from p88.cli._app import err, out, print_json, state, stop_on_signals

if TYPE_CHECKING:
    import psycopg

    from p88.store import CourseStatus, StepSummary


def follow_cmd(
    ctx: typer.Context,
    race: int = typer.Option(..., "--race", help="Race id (its points must be stored)."),
    session: Optional[str] = typer.Option(  # noqa: UP045
        None, "--session", help="Timing session id or name (default: the race's own)."
    ),
    wait: bool = typer.Option(
        False, "--wait", help="If another follower has the race, wait for it instead of exiting."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per step, for scripts."),
) -> None:
    """Score a race continuously: each read the listener commits becomes a placed result.

    Wakes on the listener's NOTIFY, scores only the runners whose reads arrived, re-places
    only what changed, and announces the changed results (NOTIFY p88_results; p88 serve
    streams them as 'result' events). Uses the race's stored points and settings, equals a
    full rescore at every step, survives a database outage and resumes after a restart
    from the position stored with the race. One follower per race: a second one refuses
    (exit 4) unless --wait. Stop with Ctrl-C.

    Example: p88 results follow --race 1
    """
    import asyncio
    import signal

    from p88.store import connect, follow_results

    url = state(ctx).database_url()
    session_id = None
    if session:
        with connect(url, autocommit=True) as conn:
            session_id = session_when_ready(conn, session)

    def report(s: StepSummary) -> None:
        _step_line(s, as_json)

    def notice(text: str) -> None:
        err.print(text, markup=False, soft_wrap=True)

    async def main() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop, signal.SIGINT)
        await follow_results(
            url, race, session_id=session_id, wait=wait, report=report, notice=notice, stop=stop
        )

    try:  # Ctrl-C ends following between steps: every step so far is committed
        asyncio.run(main())
    except KeyboardInterrupt:
        pass  # a second Ctrl-C, or one before the loop started; a restart resumes


def session_when_ready(conn: psycopg.Connection[Any], name: str) -> int:
    """The session's id; a live scorer started before the listener made the session waits
    for it (saying so once), as the race-day recipe starts them."""
    import time

    from p88.errors import P88Error
    from p88.store import resolve_session

    told = False
    while True:
        try:
            return resolve_session(conn, name)
        except P88Error:
            if not told:
                err.print(f"waiting: no timing session {name!r} yet", markup=False)
                told = True
            time.sleep(1.0)


def _step_line(s: StepSummary, as_json: bool) -> None:
    if as_json:  # one line per step, flushed: a script reads them as they come
        import json
        import sys

        from p88.units import json_value

        line = {
            "race_id": s.race_id, "session_id": s.session_id, "full": s.full,
            "new_reads": s.new_reads, "retimed": s.retimed, "changed": len(s.changed),
            "places_changed": s.places_changed, "upto": s.upto,
            "clock": s.clock, "seconds": round(s.seconds, 4),
        }  # fmt: skip
        sys.stdout.write(json.dumps(line, default=json_value) + "\n")
        sys.stdout.flush()
        return
    what = "full rescore" if s.full else f"{s.new_reads} new read(s)"
    out.print(
        f"race {s.race_id}: {what}, {s.retimed} runner(s) timed, {len(s.changed)} result(s) "
        f"changed, {s.places_changed} place(s) moved, up to read {s.upto}, "
        f"{s.seconds * 1000:.0f} ms",
        markup=False,
    )


def course_cmd(
    ctx: typer.Context,
    race: int = typer.Option(..., "--race", help="Race id."),
    at: Optional[str] = typer.Option(  # noqa: UP045
        None, "--at", help="Judge at this time of day HH:MM[:SS] (default: the latest read)."
    ),
    bib: Optional[str] = typer.Option(None, "--bib", help="Also show this runner."),  # noqa: UP045
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="Overdue runners shown."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show the course: who has started, who is out there and where they were last seen,
    projected arrival at the next point, runners overdue there, and each point's cut-off.

    Judged at the race clock (the session's latest read) unless --at is given.

    Example: p88 results course --race 1 --bib 1234
    """
    from p88.store import connect, course_document, course_status, race_day, run
    from p88.units import parse_clock

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        when = None
        if at is not None:
            day, start = race_day(conn, race)
            when = datetime.combine(day, parse_clock(at, where="--at"))
            if start is not None and when < start - timedelta(hours=12):
                when += timedelta(days=1)  # a race past midnight
        status = run(conn, course_status(race, as_of=when, bib=bib, limit=limit))
    if as_json:
        print_json(course_document(status))
        return
    _course_table(status)


def _clock(at: datetime | None) -> str:
    from p88.units import clock_text

    return "" if at is None else clock_text(at)


def _span(d: timedelta | None) -> str:
    from p88.units import elapsed_text

    return "" if d is None else elapsed_text(d, digits=0)


def _course_table(s: CourseStatus) -> None:
    c = s.counts
    out.print(
        f"Race {s.race_id} at {_clock(s.as_of) or 'no reads yet'} ({s.as_of_source}): "
        f"{c['entered']} entered, {c['started']} started, {c['on_course']} on the course, "
        f"{c['finished']} finished, {c['review']} held, {c['DNF']} DNF, {c['DQ']} DQ.",
        markup=False,
    )
    points = Table(title="points")
    for col in ("point", "role", "distance", "passed", "last seen here", "overdue", "cut-off"):
        points.add_column(col)
    for p in s.points:
        cut = f"{_span(p.cutoff)} ({_clock(p.closes_at)})" if p.cutoff else ""
        points.add_row(
            p.name, p.kind, "" if p.distance_m is None else f"{p.distance_m} m",
            str(p.passed), str(p.last_seen_here), str(p.overdue_next), cut,
        )  # fmt: skip
    out.print(points)
    rows = s.runners + s.overdue
    if not rows:
        out.print("Nobody is overdue.")
        return
    table = Table(title="runners (overdue: most first)")
    for col in ("bib", "name", "state", "last seen", "at", "next", "expected", "overdue by"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.bib, r.name, r.state, r.last_point or "", _clock(r.last_seen), r.next_point or "",
            _clock(r.projected) + (" past cut-off" if r.past_cutoff_projected else ""),
            _span(r.overdue_by),
        )  # fmt: skip
    out.print(table)

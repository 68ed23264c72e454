"""``p88 results``: score races from reads, import participants and results, show standings."""

from __future__ import annotations

import signal
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.table import Table

from p88.cli._app import err, is_terminal, out, print_json, state
from p88.cli.results_live import course_cmd, follow_cmd, session_when_ready
from p88.cli.results_official import check_cmd, correct_cmd, final_cmd, history_cmd
from p88.cli.results_setup import new_race, points_cmd, settings_cmd
from p88.errors import InputError

if TYPE_CHECKING:
    import psycopg

    from p88.store import OfficialResult, ScoreSummary

app = typer.Typer(
    help="Results: score a race from a session's reads, import CSV files, show standings.\n\n"
    "Example: p88 results score --session 1 --race 1",
    no_args_is_help=True,
)

# --- publishing: divisions, awards, age grades, exports (p88.cli.results_publish) ---------
from p88.cli import results_publish  # noqa: E402

results_publish.register(app)


def _working(what: str, as_json: bool) -> AbstractContextManager[object]:
    """A spinner on a terminal while one long transaction runs (it reports no steps)."""
    return err.status(f"{what}…") if is_terminal() and not as_json else nullcontext()


def _standing_json(r: OfficialResult) -> dict[str, object]:
    """A standings row for ``--json``; times as seconds + ISO 8601 (``p88.units``)."""
    return {
        "place": r.place, "bib": r.bib, "name": r.name, "sex": r.sex, "age_group": r.age_group,
        "sex_place": r.sex_place, "age_group_place": r.age_group_place,
        "masters_place": r.masters_place,
        "chip_time": _duration(r.chip_time), "gun_time": _duration(r.gun_time),
        "status": r.status, "note": r.note,
    }  # fmt: skip


def _duration(d: timedelta | None) -> dict[str, float | str] | None:
    """A time as ``--json`` carries it: seconds and ISO 8601 (see p88.units)."""
    from p88.units import duration_json

    return None if d is None else duration_json(d)


def _clock(d: timedelta | None) -> str:
    from p88.units import elapsed_text

    return "" if d is None else elapsed_text(d)


def _seconds(value: Optional[float]) -> timedelta | None:  # noqa: UP045
    return None if value is None else timedelta(seconds=value)


@app.command()
def score(
    ctx: typer.Context,
    race: int = typer.Option(..., "--race", help="Race id (p88 results new-race prints it)."),
    session: Optional[str] = typer.Option(  # noqa: UP045
        None, "--session", help="Timing session id or name (default: the race's own)."
    ),
    start: Optional[str] = typer.Option(None, "--start", help="Start-mat location."),  # noqa: UP045
    finish: Optional[str] = typer.Option(None, "--finish", help="Finish location."),  # noqa: UP045
    split: list[str] = typer.Option(  # noqa: B008
        [], "--split", help="Split location (repeatable, in order)."
    ),
    dead_time: Optional[float] = typer.Option(  # noqa: UP045
        None, "--dead-time", min=0, help="Seconds of reads that make one crossing (default 10)."
    ),
    min_elapsed: Optional[float] = typer.Option(  # noqa: UP045
        None, "--min-elapsed", min=0, help="Seconds after the start before a finish counts."
    ),
    tag_map: Optional[Path] = typer.Option(  # noqa: UP045, B008
        None, "--tag-map", help="CSV of bib and chip/tag, when chips are not the bib numbers."
    ),
    age_groups: Optional[str] = typer.Option(  # noqa: UP045
        None, "--age-groups", help="WIDTH[:FIRST:LAST] years; stored for the race (as settings)."
    ),
    final: bool = typer.Option(False, "--final", hidden=True, help="Moved: p88 results final."),
    full: bool = typer.Option(False, "--full", help="Rescore every read, not only new ones."),
    every: float = typer.Option(
        0, "--every", min=0, help="Score again every N seconds until Ctrl-C (race day)."
    ),
    follow: bool = typer.Option(
        False, "--follow", help="Follow the race live: the same as p88 results follow."
    ),
    runs: int = typer.Option(0, "--runs", min=0, help="With --every: stop after N runs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Score a race from a timing session's reads: crossings, times, places.

    Run it during the race as often as you like: each run takes only the reads that
    arrived since the last one, with the race's stored settings. Without --start/--finish
    the race's points (p88 results points) are used; with none set, points are proposed
    from the session's locations for each run (never saved) when they are unambiguous.
    Flagged results are held (status review) and not placed. p88 results final closes
    the course (DNF/DNS) and makes the results official, after p88 results check.

    Example: p88 results score --race 1 --session 1 --follow
    """
    from p88.store import (
        AgeGroups,
        PointRule,
        ScoreOptions,
        apply_tag_map,
        connect,
        follow_race,
        read_tag_map,
        score_race,
    )

    if final:
        raise InputError(
            f"--final moved: p88 results final --race {race} closes the course (DNF/DNS) and "
            "makes the results official, after running the checks (p88 results check)",
            where="--final",
        )
    points = None
    if finish:
        points = [PointRule(finish, "finish")]
        if start:
            points.append(PointRule(start, "start"))
        points += [PointRule(loc, "split", seq=i + 1) for i, loc in enumerate(split)]
    elif start or split:
        raise InputError(
            "--start and --split need --finish too", what="timing points", where="--finish"
        )
    opts = ScoreOptions(
        points=points,
        dead_time=_seconds(dead_time),
        min_elapsed=_seconds(min_elapsed),
        age_groups=AgeGroups.parse(age_groups) if age_groups else None,
        full=full,
    )
    tags = read_tag_map(tag_map) if tag_map else {}
    live = bool(every or follow)
    url = state(ctx).database_url()
    with connect(url, autocommit=True) as conn:
        session_id = _session(conn, session, live) if session else None
        if tags and apply_tag_map(conn, race, tags):
            opts = replace(opts, full=True)  # other tags now belong to the runners
        if not live:
            with _working(f"scoring race {race}", as_json):
                _report(score_race(conn, race, session_id, opts), as_json)
            return
        if follow:
            if opts != ScoreOptions():  # set what was given, then follow with it stored
                _report(score_race(conn, race, session_id, opts), as_json)
            follow_cmd(ctx, race=race, session=session, wait=False, as_json=as_json)
            return
        stop = threading.Event()
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set()) if main else None
        try:  # Ctrl-C ends live scoring between runs: every run so far is committed
            follow_race(
                conn, race, session_id, opts, every=every, runs=runs,
                report=lambda s: _report(s, as_json), stop=stop,
                waiting=lambda text: err.print(f"waiting: {text}", markup=False),
            )  # fmt: skip
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)


def _session(conn: psycopg.Connection[Any], name: str, live: bool) -> int:
    """The session's id; a live scorer started before the listener made it waits for it."""
    from p88.store import resolve_session

    return session_when_ready(conn, name) if live else resolve_session(conn, name)


def _report(s: ScoreSummary, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "race_id": s.race_id,
                "session_id": s.session_id,
                "full": s.full,
                "reads_scored": s.reads_scored,
                "new_reads": s.new_reads,
                "verdicts": s.verdicts,
                "results_changed": s.results_changed,
                "places_changed": s.places_changed,
                "finished": s.finished,
                "held": s.held,
                "warnings": s.warnings,
                "points_source": s.points_source,
                "gun": s.gun.isoformat() if s.gun else None,
                "gun_source": s.gun_source,
                "points": [f"{p.location}:{p.kind}" for p in s.points],
                "seconds": round(s.seconds, 3),
            }
        )
        return
    kind = "full" if s.full else "incremental"
    out.print(
        f"Race {s.race_id} from session {s.session_id} ({kind}): {s.new_reads} new read(s), "
        f"{s.results_changed} result(s) changed, {s.finished} finished"
        + (f", {s.held} held for review" if s.held else "")
        + f", in {s.seconds:.2f} s."
    )
    if s.points_source == "proposed":
        out.print(
            "Points proposed from the session for this run (not saved): "
            + ", ".join(f"{p.location} ({p.kind})" for p in s.points)
            + ". Set them with p88 results points."
        )
    for warning in s.warnings:
        err.print(f"warning: {warning}", markup=False)
    if s.full:
        out.print(f"Gun: {s.gun or 'none'} ({s.gun_source}).")
    if s.verdicts:
        out.print("Reads: " + ", ".join(f"{v} {n}" for v, n in sorted(s.verdicts.items())))


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="participants.csv or results.csv"),  # noqa: B008
    race: Optional[int] = typer.Option(None, "--race", help="Race id for every row."),  # noqa: UP045
    event: Optional[int] = typer.Option(  # noqa: UP045
        None, "--event", help="Event id; the file's race column names each row's race."
    ),
    map_: Optional[str] = typer.Option(  # noqa: UP045
        None, "--map", help="Other column names: 'Column=field, ...' (e.g. 'Runner No=bib')."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Import a participants or results CSV: every row, or none.

    Common RunSignUp and ChronoTrack column names are understood (Bib, First Name,
    Gender, Age, Chip Time, Clock Time, Place, ...). A results file is one with a time,
    status or place column. A bad row is reported with its line and nothing is imported.

    Example: p88 results import results.csv --race 3 --map 'Runner No=bib'
    """
    from p88.store import connect, import_results_file, parse_map

    mapping = parse_map(map_)
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        s = import_results_file(conn, file, race_id=race, event_id=event, mapping=mapping)
    if as_json:
        print_json(s.__dict__)
    else:
        out.print(
            f"Imported {s.rows} {s.kind} row(s) into race(s) {', '.join(map(str, s.races))}: "
            f"{s.participants_created} new participant(s), {s.participants_matched} known."
        )


@app.command()
def standings(
    ctx: typer.Context,
    race: int = typer.Option(..., "--race", help="Race id."),
    limit: int = typer.Option(20, "--limit", min=1, max=100_000, help="How many lines."),
    sex: Optional[str] = typer.Option(None, "--sex", help="M, F or X only."),  # noqa: UP045
    splits: bool = typer.Option(False, "--splits", help="Time and place at every split."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show a race's standings: place, bib, name, division places, times and pace.

    Results held for review (status review) are listed unplaced, with the note saying why.
    With --splits, each split's elapsed time and the runner's place there.

    Example: p88 results standings --race 1 --limit 10 --splits
    """
    from p88.store import connect, load_sheet, official_standings, run
    from p88.units import pace_text

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        rows = run(
            conn,
            official_standings(race, limit=limit, sex=sex.upper() if sex else None, everyone=True),
        )
        sheet = load_sheet(conn, race, bibs=[r.bib for r in rows])
    extra = {r.bib: r for r in sheet.rows}
    if as_json:
        from p88.exports.shapes import duration, row_json

        print_json([
            {**_standing_json(r), "pace_per_km": duration(extra[r.bib].pace_km),
             "pace_per_mile": duration(extra[r.bib].pace_mile),
             "splits": row_json(sheet, extra[r.bib])["splits"]}
            for r in rows
        ])  # fmt: skip
        return
    table = Table(title=f"race {race}")
    for c in (
        "place",
        "bib",
        "name",
        "sex",
        "group",
        "sex pl",
        "group pl",
        "chip",
        "gun",
        "pace /mi",
        "pace /km",
        "status",
        "note",
    ):
        table.add_column(c)
    points = [p.name for p in sheet.splits] if splits else []
    for name in points:
        table.add_column(f"{name} (place)")
    for r in rows:
        more = extra[r.bib]
        at = [more.splits.get(name) for name in points]
        table.add_row(
            str(r.place or ""), r.bib, r.name, r.sex or "", r.age_group or "",
            str(r.sex_place or ""), str(r.age_group_place or ""), _clock(r.chip_time),
            _clock(r.gun_time), pace_text(more.pace_mile) if more.pace_mile else "",
            pace_text(more.pace_km, "km") if more.pace_km else "", r.status or "", r.note or "",
            *[f"{_clock(s.elapsed)} ({s.place or '-'})" if s else "" for s in at],
        )  # fmt: skip
    out.print(table)
    for r in rows:
        if r.status == "review":
            out.print(f"Held for review: bib {r.bib} ({r.name}): {r.note}", markup=False)


app.command("new-race")(new_race)
app.command("points")(points_cmd)
app.command("settings")(settings_cmd)
app.command("follow")(follow_cmd)
app.command("course")(course_cmd)
app.command("correct")(correct_cmd)
app.command("history")(history_cmd)
app.command("check")(check_cmd)
app.command("final")(final_cmd)

"""``p88 import``: load capture files straight into the store, without a network."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from p88.cli._app import is_terminal, out, print_json, state
from p88.errors import InputError

if TYPE_CHECKING:
    import psycopg

    from p88.protocol.times import CaptureDate


def read_capture(path: Path) -> list[bytes]:
    """The file's lines (terminators stripped, blank lines skipped), or one clear error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", where=str(path)) from None
    return [line.rstrip(b"\r") for line in data.split(b"\n") if line.strip()]


def check_partner(conn: Any, partner: str, session: str) -> None:
    """Refuse an unknown partner, or a session another partner already owns."""
    from p88.store import find_partner, session_owner

    wanted = find_partner(conn, partner)
    if wanted is None:
        raise InputError(
            f"--partner {partner!r}: no timing partner with that code or id",
            what="partner",
            where="--partner",
        )
    owner = session_owner(conn, session)
    if owner is not None and owner != wanted:
        raise InputError(
            f"session {session!r} belongs to another timing partner",
            what="session",
            where="--session",
        )


def import_file(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="CT01 capture files (one or more)."),  # noqa: B008
    session: str = typer.Option(..., "--session", help="Timing session to load into."),
    day: list[str] = typer.Option(  # noqa: B008
        [],
        "--date",
        help="Date of normal-format times: YYYY-MM-DD for every file, or NAME=YYYY-MM-DD for "
        "one (repeatable). Else the date in the file name, else the race's (--race).",
    ),
    race: Optional[int] = typer.Option(  # noqa: UP045
        None, "--race", help="Race id: its date dates a capture without one."
    ),
    tz: Optional[str] = typer.Option(  # noqa: UP045
        None, "--timezone", help="IANA zone of the timing clock (default: configured/local)."
    ),
    event: Optional[str] = typer.Option(None, "--event", help="Event name for a new session."),  # noqa: UP045
    partner: Optional[str] = typer.Option(  # noqa: UP045
        None, "--partner", help="Timing partner (code or id) that owns the session."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Load captures into a timing session through the listener's exactly-once writer.

    For post-race loads: every read is stored once, so importing a file twice, or a file
    the listener already received live, adds nothing. Times without a date go on --date,
    else the date in the file name, else the race's date (--race); with none of them p88
    refuses before loading anything. Times roll over midnight with the clock. Lines that
    do not parse are kept in rejected_lines with their line number; gun-time lines become
    gun events.

    Example: p88 import race/START.ct33 race/FINISH.ct33 --session rehearsal --date 2026-06-07
    """
    from p88.protocol.dates import capture_date, date_options
    from p88.store import connect, race_day

    every, per_file = date_options(day, files)
    captures = [(path, read_capture(path)) for path in files]
    settings = state(ctx).settings()
    with connect(state(ctx).database_url()) as conn:
        if partner is not None:
            check_partner(conn, partner, session)
        on_race = race_day(conn, race) if race is not None else None
        conn.commit()  # the import commits batch by batch
        dated = [
            capture_date(path, lines, given=per_file.get(path.name, every), race=on_race)
            for path, lines in captures
        ]
        reports = [
            _load(
                conn,
                session,
                event,
                tz or settings.get("timezone"),
                partner,
                path,
                lines,
                when,
                as_json,
            )  # fmt: skip
            for (path, lines), when in zip(captures, dated, strict=True)
        ]
    if as_json:
        keys = ("lines", "inserted", "duplicates", "gun_events", "rejects")
        totals = {k: sum(int(r[k]) for r in reports) for k in keys}
        print_json(
            {"session": session, "session_id": reports[0]["session_id"], **totals,
             "date": reports[0]["date"], "date_from": reports[0]["date_from"], "files": reports}
        )  # fmt: skip
        return
    for r in reports:
        out.print(
            f"{r['file']} → session {session!r} (id {r['session_id']}): {r['lines']:,} lines, "
            f"{r['inserted']:,} reads stored, {r['duplicates']:,} already there, "
            f"{r['gun_events']} gun events, {r['rejects']} rejected; "
            f"dated {r['date'] or 'by its ISO times'}"
            + (f" ({r['date_from']})" if r["date"] else "")
        )


def _load(
    conn: psycopg.Connection[Any],
    session: str,
    event: str | None,
    tz: str | None,
    partner: str | None,
    path: Path,
    lines: list[bytes],
    dated: CaptureDate | None,
    as_json: bool,
) -> dict[str, Any]:
    """Import one capture (with a progress bar on a terminal); what it did, for printing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from p88.fileimport import import_lines
    from p88.store import SessionInfo

    info = SessionInfo(
        session,
        event_name=event,
        session_date=dated.day if dated else None,
        timezone=tz,
        partner=partner,
    )
    anchor = dated.anchor if dated else None
    if is_terminal() and not as_json:
        with Progress(
            f"importing {path.name}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=out,
        ) as progress:  # fmt: skip
            task = progress.add_task("import", total=len(lines))
            result = import_lines(
                conn, info, lines, source=path.name, anchor=anchor,
                progress=lambda n: progress.update(task, completed=n),
            )  # fmt: skip
    else:
        result = import_lines(conn, info, lines, source=path.name, anchor=anchor)
    return {
        "file": path.name, "session_id": result.session_id, "lines": result.lines,
        "inserted": result.inserted, "duplicates": result.duplicates,
        "gun_events": result.gun_events, "rejects": result.rejects,
        "date": dated.day.isoformat() if dated else None,
        "date_from": dated.source if dated else "ISO times",
    }  # fmt: skip

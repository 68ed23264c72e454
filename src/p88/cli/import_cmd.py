"""``p88 import``: load a capture file straight into the store, without a network."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from p88.cli._app import is_terminal, out, print_json, state
from p88.errors import InputError


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
    file: Path = typer.Argument(..., help="A CT01 capture file."),  # noqa: B008
    session: str = typer.Option(..., "--session", help="Timing session to load into."),
    day: Optional[str] = typer.Option(  # noqa: UP045
        None, "--date", help="Date of normal-format times (else the file name's, or the race's)."
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
    """Load a capture into a timing session through the listener's exactly-once writer.

    For post-race loads: every read is stored once, so importing a file twice, or a file
    the listener already received live, adds nothing. Times without a date go on --date,
    else the date in the file name, else the race's date (--race); with none of them p88
    refuses. Times roll over midnight with the clock. Lines that do not parse are kept
    in rejected_lines with their line number; gun-time lines become gun events.

    Example: p88 import race/FINISH.ct33 --session rehearsal --date 2026-06-07 --partner acme
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from p88.protocol.dates import capture_date
    from p88.protocol.times import parse_date_option
    from p88.store import SessionInfo, connect, import_lines, race_day

    given = parse_date_option(day) if day else None
    lines = read_capture(file)
    settings = state(ctx).settings()
    url = state(ctx).database_url()
    with connect(url) as conn:
        if partner is not None:
            check_partner(conn, partner, session)
        on_race = race_day(conn, race) if race is not None else None
        conn.commit()  # the import commits batch by batch
        dated = capture_date(file, lines, given=given, race=on_race)
        info = SessionInfo(
            session,
            event_name=event,
            session_date=dated.day if dated else None,
            timezone=tz or settings.get("timezone"),
            partner=partner,
        )
        anchor = dated.anchor if dated else None
        if is_terminal() and not as_json:
            with Progress(
                f"importing {file.name}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=out,
            ) as progress:  # fmt: skip
                task = progress.add_task("import", total=len(lines))
                result = import_lines(
                    conn, info, lines, source=file.name, anchor=anchor,
                    progress=lambda n: progress.update(task, completed=n),
                )  # fmt: skip
        else:
            result = import_lines(conn, info, lines, source=file.name, anchor=anchor)
    if as_json:
        print_json(
            {"session": session, "session_id": result.session_id, "lines": result.lines,
             "inserted": result.inserted, "duplicates": result.duplicates,
             "gun_events": result.gun_events, "rejects": result.rejects,
             "date": dated.day.isoformat() if dated else None,
             "date_from": dated.source if dated else "ISO times"}
        )  # fmt: skip
        return
    out.print(
        f"{file.name} → session {session!r} (id {result.session_id}): {result.lines:,} lines, "
        f"{result.inserted:,} reads stored, {result.duplicates:,} already there, "
        f"{result.gun_events} gun events, {result.rejects} rejected"
        + (f"; dated {dated.day} ({dated.source})" if dated else "")
    )

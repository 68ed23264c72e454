"""``p88 import``: load a capture file straight into the store, without a network."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from p88.cli._app import is_terminal, out, print_json, state
from p88.errors import P88Error


def read_capture(path: Path) -> list[bytes]:
    """The file's lines (terminators stripped, blank lines skipped), or one clear error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise P88Error(f"cannot read {path}: {exc.strerror}") from None
    return [line.rstrip(b"\r") for line in data.split(b"\n") if line.strip()]


def import_file(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A CT01 capture file."),  # noqa: B008
    session: str = typer.Option(..., "--session", help="Timing session to load into."),
    day: Optional[str] = typer.Option(  # noqa: UP045
        None, "--date", help="Date of normal-format times (default today)."
    ),
    tz: Optional[str] = typer.Option(  # noqa: UP045
        None, "--timezone", help="IANA zone of the timing clock (default: configured/local)."
    ),
    event: Optional[str] = typer.Option(None, "--event", help="Event name for a new session."),  # noqa: UP045
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Load a capture into a timing session through the listener's exactly-once writer.

    For post-race loads: every read is stored once, so importing a file twice, or a file
    the listener already received live, adds nothing. Lines that do not parse are kept
    in rejected_lines with their line number; gun-time lines become gun events.

    Example: p88 import race/FINISH.ct33 --session rehearsal --date 2026-06-07
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from p88.fileimport import import_lines
    from p88.store import connect
    from p88.store.spool import SessionInfo

    try:
        session_date = date.fromisoformat(day) if day else None
    except ValueError:
        raise P88Error(f"--date {day!r}: use YYYY-MM-DD") from None
    lines = read_capture(file)
    settings = state(ctx).settings()
    info = SessionInfo(
        session,
        event_name=event,
        session_date=session_date,
        timezone=tz or settings.get("timezone"),
    )
    url = state(ctx).database_url()
    with connect(url) as conn:
        if is_terminal() and not as_json:
            with Progress(
                f"importing {file.name}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=out,
            ) as progress:  # fmt: skip
                task = progress.add_task("import", total=len(lines))
                result = import_lines(
                    conn, info, lines, source=file.name,
                    progress=lambda n: progress.update(task, completed=n),
                )  # fmt: skip
        else:
            result = import_lines(conn, info, lines, source=file.name)
    if as_json:
        print_json(
            {"session": session, "session_id": result.session_id, "lines": result.lines,
             "inserted": result.inserted, "duplicates": result.duplicates,
             "gun_events": result.gun_events, "rejects": result.rejects}
        )  # fmt: skip
        return
    out.print(
        f"{file.name} → session {session!r} (id {result.session_id}): {result.lines:,} lines, "
        f"{result.inserted:,} reads stored, {result.duplicates:,} already there, "
        f"{result.gun_events} gun events, {result.rejects} rejected"
    )

"""``p88 hello-results``: the latest reads of a timing session as CSV.

An example p88 plugin. It imports nothing from p88 but ``p88.plugin``, the documented
plugin API, and is registered in pyproject.toml under the entry-point group
``p88.commands``. Module-level imports stay light: p88 imports this module whenever it
lists its commands (``p88 --help``).
"""

from __future__ import annotations

import csv
import sys
from typing import Any

import typer

from p88 import plugin

__version__ = "0.1.0"

COLUMNS = (
    "read_id",
    "session",
    "location",
    "tag_code",
    "read_timestamp",
    "read_time",
    "reader_id",
    "antenna",
)

app = typer.Typer(
    help="Example plugin: the latest reads of a timing session as CSV.\n\n"
    "Example: p88 hello-results latest 1 --limit 20",
    no_args_is_help=True,
)


def find_session(conn: Any, key: str | None) -> int:
    """The id of the session named or numbered ``key``; with no key, the current one."""
    if key is None:
        current = plugin.current_session_id(conn)
        if current is None:
            raise plugin.P88Error("no active timing session", hint="name one: latest SESSION")
        return current
    for session in plugin.sessions(conn):
        if str(session.id) == key or session.session_name == key:
            return session.id
    raise plugin.P88Error(
        f"no timing session {key!r}", hint="give a session id or name from p88's sessions"
    )


def latest_rows(conn: Any, session_id: int, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` reads of a session, newest first, as CSV rows."""
    return [
        {
            "read_id": read["id"],
            "session": read["session_name"],
            "location": read["location_name"],
            "tag_code": read["tag_code"],
            "read_timestamp": read["read_timestamp"].isoformat(),
            "read_time": plugin.format_read_time(read["read_time"]),
            "reader_id": read["reader_id"],
            "antenna": read["gator_number"],
        }
        for read in plugin.recent_reads(conn, session_id=session_id, limit=limit)
    ]


@app.command()
def latest(
    ctx: typer.Context,
    session: str | None = typer.Argument(
        None, help="Session id or name (default: the newest active session).", show_default=False
    ),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many reads, newest first."),
) -> None:
    """Print the newest reads of a timing session as CSV (header line first).

    Example: p88 hello-results latest Session_20250609_235438 --limit 50 > latest.csv
    """
    with plugin.connect(ctx) as conn:
        rows = latest_rows(conn, find_session(conn, session), limit)
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if not rows:
        plugin.err_console.print("That session has no reads yet.")

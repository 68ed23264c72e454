"""Turning ``p88 replay FILE...`` into clients: which feeds share a connection, and who
each client says it is.

Several files are several locations of one client (as SimpleClient serves several points
over one link) unless two files hold the same location, or ``clients="per-file"`` asks
for one connection per file (as timers who run one SimpleClient per point do). Each
client gets a fresh connection id, so replaying a file again is a new stream that the
server stores once by the reads' identity, and a reconnect within one replay keeps it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, time
from pathlib import Path
from typing import Literal

from p88 import __version__
from p88.errors import P88Error
from p88.protocol.client import ClientOptions
from p88.protocol.feed import Feed, load_feeds

ClientMode = Literal["auto", "one", "per-file"]
DEFAULT_NAME = "p88-replay"


def parse_speed(text: str) -> float | None:
    """``1``, ``10``, ``2.5``, ``10x`` or ``max`` (None: as fast as the server takes it)."""
    raw = text.strip().lower()
    if raw in ("max", "maximum", "inf"):
        return None
    raw = raw.removesuffix("x")
    try:
        speed = float(raw)
    except ValueError:
        raise P88Error(f"--speed {text!r}: use a number like 1 or 10, or max") from None
    if not 0 < speed <= 1e6:
        raise P88Error(f"--speed {text!r} must be positive")
    return speed


def new_connection_id() -> str:
    """40 hex characters, the shape of S1's example id."""
    return secrets.token_hex(20)


def default_event(paths: Sequence[Path]) -> str:
    """The event name a replay reports: the file's name up to its first dot, or the
    directory's name when the files are the points of one simulated race."""
    if len(paths) > 1 and len({p.resolve().parent for p in paths}) == 1:
        return paths[0].resolve().parent.name
    return paths[0].name.split(".", 1)[0]


def plan_clients(
    paths: Sequence[Path],
    *,
    day0: date,
    clients: ClientMode = "auto",
    name: str = DEFAULT_NAME,
    user: str | None = None,
    password: str | None = None,
    event: str | None = None,
    start: time | None = None,
    until: time | None = None,
    connection_id: str | None = None,
) -> list[tuple[list[Feed], ClientOptions]]:
    """Load the files and group their feeds into clients with their options."""
    if not paths:
        raise P88Error("give at least one capture file")
    per_file = [load_feeds(Path(p), day0, start=start, until=until) for p in paths]
    for path, feeds in zip(paths, per_file, strict=True):
        if not feeds:
            raise P88Error(f"{path}: no data lines to replay (check --from/--until)")
    names = [f.location for feeds in per_file for f in feeds]
    collide = len(set(names)) != len(names)
    if clients == "one" and collide:
        raise P88Error(
            "two files hold the same location, so one client cannot serve both",
            hint="use --clients per-file",
        )
    groups = (
        per_file
        if clients == "per-file" or (clients == "auto" and collide)
        else [[f for feeds in per_file for f in feeds]]
    )
    if connection_id and len(groups) > 1:
        raise P88Error("--connection-id names one client, but this replay has several")
    event_name = event or default_event([Path(p) for p in paths])
    return [
        (
            group,
            ClientOptions(
                connection_id=connection_id or new_connection_id(),
                name=name,
                version=__version__,
                user=user,
                password=password,
                event_name=event_name,
                event_id="0",
                event_description=", ".join(sorted({f.source for f in group})),
            ),
        )
        for group in groups
    ]

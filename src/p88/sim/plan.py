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
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal

from p88 import __version__
from p88.errors import InputError
from p88.protocol.client import ClientOptions
from p88.protocol.dates import capture_date
from p88.protocol.feed import BadLine, Feed, load_feeds

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
        raise InputError(
            f"--speed {text!r}: use a number like 1 or 10, or max", what="speed", where="--speed"
        ) from None
    if not 0 < speed <= 1e6:
        raise InputError(f"--speed {text!r} must be positive", what="speed", where="--speed")
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
    day0: date | None = None,
    days: dict[str, date] | None = None,
    race: tuple[date, datetime | None] | None = None,
    bad_lines: list[BadLine] | None = None,
    clients: ClientMode = "auto",
    name: str = DEFAULT_NAME,
    user: str | None = None,
    password: str | None = None,
    event: str | None = None,
    start: time | None = None,
    until: time | None = None,
    connection_id: str | None = None,
) -> list[tuple[list[Feed], ClientOptions]]:
    """Load the files and group their feeds into clients with their options.

    Each file's dateless times go on its own date (:func:`p88.protocol.dates.capture_date`):
    ``days[file name]``, else ``day0``, else the date in its name, else the ``race``'s;
    a file that needs a date and has none refuses the whole replay before anything is
    sent. Bad lines go to ``bad_lines`` (None: the first one stops the load).
    """
    if not paths:
        raise InputError("give at least one capture file", what="capture file")
    per_file = []
    for p in map(Path, paths):
        try:
            head = p.read_bytes()[:65536].split(b"\n")
        except OSError as exc:
            raise InputError(f"cannot read {p}: {exc.strerror}", where=str(p)) from None
        given = (days or {}).get(p.name, day0)
        dated = capture_date(
            p, [x.rstrip(b"\r") for x in head if x.strip()], given=given, race=race
        )
        per_file.append(
            load_feeds(
                p,
                dated.day if dated else None,
                start=start,
                until=until,
                anchor=dated.anchor if dated else None,
                bad_lines=bad_lines,
            )  # fmt: skip
        )
    for path, feeds in zip(paths, per_file, strict=True):
        if not feeds:
            raise InputError(
                f"{path}: no data lines to replay (check --from/--until)",
                what="capture file",
                where=str(path),
            )
    names = [f.location for feeds in per_file for f in feeds]
    collide = len(set(names)) != len(names)
    if clients == "one" and collide:
        raise InputError(
            "two files hold the same location, so one client cannot serve both",
            hint="use --clients per-file",
            what="clients",
            where="--clients",
        )
    groups = (
        per_file
        if clients == "per-file" or (clients == "auto" and collide)
        else [[f for feeds in per_file for f in feeds]]
    )
    if connection_id and len(groups) > 1:
        raise InputError(
            "--connection-id names one client, but this replay has several",
            what="connection id",
            where="--connection-id",
        )
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

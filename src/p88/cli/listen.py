"""``p88 listen``: the ChronoTrack (CTP01) listener; the work is ``p88.listener.Listener``."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import typer

from p88.cli._app import err, is_terminal, state, stop_on_signals
from p88.errors import ConfigError, DatabaseUnavailable

__all__ = ["listen"]


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald/systemd and log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
             "logger": record.name, "message": record.getMessage()},
            separators=(",", ":"),
        )  # fmt: skip


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted, not the one at set-up:
    a process that runs the command in-process (tests, a plugin) swaps and closes it."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@contextmanager
def _logging(fmt: str, live: bool) -> Iterator[None]:
    """The listener's log lines on stderr while the command runs; put back as they were
    after it, so a process that runs the command in-process keeps its own logging."""
    root = logging.getLogger("p88")
    saved = (root.level, list(root.handlers), root.propagate)
    _setup_logging(fmt, live)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        root.propagate = saved[2]


def _setup_logging(fmt: str, live: bool) -> None:
    root = logging.getLogger("p88")
    root.setLevel(logging.INFO)
    root.handlers.clear()
    handler: logging.Handler
    if fmt == "json":
        handler = _Stderr()
        handler.setFormatter(_JsonFormatter())
    elif live:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, markup=False)
    else:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    root.propagate = False


def _render(listener: Any) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    st = listener.status()
    w = st.writer
    where = (f"session {st.default_session}" if listener.options.session
             else f"session: the client's event name, else {st.default_session}")  # fmt: skip
    head = Text.assemble(
        ("p88 listen ", "bold"), f"{st.host}:{st.port}  {where}  ",
        ("db up" if w.db_up else f"DB DOWN ({w.last_error})", "green" if w.db_up else "bold red"),
        f"  spool backlog {st.backlog}  queued {st.queued}\n",
        f"received {st.received}  committed {w.committed}  duplicates {w.duplicates}  "
        f"rejects {st.rejected}  gun times {w.gun_events}  {st.reads_per_s:.0f} reads/s\n",
        f"last read: {st.last_read or '-'}",
    )  # fmt: skip
    conns = Table("peer", "connection id", "session", "reads", "rejects", "since", title=None)
    for c in st.connections:
        cid = str(c["connection_id"] or "-")
        conns.add_row(str(c["peer"]), cid[:16], str(c["session"]), str(c["reads"]),
                      str(c["rejects"]), str(c["since"])[11:19])  # fmt: skip
    locs = Table("session", "location", "reads stored")
    for (session, loc), n in sorted(dict(w.by_location).items()):
        locs.add_row(session, loc, str(n))
    return Group(head, conns, locs)


async def _serve(listener: Any, live: bool) -> None:
    import asyncio

    stop = asyncio.Event()
    stop_on_signals(stop, signal.SIGTERM, signal.SIGINT)
    ready = asyncio.Event()
    task = asyncio.create_task(listener.run(stop, ready=ready))
    if not live:
        await task
        return
    from rich.live import Live

    await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when="FIRST_COMPLETED")
    with Live(_render(listener), console=err, refresh_per_second=4, transient=False) as view:
        while not task.done():
            await asyncio.wait({task}, timeout=0.5)
            if not task.done():
                view.update(_render(listener))
    await task


def listen(
    ctx: typer.Context,
    host: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None,
        "--host",
        help="Address to bind (default 127.0.0.1; --host 0.0.0.0 opens it to "
        "the LAN: use --auth-file then).",
        show_default=False,
    ),  # fmt: skip
    port: Optional[int] = typer.Option(  # noqa: UP045
        None,
        "--port",
        min=0,
        max=65535,
        help="TCP port (default 61611, ChronoTrack's).",
        show_default=False,
    ),
    session: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--session",
        help="Store every read in this session (default: the client's event "
        "name, else Session_YYYYMMDD_HHMMSS, continued after a restart).",
        show_default=False,
    ),  # fmt: skip
    timezone: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--timezone",
        help="IANA zone of the timing system's clock (default: this machine's, or P88_TIMEZONE).",
        show_default=False,
    ),  # fmt: skip
    partner: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--partner",
        help="Timing partner (code or id) that owns the sessions: its p88 serve token sees them.",
        show_default=False,
    ),  # fmt: skip
    auth_file: Optional[Path] = typer.Option(  # noqa: UP045, B008
        None,
        "--auth-file",
        help="user:password lines; clients must authenticate.",
        show_default=False,
    ),  # fmt: skip
    auth_method: str = typer.Option(
        "hmac-sha1",
        "--auth-method",
        help="plaintext, hmac-sha1, hmac-md5, seed-sha1 or seed-md5.",
    ),  # fmt: skip
    time_format: str = typer.Option("iso", "--time-format", help="Time format to request."),
    stream_mode: str = typer.Option(
        "push", "--stream-mode", help="push (the client streams) or pull (p88 polls getdata)."
    ),
    spool_dir: Optional[Path] = typer.Option(  # noqa: UP045, B008
        None,
        "--spool-dir",
        help="Where reads wait during a database outage (default: <data_dir>/spool).",
        show_default=False,
    ),  # fmt: skip
    max_connections: int = typer.Option(256, "--max-connections", help="Client limit."),
    log_format: str = typer.Option("text", "--log-format", help="text or json (for systemd)."),
) -> None:
    """Receive ChronoTrack reads (CTP01) and store each exactly once.

    Binds 127.0.0.1:61611 by default: ChronoTrack's client usually runs on the same laptop.
    Point SimpleClient's Direct Socket Out (protocol CTP01) at this host and port. During a
    database outage reads go to a local spool and drain when it returns. Ctrl-C or SIGTERM
    stops accepting, flushes and exits 0.

    Example: p88 listen --host 0.0.0.0 --auth-file ~/.config/p88/ctp-users --session "City 10K"
    """
    import asyncio

    from p88.listener import Listener, ListenOptions, load_auth_file
    from p88.protocol import AUTH_METHODS
    from p88.store import connect, find_partner, migrate

    if log_format not in ("text", "json"):
        raise ConfigError(f"--log-format must be text or json, not {log_format!r}")
    if auth_method not in AUTH_METHODS:
        raise ConfigError(f"--auth-method must be one of {', '.join(AUTH_METHODS)}")
    if stream_mode not in ("push", "pull"):
        raise ConfigError("--stream-mode must be push or pull")
    if time_format not in ("normal", "iso", "unix", "msecs"):
        raise ConfigError("--time-format must be normal, iso, unix or msecs")
    settings = state(ctx).settings()
    url = state(ctx).database_url()
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
            if partner is not None and find_partner(conn, partner) is None:
                raise ConfigError(f"--partner {partner!r}: no timing partner with that code or id")
    except DatabaseUnavailable as exc:  # race day goes on: reads wait in the spool
        err.print(f"Warning: {exc.message}; reads will be spooled until it is back.",
                  markup=False)  # fmt: skip
    options = ListenOptions(
        spool_dir=spool_dir or settings.data_dir / "spool",
        host=host or settings.require("listen_host"),
        port=port if port is not None else settings.get_int("listen_port"),
        session=session,
        timezone=timezone or settings.get("timezone"),
        partner=partner,
        users=load_auth_file(auth_file) if auth_file else None,
        auth_method=auth_method,
        time_format=time_format,
        stream_mode=stream_mode,
        max_connections=max_connections,
    )
    live = log_format == "text" and is_terminal()
    if options.open_to_network and not options.users:
        err.print(f"Warning: listening on {options.host} without --auth-file: anyone on the "
                  "network can send reads.", markup=False)  # fmt: skip
    with _logging(log_format, live):
        asyncio.run(_serve(Listener(url, options), live))

"""Serving the app with uvicorn, and the rule that keeps it private by default.

The server binds 127.0.0.1 unless told otherwise; any other address (0.0.0.0, a LAN IP,
a hostname) needs ``--token-file``, because the timing data of every partner would
otherwise be open to the network.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from p88.errors import ConfigError
from p88.serve.auth import Grant, load_tokens

GRACEFUL_SHUTDOWN_S = 3


@dataclass(frozen=True)
class ServeOptions:
    """What ``p88 serve`` was asked to do."""

    database_url: str
    host: str = "127.0.0.1"
    port: int = 8088
    token_file: Path | None = None
    log_level: str = "info"
    display_colors: str | None = None
    display_logo: str | None = None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; False for every other name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(port: int) -> None:
    """A ``ConfigError`` unless ``port`` is a TCP port (p88.toml may say anything)."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is not a TCP port")


def check_free(host: str, port: int) -> None:
    """A ``ConfigError`` (one line, exit 1) unless ``host:port`` can be bound now: a busy
    port is a user's mistake to name before the banner, not a database failure after it.
    Binds with ``SO_REUSEADDR`` as uvicorn does, so a port in TIME_WAIT is not 'busy'."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot bind {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {host} is already in use",
                    hint="is another p88 serve running? pick another with --port",
                ) from None
            raise ConfigError(f"cannot bind {host}:{port}: {exc.strerror}") from None


def base_url(host: str, port: int) -> str:
    """The address to print: an IPv6 literal in brackets (``http://[::1]:8088/``)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def check_binding(host: str, token_file: Path | None) -> dict[str, Grant] | None:
    """The tokens to enforce, or a ``ConfigError`` when a non-loopback bind has none."""
    if token_file is not None:
        return load_tokens(token_file)
    if not is_loopback(host):
        raise ConfigError(
            f"binding {host} would open every partner's timing data to the network",
            hint="pass --token-file FILE (lines: '<token> <partner-code or *>'), or bind 127.0.0.1",
        )
    return None


def run(options: ServeOptions) -> None:
    """Serve until interrupted (blocking)."""
    import uvicorn

    from p88.serve.app import create_app
    from p88.serve.pages import DisplayOptions

    check_port(options.port)
    tokens = check_binding(options.host, options.token_file)
    display = DisplayOptions.parse(options.display_colors, options.display_logo)
    app = create_app(options.database_url, tokens=tokens, display=display)
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        proxy_headers=False,
    )

"""Serving the app with uvicorn, and the rule that keeps it private by default.

The server binds 127.0.0.1 unless told otherwise; any other address (0.0.0.0, a LAN IP,
a hostname) needs ``--token-file``, because the timing data of every partner would
otherwise be open to the network.
"""

from __future__ import annotations

import ipaddress
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

    check_port(options.port)
    tokens = check_binding(options.host, options.token_file)
    app = create_app(options.database_url, tokens=tokens)
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        proxy_headers=False,
    )

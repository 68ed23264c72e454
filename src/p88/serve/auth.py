"""Access tokens: who may read what.

On 127.0.0.1 with no token file the server is open (the timing laptop's own display).
Anywhere else ``--token-file`` is required. Each non-comment line of the file is::

    <token> <partner>

where ``<partner>`` is a timing partner's code (``timing_partners.code``), its numeric id,
or ``*`` for every partner (the hub operator). A partner's token sees only the sessions
whose ``timing_sessions.partner_id`` is that partner. Tokens travel as
``Authorization: Bearer <token>``, as ``?token=<token>`` (for an ``EventSource`` outside
the display page, which cannot set headers; the access log redacts it), or in the
``HttpOnly`` cookie the display page gets when opened as ``/?token=<token>`` (see
``p88.serve.guard``); they are compared in constant time. Like ssh with a private key, a
token file that group or others can read is used, with a warning (``permission_warning``).
"""

from __future__ import annotations

import hmac
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from p88.errors import ConfigError

MIN_TOKEN_LENGTH = 16
COOKIE = "p88_token"
_LINE = re.compile(r"^(\S+)\s+(\S+)$")


@dataclass(frozen=True)
class Grant:
    """What one token may see: every partner (``partner`` is ``None``) or one partner."""

    partner: str | int | None


@dataclass(frozen=True)
class Scope:
    """The tenant filter of a request: ``partner_id`` ``None`` means every partner."""

    partner_id: int | None


EVERYONE = Scope(None)


def load_tokens(path: Path) -> dict[str, Grant]:
    """Parse a token file; a malformed one is a ``ConfigError`` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read token file {path}: {exc.strerror}") from None
    tokens: dict[str, Grant] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _LINE.match(line)
        if not match:
            raise ConfigError(
                f"{path}:{number}: expected '<token> <partner>'",
                hint="partner is a partner code, a numeric id or *",
            )
        token, partner = match.groups()
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"{path}:{number}: token shorter than {MIN_TOKEN_LENGTH} characters",
                hint="make one: python -c 'import secrets; print(secrets.token_urlsafe())'",
            )
        if token in tokens:
            raise ConfigError(f"{path}:{number}: the same token appears twice")
        grant: str | int | None = None if partner == "*" else partner
        if isinstance(grant, str) and grant.isdigit():
            grant = int(grant)
        tokens[token] = Grant(grant)
    if not tokens:
        raise ConfigError(f"token file {path} holds no token")
    return tokens


def permission_warning(path: Path) -> str | None:
    """One line when group or others may read the token file (as ssh warns of a key), else
    ``None``. A warning, not a refusal: a race-day server with a sloppy mode still serves."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # load_tokens says why it cannot be read
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (
            f"token file {path} is open to group or others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path}"
        )
    return None


def find_grant(tokens: dict[str, Grant], presented: str) -> Grant | None:
    """The grant of ``presented``, comparing against every token in constant time."""
    found: Grant | None = None
    for token, grant in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            found = grant
    return found


def presented_token(headers: Any, query: Any, cookies: Any = None) -> str | None:
    """The token a request carries: the Bearer header first, then ``?token=``, then the
    display page's cookie."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return str(value.strip())
    token = query.get("token") or (cookies.get(COOKIE) if cookies is not None else None)
    return str(token) if token else None

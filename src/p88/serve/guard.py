"""The server's outer wall, as ASGI middleware that runs before any route reads a byte.

``Wall`` does three things for every HTTP request, in this order:

1. **Headers**: every response carries ``X-Content-Type-Options: nosniff``,
   ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer`` and a Content-Security-Policy
   (the pages and ``/docs`` may run only scripts and styles this server serves: no inline
   code, no other origin; everything else allows nothing).
2. **Authentication before the body**: on a token server every path but ``/health`` needs a
   valid token (``Authorization: Bearer``, ``?token=`` or the page's cookie); without one the
   answer is 401 and the body is never read, whatever its size.
3. **A body limit**: ``Content-Length`` above the route's cap is 413 at once; a chunked body
   is counted as it streams and cut off with 413 the moment it passes the cap. Nothing is
   buffered beyond the cap.

The pages: ``GET /display?token=T`` (a link a timing crew can put on a screen; the same on
each of ``PAGE_PATHS``) answers 303 to the same address without ``token`` and sets ``T``
as an ``HttpOnly; SameSite=Strict`` cookie, so the long-lived token leaves the address bar
and every later request (the page's scripts, fetches and EventSource) carries it in the
cookie, not in a URL.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from p88.serve.auth import COOKIE, Grant, find_grant, presented_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The questions' endpoints take a sentence and a few pins: a few KB is plenty.
NL_BODY_LIMIT = 8 * 1024
#: Every other route (none of them takes a body today).
BODY_LIMIT = 64 * 1024
PUBLIC_PATHS = frozenset({"/health"})
#: Pages a screen opens by a link: ``?token=`` there moves into the cookie.
PAGE_PATHS = frozenset({"/", "/display", "/chipcheck", "/announcer", "/docs"})
COOKIE_MAX_AGE_S = 12 * 3600
#: The pages' policy: scripts, styles and images from this server only (they have no
#: inline code). ``/docs`` too: Swagger UI is served from the fastapi-offline package.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_COOKIE_SAFE = re.compile(r"^[A-Za-z0-9._~+/=-]+$")  # a token a cookie can carry verbatim


def body_limit(path: str) -> int:
    """How many body bytes a route may receive."""
    return NL_BODY_LIMIT if path.startswith("/api/v1/nl-") else BODY_LIMIT


class _Headers:
    """Case-insensitive ``get`` over ASGI's raw header list (what ``presented_token`` needs)."""

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self._raw:
            if k.lower() == key:
                return v.decode("latin-1")
        return default


def cookies(headers: _Headers) -> dict[str, str]:
    """The request's cookies (just name=value pairs; attributes are not sent by clients)."""
    found: dict[str, str] = {}
    for part in (headers.get("cookie") or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            found.setdefault(name, value)
    return found


class Wall:
    """Headers, authentication before the body, and the body limit (see the module doc)."""

    def __init__(self, app: ASGIApp, *, tokens: dict[str, Grant] | None, page_policy: str) -> None:
        self.app = app
        self.tokens = tokens
        self.page_policy = page_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = self._policy(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", policy.encode()),
                ):
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        headers = _Headers(scope.get("headers", []))
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self.tokens is not None and path not in PUBLIC_PATHS:
            token = presented_token(headers, query, cookies(headers))
            if token is None or find_grant(self.tokens, token) is None:
                await _reply(send_with_headers, 401, "a valid access token is required "
                             "(Authorization: Bearer <token>)",
                             [(b"www-authenticate", b"Bearer")])  # fmt: skip
                return
            if path in PAGE_PATHS and _COOKIE_SAFE.match(query.get("token", "")):
                await _set_cookie(send_with_headers, path, query)
                return
        limit = body_limit(path)
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _reply(send_with_headers, 413, f"request body over {limit} bytes")
            return
        await self._limited(scope, receive, send_with_headers, limit)

    def _policy(self, path: str) -> str:
        if path in PAGE_PATHS:
            return self.page_policy
        return _API_CSP

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app, counting the body as it streams: past ``limit`` the client gets 413
        at once and the app sees a disconnect, so it stops reading and nothing is buffered."""
        seen = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    await _reply(send, 413, f"request body over {limit} bytes")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # after a 413 whatever the app answers is dropped
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise


async def _reply(
    send: Send, status: int, error: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A JSON error in the app's shape, sent without touching the request body."""
    import json

    body = json.dumps({"success": False, "error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _set_cookie(send: Send, path: str, query: dict[str, str]) -> None:
    """303 to the page without ``token`` in its address, the token in an HttpOnly cookie."""
    token = query.pop("token")
    rest = urlencode(query)
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={COOKIE_MAX_AGE_S}"
    headers = [
        (b"location", (path + ("?" + rest if rest else "")).encode("latin-1")),
        (b"set-cookie", cookie.encode("latin-1")),
        (b"cache-control", b"no-store"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})

"""The FastAPI application: ``create_app(database_url, tokens=...)``.

Every request passes ``guard.Wall`` first (security headers, the token check before any
body is read, the body limit), and the access log never shows a token (``logs``).
The app holds two things beyond a request: a pool of read-only connections (``Database``)
and the live fan-out (``Hub``); both start with the app and stop with it, and neither needs
the database to be up at start. Everything else is read from PostgreSQL per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from p88 import __version__
from p88.serve import errors, logs, nl, results_site, stream, timing
from p88.serve.auth import Grant
from p88.serve.db import Database, DatabaseGone
from p88.serve.deps import DbDep, HubDep
from p88.serve.guard import Wall, page_csp
from p88.serve.hub import Hub

PAGE = Path(__file__).with_name("static") / "index.html"


def _ping(conn: Any) -> None:
    conn.execute("SELECT 1")


def create_app(
    database_url: str,
    *,
    tokens: dict[str, Grant] | None = None,
    pool_size: int = 8,
) -> FastAPI:
    """The p88 HTTP API on ``database_url``; ``tokens`` (see ``auth.load_tokens``) turns
    on access control, ``None`` leaves it open (loopback only: ``run`` enforces that)."""
    db = Database(database_url, max_size=pool_size)
    hub = Hub(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.install()  # after uvicorn configured its loggers
        db.open()
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            db.close()

    app = FastAPI(
        title="p88 timing API",
        version=__version__,
        description="Live race-timing data from p88's PostgreSQL: the seed's /api/timing "
        "endpoints, a Server-Sent Events stream of reads, and a display page at /.",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.hub = hub
    app.state.tokens = tokens
    app.state.partner_ids = {}
    html = PAGE.read_text(encoding="utf-8")
    app.add_middleware(Wall, tokens=tokens, page_policy=page_csp(html))
    errors.install(app)
    app.include_router(timing.router)
    app.include_router(stream.router)
    app.include_router(results_site.router)
    nl.install(app)

    @app.get(
        "/health",
        tags=["service"],
        summary="Liveness and database reachability",
        responses={503: {"description": "the database cannot answer (body says why)"}},
    )
    async def health(db: DbDep, hub: HubDep) -> Any:
        """200 when PostgreSQL answers, 503 (with the reason) when it does not."""
        body: dict[str, Any] = {
            "status": "ok",
            "version": __version__,
            "live_updates": "listening" if hub.listening else "reconnecting",
            "stream_clients": len(hub.subscribers),
        }
        try:
            await db.run(_ping)
        except DatabaseGone as exc:
            body.update(status="degraded", database="unavailable", error=exc.message)
            return JSONResponse(body, 503, headers={"Retry-After": str(errors.RETRY_AFTER_S)})
        body["database"] = "ok"
        return body

    @app.api_route(
        "/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False
    )
    async def page() -> HTMLResponse:
        """The display page. It holds no data (it fetches everything with the caller's
        token), and on a token server ``guard.Wall`` lets only a token holder load it."""
        return HTMLResponse(html)

    return app

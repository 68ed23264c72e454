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
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from p88 import __version__
from p88.serve import display as display_api
from p88.serve import errors, logs, nl, pages, results_site, stream, timing
from p88.serve.auth import Grant
from p88.serve.db import Database, DatabaseGone
from p88.serve.deps import DbDep, HubDep
from p88.serve.display_feed import DisplayFeed
from p88.serve.guard import PAGE_CSP, Wall
from p88.serve.hub import Hub
from p88.serve.pages import DisplayOptions


def _ping(conn: Any) -> None:
    conn.execute("SELECT 1")


def create_app(
    database_url: str,
    *,
    tokens: dict[str, Grant] | None = None,
    pool_size: int = 8,
    display: DisplayOptions | None = None,
) -> FastAPI:
    """The p88 HTTP API on ``database_url``; ``tokens`` (see ``auth.load_tokens``) turns
    on access control, ``None`` leaves it open (loopback only: ``run`` enforces that);
    ``display``: the display pages' colours and logo."""
    db = Database(database_url, max_size=pool_size)
    hub = Hub(db)
    feed = DisplayFeed(hub, db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.install()  # after uvicorn configured its loggers
        db.open()
        await hub.start()
        try:
            yield
        finally:
            await feed.stop()
            await hub.stop()
            db.close()

    app = FastAPI(
        title="p88 timing API",
        version=__version__,
        description="Live race-timing data from p88's PostgreSQL: the seed's /api/timing "
        "endpoints, a Server-Sent Events stream of reads, crossings for displays, and the "
        "pages at /, /display, /chipcheck and /announcer.",
        lifespan=lifespan,
        docs_url=None,  # served offline by pages.install
        redoc_url=None,
    )
    app.state.db = db
    app.state.hub = hub
    app.state.tokens = tokens
    app.state.partner_ids = {}
    app.state.display_feed = feed
    app.state.display_options = display or DisplayOptions()
    app.add_middleware(Wall, tokens=tokens, page_policy=PAGE_CSP)
    errors.install(app)
    app.include_router(timing.router)
    app.include_router(stream.router)
    app.include_router(display_api.router)
    pages.install(app)
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

    return app

"""The seed's NLP endpoints, backed by ``p88 ask``'s library (``p88.nlq``).

``POST /api/v1/nl-query`` answers a question; ``POST /api/v1/nl-explain`` says how it would
be answered (frame, SQL, confidence) without running it; ``GET /api/v1/nl-examples`` lists
questions p88 understands. Every SQL passes the nlq guard, runs in a read-only transaction
with a timeout, and a partner's token only ever sees its own events (the guard's tenant
rewrite). A question p88 cannot answer is a 422 that says why, never a 500.
"""

from __future__ import annotations

import re
import time
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from p88.errors import DatabaseUnavailable, P88Error
from p88.serve.db import DatabaseGone
from p88.serve.deps import DbDep, ScopeDep
from p88.serve.errors import ErrorBody, documented, failure

CATALOG_TTL_S = 60.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

EXAMPLES: tuple[str, ...] = (
    "how many finished the Hartford Marathon under 3 hours in 2023",
    "top 10 women in the half marathon last year",
    "average finish time by age group for the 10K",
    "Michael Wardian's marathon PR",
    "how many people from Ohio ran our races since 2022",
    "what's the live read count for session 1",
)

router = APIRouter(tags=["questions"], responses=documented(400, 401, 503))
UNANSWERED: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "not understood, ambiguous, not yours, or refused"}
}


class Question(BaseModel):
    """A question in English, with optional pins for what it leaves ambiguous."""

    query: str = Field(min_length=1, max_length=500, description="the question")
    event: str | None = Field(None, max_length=200, description="pin the event")
    year: str | None = Field(None, max_length=20, description="pin the year")
    time_basis: Literal["chip", "gun"] | None = Field(None, description="'chip' or 'gun'")

    @field_validator("query", "event", "year")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        """A control character (NUL above all) is no part of a question, and PostgreSQL
        cannot store or compare a NUL: refuse it here, as a 422 that says so."""
        if value is not None and _CONTROL.search(value):
            raise ValueError("control characters (such as NUL) are not allowed")
        return value


class NlFailure(Exception):
    """A question p88 will not or cannot answer: the nlq library's own message."""

    def __init__(self, error: P88Error) -> None:
        super().__init__(error.message)
        self.error = error


def _catalog(request: Request, conn: Any) -> Any:
    """The catalog of names, loaded at most once a minute (it is the slow part of a question)."""
    from p88.nlq import Catalog

    cached = request.app.state.nl_catalog
    if cached is not None and time.monotonic() - cached[0] < CATALOG_TTL_S:
        return cached[1]
    catalog = Catalog.load(conn)
    request.app.state.nl_catalog = (time.monotonic(), catalog)
    return catalog


def _partner(scope: Any) -> int | None:
    if scope.partner_id == -1:
        raise HTTPException(403, "this token's timing partner is not in the database")
    partner: int | None = scope.partner_id
    return partner


def _run(conn: Any, request: Request, q: Question, partner: int | None, explain: bool) -> Any:
    from p88 import nlq

    try:
        catalog = _catalog(request, conn)
        fn = nlq.explain if explain else nlq.ask
        result = fn(
            q.query,
            conn,
            partner=partner,
            event=q.event,
            year=q.year,
            time_basis=q.time_basis,
            catalog=catalog,
        )
    except DatabaseUnavailable as exc:
        raise DatabaseGone(exc.message) from None
    except P88Error as exc:
        raise NlFailure(exc) from None
    return {"success": True, **result.as_json()}


@router.post("/api/v1/nl-query", summary="Answer a question in English", responses=UNANSWERED)
async def nl_query(body: Question, request: Request, scope: ScopeDep, db: DbDep) -> Any:
    """Compile the question into guarded read-only SQL, run it, return the rows and how the
    question was understood."""
    return await db.run(_run, request, body, _partner(scope), False)


@router.post("/api/v1/nl-explain", summary="How a question would be answered", responses=UNANSWERED)
async def nl_explain(body: Question, request: Request, scope: ScopeDep, db: DbDep) -> Any:
    """The frame, the SQL and the confidence, without running anything."""
    return await db.run(_run, request, body, _partner(scope), True)


@router.get("/api/v1/nl-examples", summary="Questions p88 understands")
async def nl_examples(scope: ScopeDep) -> dict[str, Any]:
    """Example questions to start from."""
    return {"success": True, "examples": list(EXAMPLES)}


def install(app: FastAPI) -> None:
    app.state.nl_catalog = None

    @app.exception_handler(NlFailure)
    async def nl_failure(request: Request, exc: NlFailure) -> JSONResponse:
        err = exc.error
        extra: dict[str, Any] = {"kind": type(err).__name__}
        if err.hint:
            extra["hint"] = err.hint
        for attr in ("words", "suggestions"):
            if getattr(err, attr, None):
                extra[attr] = list(getattr(err, attr))
        return failure(422, err.message, **extra)

    app.include_router(router)

"""Every error as JSON the seed's clients understand: ``{"success": false, "error": ...}``.

A bad parameter is 4xx with what was wrong; a database that cannot answer is 503 with why
(and ``Retry-After``); nothing a client sends can produce a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from p88.serve.db import BadQueryValue, DatabaseGone

RETRY_AFTER_S = 2


class ErrorBody(BaseModel):
    """Every error response: ``success`` false, what went wrong, and details when useful."""

    success: bool = False
    error: str
    detail: Any = None


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error codes a route can answer with."""
    what = {
        400: "a parameter PostgreSQL cannot use",
        401: "a valid access token is required (when the server has a token file)",
        404: "no such session (or not yours)",
        503: "the database cannot answer right now; retry after Retry-After seconds",
    }
    return {code: {"model": ErrorBody, "description": what[code]} for code in codes}


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)


def failure(status: int, error: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return JSONResponse({"success": False, "error": error, **extra}, status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(DatabaseGone)
    async def database_gone(request: Request, exc: DatabaseGone) -> JSONResponse:
        return failure(503, "database unavailable", detail=exc.message)

    @app.exception_handler(BadQueryValue)
    async def bad_value(request: Request, exc: BadQueryValue) -> JSONResponse:
        return failure(400, "invalid parameter value", detail=exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()
        ]
        return failure(422, "invalid parameter", detail=jsonable_encoder(detail))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = failure(exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

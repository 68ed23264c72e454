"""What routes share: the database, the hub, the caller's tenant scope, validated parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from p88 import store
from p88.serve.auth import EVERYONE, Scope, find_grant, presented_token
from p88.serve.db import Database
from p88.serve.hub import Hub

INT4_MAX = 2**31 - 1
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

SessionParam = Annotated[
    int | None, Query(ge=1, le=INT4_MAX, description="only this timing session")
]
LocationParam = Annotated[
    str | None,
    Query(min_length=1, max_length=100, pattern=_PRINTABLE, description="only this location"),
]
TagParam = Annotated[
    str | None,
    Query(min_length=1, max_length=64, pattern=_PRINTABLE, description="only this tag (bib)"),
]


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def get_scope(request: Request) -> Scope:
    """The tenant filter for this request; 401 without a valid token when tokens are on."""
    tokens = request.app.state.tokens
    if tokens is None:
        return EVERYONE
    token = presented_token(request.headers, request.query_params, request.cookies)
    grant = find_grant(tokens, token) if token else None
    if grant is None:
        raise HTTPException(
            status_code=401,
            detail="a valid access token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if grant.partner is None:
        return EVERYONE
    cache: dict[str | int, int] = request.app.state.partner_ids
    if grant.partner not in cache:
        db = get_db(request)
        found = await db.run(store.run, store.partner_id(grant.partner))
        if found is None:
            # A token for a partner the database does not know sees nothing, never everything.
            return Scope(-1)
        cache[grant.partner] = found
    return Scope(cache[grant.partner])


async def require_session(db: Database, scope: Scope, session_id: int | None) -> None:
    """404 unless ``session_id`` (when given) is a session this caller may see: an unknown
    session is an error, never an empty answer that looks like a quiet race."""
    if session_id is None:
        return
    exists, partner = await db.run(store.run, store.session_partner(session_id))
    if not exists or (scope.partner_id is not None and partner != scope.partner_id):
        raise HTTPException(status_code=404, detail="no such session")


ScopeDep = Annotated[Scope, Depends(get_scope)]
DbDep = Annotated[Database, Depends(get_db)]
HubDep = Annotated[Hub, Depends(get_hub)]

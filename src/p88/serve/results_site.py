"""``/results/``: the static results site of ``p88 results export --format site``, served
live from the database — the same templates, the same pages, rendered per request.

``/results/`` lists the races with results (a partner token sees its own); ``race-N.html``
and ``awards-N.html`` are a race's pages; ``site.css`` and ``site.js`` the assets. The pages
hold no inline script or style, so they carry a CSP of their own that allows only this
server's script and style files (the Wall adds its other headers, and keeps this CSP).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p88.serve.deps import DbDep, ScopeDep
from p88.serve.errors import not_found

router = APIRouter(include_in_schema=False)

SITE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_PAGE = re.compile(r"^(race|awards)-([0-9]{1,9})\.html$")
_TYPES = {"site.css": "text/css; charset=utf-8", "site.js": "text/javascript; charset=utf-8"}


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers={"content-security-policy": SITE_CSP})


def _index(conn: Any, partner_id: int | None) -> str:
    from p88.exports.site import render_index
    from p88.store import race_list

    return render_index("Results", race_list(conn, partner_id))


def _page(conn: Any, kind: str, race_id: int, partner_id: int | None) -> str | None:
    from p88.exports.publish import race_awards
    from p88.exports.site import render_awards, render_race
    from p88.store import load_sheet, race_partner

    partner = race_partner(conn, race_id)
    if partner is None or (partner_id is not None and partner != partner_id):
        return None
    sheet = load_sheet(conn, race_id)
    if kind == "race":
        return render_race(sheet)
    return render_awards(race_awards(conn, race_id), sheet)


@router.get("/results")
async def results_root() -> RedirectResponse:
    return RedirectResponse("/results/", status_code=308)


@router.get("/results/")
async def results_index(db: DbDep, scope: ScopeDep) -> HTMLResponse:
    """The races with results."""
    return _html(await db.run(_index, scope.partner_id))


@router.get("/results/{name}")
async def results_file(name: str, db: DbDep, scope: ScopeDep) -> Response:
    """A race page, an awards page, or one of the two assets."""
    if name in _TYPES:
        from p88.exports.site import asset

        return Response(asset(name), media_type=_TYPES[name])
    if name == "index.html":
        return await results_index(db, scope)
    match = _PAGE.match(name)
    if match is None:
        raise not_found("no such page")
    page = await db.run(_page, match[1], int(match[2]), scope.partner_id)
    if page is None:
        raise not_found("no such race")
    return _html(page)

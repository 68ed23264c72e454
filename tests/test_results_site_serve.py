"""``/results/`` on ``p88 serve``: the site's pages with their own CSP, and a partner's
token that sees its own races only (over a real socket, as a browser would ask)."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from p88.serve import create_app
from p88.serve.auth import Grant
from p88.serve.results_site import SITE_CSP
from tests.exports_race import build
from tests.test_serve_fixtures import running

VALLEY = "valley-token-0123456789"
HILL = "hill-token-0123456789"


def test_results_pages_by_partner_with_the_site_csp(
    db_url: str, conn: psycopg.Connection[Any]
) -> None:
    valley = build(conn)
    hill = build(conn, partner_code="hill", event_name="Hill 5K")
    app = create_app(db_url, tokens={VALLEY: Grant("valley"), HILL: Grant("hill")})
    with running(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        mine = {"Authorization": f"Bearer {VALLEY}"}
        assert http.get("/results/").status_code == 401  # the wall still asks for a token
        index = http.get("/results/", headers=mine)
        assert index.status_code == 200
        assert index.headers["content-security-policy"] == SITE_CSP
        assert index.headers["x-frame-options"] == "DENY"
        assert "Valley 10K 10K" in index.text and "Hill 5K" not in index.text
        page = http.get(f"/results/race-{valley}.html", headers=mine)
        assert page.status_code == 200 and "Gil Park" in page.text
        assert "<script>" not in page.text and "<style>" not in page.text
        awards = http.get(f"/results/awards-{valley}.html", headers=mine)
        assert awards.status_code == 200 and "Overall Female" in awards.text
        assert http.get(f"/results/race-{hill}.html", headers=mine).status_code == 404
        assert http.get("/results/race-999.html", headers=mine).status_code == 404
        assert http.get("/results/../app.py", headers=mine).status_code == 404
        script = http.get("/results/site.js", headers=mine)
        assert script.status_code == 200 and "text/javascript" in script.headers["content-type"]
        theirs = http.get("/results/", headers={"Authorization": f"Bearer {HILL}"})
        assert "Hill 5K" in theirs.text and "Valley 10K" not in theirs.text

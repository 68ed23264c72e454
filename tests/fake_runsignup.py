"""A fake RunSignUp REST server (FastAPI) that enforces the documented contract.

What it checks, from RunSignUp's public API pages: authentication (``api_key`` +
``api_secret`` query parameters, or ``rsu_api_key`` + the ``X-RSU-API-SECRET`` header);
``format=json``; participants paged by ``page``/``results_per_page`` (at most 2,500) and
``after_registration_id`` with ``sort=registration_id ASC``; ``modified_after_timestamp``
returning rows modified ON OR AFTER it; result sets, splits declared per result set;
``full-results`` rows matched by ``registration_id``, ``bib_num`` or ``chip_num`` (names
required otherwise), times ``h:mm:ss(.ss)`` or DQ/DNS/DNF/DNQ, ``split-<id>`` for a
declared split only, a blank split keeping its value and ``"X"`` clearing it;
``clear-results`` emptying a set. Errors come back as
``{"error": {"error_code", "error_msg"}}`` with the HTTP status noted per case.

Faults for tests: ``fail_next`` (HTTP 500s), ``delay_next`` (a slow answer, for client
timeouts), and ``after_page`` (a hook run after a participants page is served, to change
the data between two calls). ``log`` keeps every request without its credentials.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TIME = re.compile(r"^\d+:\d{2}:\d{2}(\.\d+)?$")
STATUS_TIMES = {"DQ", "DNS", "DNF", "DNQ"}
FIRST = ["Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]
LAST = ["Smith", "Jones", "Garcia", "Lee", "Brown", "Khan", "Nguyen", "Silva", "Rossi", "Kim"]


class ApiError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


@dataclass
class ResultSet:
    id: int
    event_id: int
    name: str
    preliminary: str
    splits: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class FakeRunSignUp:
    """The server's state; tests read and change it directly."""

    key: str
    secret: str
    race_id: int
    event_ids: tuple[int, ...]
    participants: dict[int, dict[str, Any]] = field(default_factory=dict)  # by registration id
    result_sets: dict[int, ResultSet] = field(default_factory=dict)
    clock: int = 1_700_000_000
    fail_next: int = 0
    delay_next: float = 0.0
    after_page: Callable[[FakeRunSignUp, int], None] | None = None
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    denied: bool = False  # the key's account is not a timer or director of the race
    errors_as_200: bool = False  # RunSignUp may answer an API error with HTTP 200
    rows_received: int = 0
    pages_served: int = 0
    _next_id: int = 1000
    _next_reg: int = 5_000_000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tick(self) -> int:
        """Advance the fake clock by a second: a later modification time."""
        self.clock += 1
        return self.clock

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add(self, event_id: int, n: int, *, seed: int = 1, bib_from: int = 1) -> list[int]:
        """Register ``n`` runners in the event with bibs and chips; returns their ids."""
        rng = random.Random(seed)
        ids = []
        for i in range(n):
            self._next_reg += 1
            reg = self._next_reg
            bib = bib_from + i
            self.participants[reg] = {
                "user": {
                    "user_id": 900_000 + reg,
                    "first_name": rng.choice(FIRST),
                    "last_name": rng.choice(LAST),
                    "email": f"runner{reg}@example.com",
                    "address": {"city": "Hartford", "state": "CT", "zipcode": "06103",
                                "country_code": "US"},
                    "dob": f"{rng.randint(1950, 2010)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                    "gender": rng.choice("MF"),
                    "phone": None,
                },
                "registration_id": reg,
                "event_id": event_id,
                "bib_num": bib,
                "chip_num": f"C{bib:05d}",
                "age": None,
                "team_id": None,
                "team_name": None,
                "team_bib_num": None,
                "last_modified": self.clock,
            }  # fmt: skip
            ids.append(reg)
        return ids

    def modify(self, reg: int, **changes: Any) -> None:
        """Change a registration as RunSignUp would: new values, a later last_modified."""
        self.participants[reg].update(changes)
        self.participants[reg]["last_modified"] = self.tick()

    # Contract checks shared by every endpoint.

    def authenticate(self, request: Request) -> None:
        q = request.query_params
        if q.get("format") != "json":
            raise ApiError(400, 10, "Response format not supported for this REST method")
        if "rsu_api_key" in q:
            ok = q["rsu_api_key"] == self.key and request.headers.get("x-rsu-api-secret") == (
                self.secret
            )
        else:
            ok = q.get("api_key") == self.key and q.get("api_secret") == self.secret
        if not ok:
            raise ApiError(401, 6, "Key authentication failed")
        if self.denied:
            raise ApiError(403, 7, "Permission Denied")

    def check_race(self, race_id: int, event_id: str | None) -> int:
        if race_id != self.race_id:
            raise ApiError(404, 201, "Race not found.")
        try:
            event = int(event_id or "")
        except ValueError:
            raise ApiError(400, 3, "Invalid parameters") from None
        if event not in self.event_ids:
            raise ApiError(400, 223, "Event id not valid.")
        return event

    def result_set(self, q: Any, event: int) -> ResultSet:
        try:
            rs = self.result_sets[int(q.get("individual_result_set_id") or "")]
        except (KeyError, ValueError):
            raise ApiError(400, 15, "Invalid ID.") from None
        if rs.event_id != event:
            raise ApiError(400, 15, "Invalid ID.")
        return rs


def _page(fake: FakeRunSignUp, event: int, q: Any) -> list[dict[str, Any]]:
    per_page = int(q.get("results_per_page") or 50)
    if not 1 <= per_page <= 2500:
        raise ApiError(400, 3, "Invalid parameters")
    page = int(q.get("page") or 1)
    rows = [p for p in fake.participants.values() if p["event_id"] == event]
    if "modified_after_timestamp" in q:
        since = int(q["modified_after_timestamp"])
        rows = [p for p in rows if p["last_modified"] >= since]  # on OR after
    if "after_registration_id" in q:
        after = int(q["after_registration_id"])
        rows = [p for p in rows if p["registration_id"] > after]
    if q.get("sort", "registration_id ASC") != "registration_id ASC":
        raise ApiError(400, 3, "Invalid parameters")
    rows.sort(key=lambda p: p["registration_id"])
    return [dict(p) for p in rows[(page - 1) * per_page : page * per_page]]


def _match(
    fake: FakeRunSignUp, event: int, row: dict[str, Any], index: dict[str, dict[str, int]]
) -> str:
    """The registrant a result row names: registration id, then bib, then chip."""
    if row.get("registration_id") not in (None, ""):
        reg = int(row["registration_id"])
        if reg in fake.participants and fake.participants[reg]["event_id"] == event:
            return str(reg)
        raise ApiError(400, 11, f"Invalid submission: no registration {reg}")
    for key in ("bib_num", "chip_num"):
        if row.get(key) not in (None, "") and str(row[key]) in index[key]:
            return str(index[key][str(row[key])])
    if row.get("first_name") and row.get("last_name"):
        return f"unmatched:{row.get('bib_num')}:{row['first_name']} {row['last_name']}"
    raise ApiError(400, 11, "Invalid submission: first_name and last_name are required")


def _merge(rs: ResultSet, key: str, row: dict[str, Any]) -> None:
    split_ids = {str(s["split_id"]) for s in rs.splits}
    held = rs.results.setdefault(key, {})
    for name in ("clock_time", "chip_time"):
        value = row.get(name)
        if value in (None, ""):
            continue
        if not (TIME.match(str(value)) or value in STATUS_TIMES):
            raise ApiError(400, 11, f"Invalid submission: {name} {value!r}")
        held[name] = value
    for name, value in row.items():
        if not name.startswith("split-"):
            continue
        if name.removeprefix("split-") not in split_ids:
            raise ApiError(400, 11, f"Invalid submission: unknown split {name}")
        if value in (None, ""):
            continue  # a blank split keeps its value
        if value == "X":
            held.pop(name, None)
        elif TIME.match(str(value)) or value in STATUS_TIMES:
            held[name] = value
        else:
            raise ApiError(400, 11, f"Invalid submission: {name} {value!r}")
    for name in ("bib_num", "chip_num", "registration_id"):
        if row.get(name) not in (None, ""):
            held[name] = row[name]


def make_app(fake: FakeRunSignUp) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def faults(request: Request, call_next: Any) -> Any:
        q = dict(request.query_params)
        for secret in ("api_key", "api_secret", "rsu_api_key"):
            q.pop(secret, None)
        fake.log.append((request.method, request.url.path, q))
        if fake.delay_next:
            delay, fake.delay_next = fake.delay_next, 0.0
            await asyncio.sleep(delay)
        if fake.fail_next:
            fake.fail_next -= 1
            return JSONResponse({"error": "Internal Server Error"}, status_code=500)
        try:
            fake.authenticate(request)
            return await call_next(request)
        except ApiError as exc:
            return _error(exc, fake.errors_as_200)

    def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(request: Request, race_id: int) -> Any:
            try:
                raw = await request.body()
                body = json.loads(raw) if request.method == "POST" and raw else None
            except ValueError:
                return _error(ApiError(400, 11, "Invalid submission: body is not JSON"))
            try:
                with fake.lock:
                    return fn(request.query_params, race_id, body)
            except ApiError as exc:
                return _error(exc, fake.errors_as_200)

        return wrapper

    def participants(q: Any, race_id: int, _body: Any) -> Any:
        event = fake.check_race(race_id, q.get("event_id"))
        rows = _page(fake, event, q)
        fake.pages_served += 1
        if fake.after_page is not None:
            fake.after_page(fake, fake.pages_served)
        return [{"event": {"event_id": event, "participants": []}, "participants": rows}]

    def result_sets(q: Any, race_id: int, _body: Any) -> Any:
        event = fake.check_race(race_id, q.get("event_id"))
        return {"individual_results_sets": [
            {"individual_result_set_id": rs.id, "individual_result_set_name": rs.name,
             "preliminary_results": rs.preliminary}
            for rs in fake.result_sets.values() if rs.event_id == event
        ]}  # fmt: skip

    def new_set(q: Any, race_id: int, body: Any) -> Any:
        event = fake.check_race(race_id, q.get("event_id"))
        if q.get("request_format") != "json" or not isinstance(body, dict):
            raise ApiError(400, 3, "Invalid parameters")
        name = body.get("individual_result_set_name")
        if not name or body.get("preliminary_results", "F") not in ("T", "F"):
            raise ApiError(400, 3, "Invalid parameters")
        rs = ResultSet(fake.new_id(), event, str(name), body.get("preliminary_results", "F"))
        fake.result_sets[rs.id] = rs
        return {"individual_result_set_id": rs.id}

    def set_splits(q: Any, race_id: int, body: Any) -> Any:
        rs = fake.result_set(q, fake.check_race(race_id, q.get("event_id")))
        splits = (body or {}).get("result_set_splits")
        if not isinstance(splits, list):
            raise ApiError(400, 3, "Invalid parameters")
        existing = {s["split_id"] for s in rs.splits}
        declared = []
        for s in splits:
            if s.get("split_id") is not None and s["split_id"] not in existing:
                raise ApiError(400, 15, "Invalid ID.")
            if not s.get("split_name") or s.get("split_distance_units", "M") not in ("M", "K"):
                raise ApiError(400, 3, "Invalid parameters")
            declared.append({**s, "split_id": s.get("split_id") or fake.new_id()})
        rs.splits = declared  # the splits posted completely replace existing ones
        return {"result_set_splits": declared}

    def full_results(q: Any, race_id: int, body: Any) -> Any:
        event = fake.check_race(race_id, q.get("event_id"))
        rs = fake.result_set(q, event)
        rows = (body or {}).get("results")
        if q.get("request_format") != "json" or not isinstance(rows, list):
            raise ApiError(400, 3, "Invalid parameters")
        mine = [p for p in fake.participants.values() if p["event_id"] == event]
        index = {
            k: {str(p[k]): p["registration_id"] for p in mine} for k in ("bib_num", "chip_num")
        }
        matched = [(_match(fake, event, row, index), row) for row in rows]
        for key, row in matched:  # checked first: a bad row leaves the set as it was
            _merge(ResultSet(0, event, "", "", rs.splits, {}), key, row)
        for key, row in matched:
            _merge(rs, key, row)
        fake.rows_received += len(rows)
        return {"results_submitted": len(rows)}

    def clear(q: Any, race_id: int, _body: Any) -> Any:
        rs = fake.result_set(q, fake.check_race(race_id, q.get("event_id")))
        rs.results.clear()
        return {"success": True}

    base = "/Rest/race/{race_id}"
    app.add_api_route(f"{base}/participants", guarded(participants), methods=["GET"])
    app.add_api_route(f"{base}/results/get-result-sets", guarded(result_sets), methods=["GET"])
    app.add_api_route(f"{base}/results/new-result-set", guarded(new_set), methods=["POST"])
    app.add_api_route(f"{base}/results/result-set-splits", guarded(set_splits), methods=["POST"])
    app.add_api_route(f"{base}/results/full-results", guarded(full_results), methods=["POST"])
    app.add_api_route(f"{base}/results/clear-results", guarded(clear), methods=["POST"])
    return app


def _error(exc: ApiError, as_200: bool = False) -> JSONResponse:
    return JSONResponse(
        {"error": {"error_code": exc.code, "error_msg": exc.msg}},
        status_code=200 if as_200 else exc.status,
    )


@contextmanager
def serving(fake: FakeRunSignUp) -> Iterator[str]:
    """Serve the fake on 127.0.0.1, port 0, in a thread; yield its base URL (…/Rest/)."""
    from tests.test_serve_fixtures import running

    with running(make_app(fake)) as base:
        yield base + "/Rest/"

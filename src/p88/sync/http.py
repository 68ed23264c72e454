"""Talking to RunSignUp's REST API: authentication, retries, and errors a crew can act on.

Every call goes through ``RunSignUp.call``: httpx with a timeout, tenacity retries with
exponential backoff for what may pass (connection errors, timeouts, HTTP 5xx and 429,
RunSignUp's "request throttled" code 14), and none for what will not (any other 4xx or
API error), which becomes a one-line ``RemoteRefused`` naming what to fix.

Authentication follows the documented "API v2" form: ``rsu_api_key`` as a query
parameter and the secret in the ``X-RSU-API-SECRET`` header, so the secret is never part
of a URL. The key is in the URL, so a logging filter masks both values in anything
httpx or httpcore logs while a client is open, and error messages name only the path.

Assumptions (the public documentation does not spell these out; see the sync report):
POST bodies are sent as raw JSON with ``request_format=json`` in the query string; an API
error may come back as ``{"error": {"error_code": N, "error_msg": "..."}}`` with any
HTTP status, and is treated by its code (6 key, 7 permission, 201 race, 223 event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from p88.errors import ConfigError
from p88.sync.errors import RemoteRefused, RemoteUnavailable

DEFAULT_URL = "https://runsignup.com/Rest/"
MAX_PER_PAGE = 2500  # RunSignUp's documented ceiling for results_per_page
_LOGGERS = ("httpx", "httpcore")
_KEY_FIX = (
    "set P88_RUNSIGNUP_API_KEY and P88_RUNSIGNUP_API_SECRET "
    "(or runsignup_api_key / runsignup_api_secret in p88.toml)"
)


@dataclass(frozen=True)
class Credentials:
    """A RunSignUp API key and secret; ``repr`` never shows them."""

    key: str = field(repr=False)
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Request:
    """One call as ``--dry-run`` shows it: no credentials, the body as it would be sent."""

    method: str
    path: str
    params: dict[str, Any]
    body: Any = None


class _Transient(Exception):
    """A failure worth another try; ``reason`` says what happened, for the final message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Redact(logging.Filter):
    """Masks the key and secret in any log record that would carry them."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(s in text for s in self.secrets):
            for s in self.secrets:
                text = text.replace(s, "****")
            record.msg, record.args = text, ()
        return True


class RunSignUp:
    """A RunSignUp REST client for one base URL and one key; use it as a context manager."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 15.0,
        attempts: int = 5,
        backoff: float = 0.5,
        max_wait: float = 8.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"runsignup_url must be an http(s) URL, got {base_url!r}",
                hint=f"set P88_RUNSIGNUP_URL, or leave it unset for {DEFAULT_URL}",
            )
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._creds = credentials
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"X-RSU-API-SECRET": credentials.secret, "Accept": "application/json"},
        )
        self._attempts = attempts
        self._wait = wait_exponential(multiplier=backoff, max=max_wait)
        self._sleep = sleep
        self._filter = _Redact((credentials.key, credentials.secret))
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        self.calls = 0

    def __enter__(self) -> RunSignUp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
        for name in _LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)

    def call(self, request: Request) -> Any:
        """Send ``request`` with retries; the decoded JSON answer, or a typed error."""
        kwargs: dict[str, Any] = {} if self._sleep is None else {"sleep": self._sleep}
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            reraise=True,
            **kwargs,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(request)
        except _Transient as exc:
            raise RemoteUnavailable(
                f"RunSignUp did not answer {request.method} {request.path} after "
                f"{self._attempts} tries (last: {exc.reason})",
                hint="check the network, or P88_RUNSIGNUP_URL; run again to resume",
            ) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _once(self, request: Request) -> Any:
        params = {"format": "json", "rsu_api_key": self._creds.key, **request.params}
        self.calls += 1
        try:
            response = self._client.request(
                request.method,
                request.path.lstrip("/"),
                params=params,
                json=request.body if request.method == "POST" else None,
            )
        except httpx.TimeoutException:
            raise _Transient("timed out") from None
        except httpx.TransportError as exc:
            raise _Transient(f"connection failed: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise _Transient(f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            data = None
        api_error = data.get("error") if isinstance(data, dict) else None
        if response.status_code >= 400 or api_error:
            self._refuse(request, response.status_code, api_error)
        if data is None:
            raise _Transient(f"HTTP {response.status_code} with a body that is not JSON")
        return data

    def _refuse(self, request: Request, status: int, api_error: Any) -> None:
        code = msg = None
        if isinstance(api_error, dict):
            code = api_error.get("error_code")
            msg = str(api_error.get("error_msg") or "")
        elif api_error:
            msg = str(api_error)
        for secret in (self._creds.key, self._creds.secret):
            msg = msg.replace(secret, "****") if msg and secret else msg
        if code == 14:
            raise _Transient("request throttled")
        race = request.path.strip("/").split("/")[1] if request.path.count("/") >= 2 else "?"
        event = request.params.get("event_id", "?")
        if status == 401 or code == 6:
            raise RemoteRefused(
                "RunSignUp refused the API key and secret", status=status, code=code, hint=_KEY_FIX
            )
        if status == 403 or code == 7:
            raise RemoteRefused(
                f"RunSignUp denied access to race {race}",
                status=status,
                code=code,
                hint="the key's account must be a timer or director of that race",
            )
        if code == 223 or (code == 15 and "event" in (msg or "").lower()):
            raise RemoteRefused(
                f"RunSignUp has no event {event} in race {race}",
                status=status,
                code=code,
                hint="check --event-id",
            )
        if status == 404 or code == 201:
            raise RemoteRefused(
                f"RunSignUp has no race {race} (or no {request.path})",
                status=status,
                code=code,
                hint="check --race-id and --event-id, and P88_RUNSIGNUP_URL",
            )
        detail = f": {msg}" if msg else ""
        raise RemoteRefused(
            f"RunSignUp refused {request.method} {request.path} (HTTP {status}"
            f"{f', code {code}' if code else ''}){detail}",
            status=status,
            code=code,
        )

    # The endpoints p88 uses.

    def participants(
        self,
        race_id: int,
        event_id: int,
        *,
        modified_after: int | None = None,
        per_page: int = 1000,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of an event's participants, oldest registration first.

        Pages by ``after_registration_id`` with ``sort=registration_id ASC`` (as RunSignUp's
        help recommends) rather than by page number, so a registration added or changed
        between two pages neither shifts a row into the next page twice nor skips one. A
        page shorter than ``per_page`` is the last.
        """
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        after: int | None = None
        while True:
            params: dict[str, Any] = {
                "event_id": event_id,
                "page": 1,
                "results_per_page": per_page,
                "sort": "registration_id ASC",
            }
            if after is not None:
                params["after_registration_id"] = after
            if modified_after is not None:
                params["modified_after_timestamp"] = modified_after
            data = self.call(Request("GET", f"race/{race_id}/participants", params))
            rows = participant_rows(data)
            if rows:
                yield rows
            if len(rows) < per_page:
                return
            after = max(int(r["registration_id"]) for r in rows)


def participant_rows(data: Any) -> list[dict[str, Any]]:
    """The participants in a participants answer: a list of per-event objects, or one.

    RunSignUp lists every event's participants in the top-level ``participants`` of each
    object (the per-event ``participants`` array is documented as always empty).
    """
    blocks = data if isinstance(data, list) else [data]
    rows: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, dict):
            rows.extend(p for p in block.get("participants") or [] if isinstance(p, dict))
    return rows

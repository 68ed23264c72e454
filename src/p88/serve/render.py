"""Store values as the seed's JSON: ISO timestamps, times of day to the hundredth."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from p88 import units
from p88.store import format_read_time


def value_json(value: Any) -> Any:
    """One value as JSON: dates ISO 8601, ``time`` HH:MM:SS.hh, numbers as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):
        return format_read_time(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def read_json(row: dict[str, Any]) -> dict[str, Any]:
    """A read (every column plus the seed's extras) with JSON-ready values."""
    out = {key: value_json(val) for key, val in row.items()}
    if out.get("seconds_ago") is not None:
        out["seconds_ago"] = round(out["seconds_ago"], 4)
    return out


def elapsed_text(seconds: float | None) -> str | None:
    """Elapsed seconds as ``H:MM:SS.hh`` (truncated to the hundredth), or ``None``."""
    return None if seconds is None else units.elapsed_text(seconds)

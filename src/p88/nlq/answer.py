"""The answer: rows, and one line that says how the question was understood.

``describe`` states the frame back in words, defaults included ("chip time", "finishers
only"), so a reader can tell at once whether p88 answered the question they asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from p88.nlq.entities import DISTANCE_LABEL
from p88.nlq.frame import Frame
from p88.nlq.places import STATE_NAMES
from p88.units import elapsed_text, json_value, pace_text

_OP_WORDS = {"<": "under", "<=": "at or under", ">": "over", ">=": "at or over"}
_SEX = {"F": "women", "M": "men", "X": "non-binary runners"}
_METRIC = {
    "count": "Counted",
    "percent": "Percentage of",
    "list": "Listed",
    "top": "Top",
    "min": "Fastest time of",
    "max": "Slowest time of",
    "avg": "Average time of",
    "median": "Median time of",
    "distribution": "Distribution of times of",
    "pr": "Personal best of",
    "repeat": "Counted repeat runners (2+ results) among",
    "bq": "Boston qualifiers among",
}


@dataclass
class Answer:
    """What ``p88.nlq.ask`` returns."""

    question: str
    understood: str
    frame: Frame
    sql: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    confidence: float
    model_assisted: bool = False
    role: str = ""
    elapsed_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "understood": self.understood,
            "confidence": self.confidence,
            "model_assisted": self.model_assisted,
            "sql": self.sql,
            "columns": self.columns,
            "rows": [[json_value(v) for v in row] for row in self.rows],
            "frame": self.frame.as_dict(),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def clock(seconds: float) -> str:
    """``1:02:03`` or ``1:02:03.45``: a time in an answer (truncated, as ``p88.units``)."""
    return elapsed_text(seconds, trim=True)


def plain(value: Any) -> Any:
    """A cell as table text: intervals as H:MM:SS, decimals as floats.

    JSON carries intervals as ``p88.units.duration_json`` instead (``Answer.as_json``).
    """
    if isinstance(value, timedelta):
        return clock(value.total_seconds())
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def describe(frame: Frame, rows: list[tuple[Any, ...]] | None = None) -> str:
    """One line: what was computed, over what, with which defaults; and the value."""
    measure = {"chip": "chip time", "gun": "gun time", "pace": "pace"}[frame.measure]
    if frame.subject == "reads":
        where = f"session {frame.session_id}" if frame.session_id is not None else "all sessions"
        extra = f" at {frame.location}" if frame.location else ""
        since = f" in the last {frame.minutes_back} minutes" if frame.minutes_back else ""
        head = "Listed latest reads" if frame.metric == "list" else "Counted reads"
        return _with_value(f"{head} of {where}{extra}{since} (raw timing reads)", frame, rows)
    who = _who(frame)
    scope = _scope(frame)
    if frame.subject == "events":
        head = "Counted events" if frame.metric == "count" else "Listed events"
        return _with_value(f"{head}{scope}", frame, rows)
    head = _METRIC[frame.metric]
    if frame.metric == "top":
        head = f"Top {frame.top_n}" if not frame.slowest else f"Slowest {frame.top_n}"
        head += f" by {measure} (placings use gun time unless --time chip)"
        who = who.replace("finishers", "finishers", 1)
    text = f"{head} {who}{scope}"
    conds = [
        f"{'pace' if c.measure == 'pace' else c.measure + ' time'} {_OP_WORDS[c.op]} "
        f"{pace_text(c.seconds) if c.measure == 'pace' else clock(c.seconds)}"
        for c in frame.conditions
    ]
    if conds:
        text += " with " + " and ".join(conds)
    if frame.metric in ("min", "max", "avg", "median", "distribution", "pr"):
        text += f" ({measure})"
    if frame.metric == "bq":
        text += f" (chip time at or under the {frame.bq_year} Boston standard for sex and age)"
    if frame.metric == "percent":
        text += " out of all of them"
    if frame.group_by:
        text += ", by " + ", ".join(g.replace("_", " ") for g in frame.group_by)
    return _with_value(text, frame, rows)


def _who(frame: Frame) -> str:
    parts = []
    if frame.participant_name:
        parts.append(frame.participant_name + ",")
    if frame.sex:
        parts.append(_SEX[frame.sex])
    if frame.age_min is not None or frame.age_max is not None:
        if frame.age_max is None:
            parts.append(f"aged {frame.age_min}+")
        elif frame.age_min is None:
            parts.append(f"aged under {frame.age_max + 1}")
        elif frame.age_min == frame.age_max:
            parts.append(f"aged {frame.age_min}")
        else:
            parts.append(f"aged {frame.age_min}-{frame.age_max}")
    status = {
        "finished": "finishers",
        "entered": "entrants (any status)",
        "DNF": "DNFs",
        "DNS": "DNSs",
        "DQ": "disqualified runners",
    }[frame.status]
    people = frame.people and frame.metric != "repeat"
    parts.append(("people among " if people else "") + status)
    if frame.home_city:
        parts.append(f"from {frame.home_city}")
    if frame.home_state:
        parts.append(f"from {STATE_NAMES.get(frame.home_state, frame.home_state)}")
    return " ".join(parts)


def _scope(frame: Frame) -> str:
    years = ""
    if frame.year_from is not None or frame.year_to is not None:
        lo, hi = frame.year_from, frame.year_to
        years = (
            f" {lo}" if lo == hi else f" {lo}-{hi}" if lo and hi else f" since {lo}" if lo
            else f" up to {hi}"
        )  # fmt: skip
    race = f" ({DISTANCE_LABEL.get(frame.distance, '')})" if frame.distance else ""
    if frame.series:
        return f" of {frame.series}{years}{race}" + ("" if frame.distance else " (all races)")
    where = f" in {STATE_NAMES.get(frame.event_state, '')}" if frame.event_state else ""
    owner = " of your events" if frame.partner_id is not None else " of all events"
    if frame.subject == "events":
        owner = " (yours)" if frame.partner_id is not None else ""
    recent = " in the last 12 months" if frame.recent_days else ""
    return f"{owner}{where}{years}{recent}{race}"


def _with_value(text: str, frame: Frame, rows: list[tuple[Any, ...]] | None) -> str:
    if rows is None:
        return text
    if len(rows) == 1 and len(rows[0]) >= 1 and frame.metric not in ("list", "top", "pr"):
        if not frame.group_by and frame.metric != "distribution":
            return f"{text}: {plain(rows[0][0])}"
    if frame.metric == "list" and len(rows) >= 100:
        return f"{text}: the first {len(rows)} rows (capped; narrow the question for the rest)"
    return f"{text}: {len(rows)} row{'s' if len(rows) != 1 else ''}"

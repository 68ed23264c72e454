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
    "repeat": "Counted people with repeat results among",
    "bq": "Boston qualifiers among",
    "percentile": "Percentiles of",
    "pb_set": "Personal bests set (faster than every earlier finish at the distance) by",
    "improved": "Counted people faster in the later year among",
    "stddev": "Standard deviation (sample) of the times of",
}
_MEASURE = {
    "chip": "chip time", "gun": "gun time", "pace": "pace per mile", "pace_km": "pace per km",
    "gap": "gun time minus chip time", "age": "age",
}  # fmt: skip


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
    measure = _MEASURE[frame.measure]
    if frame.subject == "reads":
        where = f"session {frame.session_id}" if frame.session_id is not None else "all sessions"
        extra = f" at {frame.location}" if frame.location else ""
        since = f" in the last {frame.minutes_back} minutes" if frame.minutes_back else ""
        head = "Listed latest reads" if frame.metric == "list" else "Counted reads"
        if frame.metric == "list" and frame.top_n:
            head = f"Listed the {frame.top_n} latest reads"
        if frame.unique_tags and frame.metric != "list":
            head = "Counted distinct tags (then reads)"
        per = ", by location" if "location" in frame.group_by else ""
        return _with_value(f"{head} of {where}{extra}{since} (raw timing reads){per}", frame, rows)
    if frame.subject == "standards":
        parts = [f"Boston {frame.bq_year}" if frame.bq_year else "every loaded Boston year"]
        parts += [_SEX[frame.sex]] if frame.sex else []
        if frame.age_min is not None or frame.age_max is not None:
            lo, hi = frame.age_min, frame.age_max
            parts.append(f"age {lo if lo == hi else f'{lo}-{hi}'} on Boston race day")
        head = "Boston qualifying standards (meet or beat, chip time) for " + ", ".join(parts)
        return _with_value(head, frame, rows)
    who = _who(frame)
    scope = _scope(frame)
    if frame.subject == "events":
        head = "Counted events" if frame.metric == "count" else "Listed events"
        return _with_value(f"{head}{scope}", frame, rows)
    head = _METRIC[frame.metric]
    if frame.metric == "percentile":
        head = "Percentile " + ", ".join(f"{round(p * 100)}" for p in frame.percentiles) + " of"
    if frame.metric == "bq" and frame.bq_percent:
        head = "Percentage of Boston qualifiers among"
    if frame.metric == "top" and frame.group_by:
        head = (
            f"{'Slowest' if frame.slowest else 'Top'} {frame.top_n or 1} in each group by {measure}"
        )
    elif frame.metric == "top":
        head = f"Top {frame.top_n}" if not frame.slowest else f"Slowest {frame.top_n}"
        head += f" by {measure} (placings use gun time unless --time chip)"
        if frame.measure == "age":
            head = "Oldest" if frame.slowest else "Youngest"
            head += " (everyone at that age) of"
        who = who.replace("finishers", "finishers", 1)
    if frame.both_distances is not None or frame.both_years:
        pair = (
            "a " + " and a ".join(DISTANCE_LABEL.get(d, f"{d} m") for d in frame.both_distances)
            if frame.both_distances is not None
            else "finishes in both " + " and ".join(map(str, frame.years))
        )
        head = f"{'Counted' if frame.metric == 'count' else 'Listed'} people with {pair};"
    if frame.more_than is not None:
        a, b = (_SEX[s] for s in frame.more_than)
        head = f"Counted {a} minus {b} among"
    if frame.more_years is not None:
        y1, y2 = frame.more_years
        head = f"Counted {y1} minus {y2}:"
    text = f"{head} {who}{scope}"
    conds = [
        f"{'pace' if c.measure == 'pace' else c.measure + ' time'} {_OP_WORDS[c.op]} "
        f"{pace_text(c.seconds) if c.measure == 'pace' else clock(c.seconds)}"
        for c in frame.conditions
    ]
    if frame.behind_winner is not None:
        winner = {"F": "the women's winner", "M": "the men's winner"}.get(
            frame.winner_sex or "", "the race's overall winner"
        )
        conds.append(f"gun time within {clock(frame.behind_winner)} of {winner}")
    if conds:
        text += " with " + " and ".join(conds)
    timed = ("min", "max", "avg", "median", "distribution", "pr", "percentile", "stddev")
    if frame.metric == "pb_set" and frame.bq_percent:
        text = text.replace(head, "Percentage of finishers who set a personal best among", 1)
    if frame.measure == "age" and frame.metric in ("min", "max", "avg", "median"):
        word = {"min": "Youngest", "max": "Oldest", "avg": "Average", "median": "Median"}
        text = text.replace(head, f"{word[frame.metric]} age of")
    elif frame.metric in timed:
        text += f" ({measure})"
    if frame.bq_margin is not None:
        op, seconds = frame.bq_margin
        text += f" by {'more than' if op == '>' else 'at least'} {clock(seconds)}"
    if frame.metric == "repeat":
        span = "all years" if frame.year_from is None else "within the years asked"
        text += f", each with {frame.min_results} or more results ({span})"
        if frame.top_n is not None:
            text = text.replace("Counted people with repeat results", "Listed people", 1)
    if frame.metric == "improved" and frame.got_slower:
        text = text.replace("faster in the later year", "slower in the later year", 1)
    if frame.metric == "improved" and frame.years:
        text += f" who finished in both {frame.years[0]} and {frame.years[-1]} (chip time)"
        if frame.top_n is not None:
            text = text.replace("Counted people faster", "Listed people faster", 1)
            text += f", most improved first, top {frame.top_n}"
    if frame.metric == "bq":
        text += (
            " (chip time at or under the Boston standard for sex and age on Boston race day,"
            " of the Boston year whose window holds the race)"
        )
    if frame.metric == "percent" or frame.bq_percent:
        text += _share_parts(frame, conds)
    if frame.group_by:
        text += ", by " + ", ".join(g.replace("_", " ") for g in frame.group_by)
    if frame.ranked_by is not None:
        counted = frame.metric in ("count", "percent", "bq")
        desc = frame.rank_desc if frame.rank_desc is not None else counted
        order = ("most first" if desc else "least first") if counted else (
            "slowest first" if desc else "fastest first"
        )  # fmt: skip
        top = f", top {frame.rank_limit} (ties included)" if frame.rank_limit else ""
        text += f", ranked {order}{top}"
    if frame.min_group:
        text += f", only groups of at least {frame.min_group}"
    history = frame.metric in ("pb_set", "improved", "repeat") or frame.debut
    if history and frame.partner_id is not None:
        text += " (a runner's history here is their results at your events only)"
    if frame.notes:
        text += " [" + "; ".join(frame.notes) + "]"
    return _with_value(text, frame, rows)


def _share_parts(frame: Frame, conds: list[str]) -> str:
    """What a share counts and what it is out of, said outright."""
    who = [_SEX[frame.sex]] if frame.sex else []
    if frame.age_min is not None or frame.age_max is not None:
        who.append("the ages asked")
    if frame.home_state or frame.home_city or frame.out_of_state is not None or frame.debut:
        who.append("the home/first-time condition")
    counted: list[str] = []
    if frame.status in ("DNF", "DNS", "DQ"):
        counted.append(frame.status)
    if frame.share_finished:
        counted.append("finished")
    if frame.metric == "bq":
        counted.append("qualified for Boston")
    counted += [] if frame.who_in_population else who
    counted += [] if frame.conds_in_population else conds
    among = (who if frame.who_in_population else []) + (conds if frame.conds_in_population else [])
    if not counted:
        return " (each group's share of them all)" if frame.group_by else ""
    out = (
        "every entry"
        if frame.status == "entered" or counted[:1] in (["DNF"], ["DNS"], ["DQ"])
        else "starters"
        if frame.status == "started"
        else "finishers"
    )
    if among:
        out += " with " + " and ".join(among)
    return f" [counted: {' and '.join(counted)}; out of: {out}]"


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
        "started": "starters (finished, DNF or DQ)",
        "DNF": "DNFs",
        "DNS": "DNSs",
        "DQ": "disqualified runners",
    }[frame.status]
    people = frame.people and frame.metric not in ("repeat", "improved")
    parts.append(("people among " if people else "") + status)
    if frame.debut:
        parts.insert(0, "first-time (no earlier finish at the distance)")
    if frame.out_of_state is not None:
        parts.append("from out of state" if frame.out_of_state else "from the race's state")
    if frame.home_city:
        parts.append(f"from {frame.home_city}")
    if frame.home_state:
        where = "from outside" if frame.home_state_not else "from"
        parts.append(f"{where} {STATE_NAMES.get(frame.home_state, frame.home_state)}")
    return " ".join(parts)


def _scope(frame: Frame) -> str:
    years = ""
    if frame.years:
        years = " " + " and ".join(str(y) for y in frame.years)
    elif frame.year_from is not None or frame.year_to is not None:
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
    listed: tuple[str, ...] = ("list", "top", "pr")
    if frame.metric in ("pb_set", "bq", "repeat", "improved") and frame.top_n is not None:
        listed = (frame.metric,)
    if len(rows) == 1 and len(rows[0]) >= 1 and frame.metric not in listed:
        if not frame.group_by and frame.metric != "distribution":
            return f"{text}: {plain(rows[0][0])}"
    if (frame.metric == "list" or frame.metric in listed) and len(rows) >= 100:
        return f"{text}: the first {len(rows)} rows (capped; narrow the question for the rest)"
    return f"{text}: {len(rows)} row{'s' if len(rows) != 1 else ''}"

"""The optional ``--llm URL`` fallback: a local model (Ollama-compatible ``/api/generate``)
fills the same frame as JSON, or failing that writes SQL.

Off by default. Used only when the compiler did not understand a question. The model gets
the frame's fields and the catalog's event names, at temperature 0 with structured
output. Its frame is validated field by field; its SQL passes the same guard as everything
else and runs the same read-only way. The answer says it was model-assisted.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING, Any, get_args

from p88.errors import P88Error
from p88.nlq.answer import Answer, describe
from p88.nlq.catalog import Catalog
from p88.nlq.compile import compile_frame, render
from p88.nlq.execute import run
from p88.nlq.frame import Condition, Frame, Metric, NotUnderstood
from p88.nlq.guard import guard
from p88.nlq.schema import POLICY, TABLES
from p88.nlq.understand import events_for
from p88.units import STANDARD_DISTANCES, whole_metres

if TYPE_CHECKING:
    import psycopg

DEFAULT_MODEL = "qwen2.5-coder:7b"
TIMEOUT_S = 30.0
_FRAME_FIELDS = {
    "metric": "count|percent|list|top|min|max|avg|median|distribution|pr|repeat|bq",
    "measure": "chip|gun|pace",
    "status": "finished|entered|DNF|DNS|DQ",
    "series": "an event name from the list, or null",
    "distance": "|".join(str(whole_metres(d)) for d in STANDARD_DISTANCES) + "|null",
    "year_from": "year or null",
    "year_to": "year or null",
    "sex": "M|F|X|null",
    "age_min": "int or null",
    "age_max": "int or null",
    "home_state": "two-letter code or null",
    "group_by": "list of sex|age_group|year|event|state|distance",
    "top_n": "int or null",
    "conditions": "list of {measure: chip|gun|pace, op: <|<=|>|>=, seconds: number}",
}


class ModelError(P88Error):
    """The model could not be reached or gave nothing usable."""


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        url.rstrip("/") + "/api/generate", data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - user's URL
            reply = json.loads(resp.read().decode())
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError, OSError) as exc:
        raise ModelError(f"the model at {url} did not answer: {exc}") from None
    if not isinstance(reply, dict):
        raise ModelError("the model's reply is not a JSON object")
    return reply


def _generate(url: str, model: str, prompt: str) -> dict[str, Any]:
    reply = _post(
        url,
        {
            "model": model,
            "prompt": prompt,
            "format": "json",
            "stream": False,
            "options": {"temperature": 0},
        },
    )
    try:
        out = json.loads(str(reply.get("response", "")))
    except json.JSONDecodeError:
        return {}
    return out if isinstance(out, dict) else {}


def frame_from_json(data: dict[str, Any], catalog: Catalog) -> Frame | None:
    """A validated frame from the model's JSON, or None if any field is off."""
    frame = Frame()
    known = {f.name for f in fields(Frame)}
    try:
        metric = data.get("metric")
        if metric not in get_args(Metric) or metric in ("events", "reads"):
            return None
        for key, value in data.items():
            if key not in _FRAME_FIELDS or key not in known or value is None:
                continue
            if key == "conditions":
                frame.conditions = [
                    Condition(c["measure"], c["op"], float(c["seconds"])) for c in value
                ]
                if any(
                    c.op not in ("<", "<=", ">", ">=") or c.measure not in ("chip", "gun", "pace")
                    for c in frame.conditions
                ):
                    return None
            elif key == "series":
                if value not in catalog.series:
                    return None
                frame.series = value
            elif key == "group_by":
                allowed = {"sex", "age_group", "year", "event", "state", "distance"}
                if not set(value) <= allowed:
                    return None
                frame.group_by = list(value)
            elif key in ("distance", "year_from", "year_to", "age_min", "age_max", "top_n"):
                setattr(frame, key, int(value))
            else:
                setattr(frame, key, str(value))
    except (KeyError, TypeError, ValueError):
        return None
    if frame.measure not in ("chip", "gun", "pace") or frame.status not in (
        "finished", "entered", "DNF", "DNS", "DQ"
    ):  # fmt: skip
        return None
    return frame


def ask_model(
    question: str,
    conn: psycopg.Connection[Any],
    url: str,
    catalog: Catalog,
    *,
    partner_id: int | None = None,
    today: date | None = None,
    model: str = DEFAULT_MODEL,
) -> Answer:
    """Ask the model for a frame (then for SQL); guard and run what it gives."""
    today = today or date.today()
    mine = catalog.for_partner(partner_id)
    prompt = (
        "Fill this JSON frame for a question about race results. Fields: "
        + json.dumps(_FRAME_FIELDS)
        + ". Event names: "
        + json.dumps(sorted(mine.series))
        + f". Today is {today.isoformat()}. Question: {question}"
    )
    frame = frame_from_json(_generate(url, model, prompt), mine)
    if frame is not None:
        frame.partner_id = partner_id
        frame.confidence = 0.6
        events = events_for(frame, mine, today)
        race_ids = None if events is None else mine.race_ids(events, frame.distance)
        guarded = guard(render(compile_frame(frame, race_ids)), POLICY, partner_id=partner_id)
        understood = "Model-assisted: " + describe(frame)
    else:
        sql_prompt = (
            "Write one PostgreSQL SELECT answering the question. Tables and columns: "
            + json.dumps({t: sorted(c) for t, c in TABLES.items()})
            + f'. Reply as JSON {{"sql": "..."}}. Question: {question}'
        )
        sql = _generate(url, model, sql_prompt).get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise NotUnderstood(
                "neither p88 nor the model understood the question", words=[], suggestions=[]
            )
        guarded = guard(sql, POLICY, partner_id=partner_id)
        frame = Frame(confidence=0.3)
        understood = "Model-assisted (SQL written by the model, checked by the guard)"
    rows = run(conn, guarded)
    return Answer(
        question=question,
        understood=f"{understood}: {len(rows.rows)} row{'s' if len(rows.rows) != 1 else ''}",
        frame=frame,
        sql=guarded.sql,
        columns=rows.columns,
        rows=rows.rows,
        confidence=frame.confidence,
        model_assisted=True,
        role=rows.role,
    )

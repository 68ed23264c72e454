"""Questions about the Boston qualifying standards themselves ("what is the Boston 2026
qualifying standard for a 47 year old man"), answered from ``bq_standards``.

The standards are keyed by Boston year, sex and age on Boston race day; a question may fix
any of them. Every other word must be a function word, or the question is refused (a
question about qualifiers at a race is not this one: it names the race).
"""

from __future__ import annotations

import re

from sqlglot import exp

from p88.nlq import vocab
from p88.nlq.catalog import words
from p88.nlq.entities import Entities
from p88.nlq.frame import Frame
from p88.nlq.nodes import alias, col, num, table, text

__all__ = ["standards_frame", "standards_query"]

STANDARD = re.compile(
    r"\b(?:(?:bq|boston(?: (?:19|20)\d\d)?(?: marathon)? qualifying) (?:standards?|times?)"
    r"|boston(?: (?:19|20)\d\d)?(?: marathon)? standards?"
    r"|qualifying (?:standards?|times?)(?: for (?:the )?boston(?: marathon)?)?"
    r"|standards? (?:to qualify )?for (?:the )?boston(?: marathon)?)\b"
)
_FIGURES = (vocab.AVG, vocab.MEDIAN, vocab.PERCENT, vocab.COUNT, vocab.MIN, vocab.MAX)
_MORE = re.compile(
    r"\b(?:boston|marathon|old|aged?|year|years|for|(?:19|20)\d\d|standards?|qualifying|bq)\b"
)
_BS = "bs"


def standards_frame(ent: Entities, frame: Frame) -> Frame | None:
    """The frame of a question about the standards, or None when it is not one."""
    m = STANDARD.search(ent.text)
    if not m or any(p.search(ent.text) for p in _FIGURES):
        return None
    free = [
        w
        for w, s, e in words(ent.text)
        if not ent.used(s, e) and w not in vocab.VOCAB and not _MORE.fullmatch(w)
        and not (m.start() <= s and e <= m.end())
    ]  # fmt: skip
    if free:
        return None  # other words (a race, a runner): not a question about the table
    frame.subject, frame.metric = "standards", "list"
    frame.bq_year = ent.year_from if ent.year_from == ent.year_to else None
    frame.sex = "F" if ent.sex == "X" else ent.sex
    frame.age_min, frame.age_max = ent.age_min, ent.age_max
    return frame


def standards_query(frame: Frame, limit: int) -> exp.Select:
    """The standards that fit the year, sex and age asked (ages on Boston race day)."""
    fields = ("boston_year", "sex", "age_min", "age_max", "standard")
    conds: list[exp.Expr] = []
    if frame.bq_year is not None:
        conds.append(col(_BS, "boston_year").eq(num(frame.bq_year)))
    if frame.sex:
        conds.append(col(_BS, "sex").eq(text(frame.sex)))
    if frame.age_max is not None:
        conds.append(exp.LTE(this=col(_BS, "age_min"), expression=num(frame.age_max)))
    if frame.age_min is not None:
        conds.append(exp.GTE(this=col(_BS, "age_max"), expression=num(frame.age_min)))
    select = exp.select(*(alias(col(_BS, f), f) for f in fields)).from_(
        table("bq_standards", _BS), copy=False
    )
    if conds:
        select = select.where(exp.and_(*conds, copy=False), copy=False)
    order = [col(_BS, "boston_year"), col(_BS, "sex"), col(_BS, "age_min")]
    return select.order_by(*order, copy=False).limit(num(limit), copy=False)

"""Checks that keep a reading honest: what a share counts (its numerator) and over whom,
and words that must have been read ("most", "top 10", "how many") but were not.
"""

from __future__ import annotations

import re

from p88.nlq import vocab
from p88.nlq.entities import Entities
from p88.nlq.frame import Frame, NotUnderstood

__all__ = ["read_share", "refuse_unused"]


def read_share(ent: Entities, frame: Frame) -> None:
    """Which parts of a share are its numerator (see frame.py)."""
    text = ent.text
    if frame.metric != "percent" and not frame.bq_percent:
        return
    rate = re.search(r"\b(?:finish(?:ing)?|completion) rates?\b", text)
    entries = frame.status in ("entered", "started") and re.search(
        r"\b(?:finished|completed|finish)\b", text
    )
    if rate or entries:
        frame.share_finished = True
        frame.status = "started" if frame.status == "started" else "entered"
        if rate:
            ent.take(rate)
        return
    said = re.search(
        r"\b(?:were|was|are|is) (?:women|men|female|male|ladies|non-binary|masters)", text
    )
    other = bool(frame.conditions) or frame.bq_percent or frame.status in ("DNF", "DNS", "DQ")
    frame.who_in_population = other and not said
    frame.conds_in_population = bool(said)


def refuse_unused(ent: Entities, frame: Frame) -> None:
    """'most', 'fewest' and the like must have been read as a ranking or a top/min/max;
    "top 10" must have chosen rows, and "how many" must not have been read as a list."""
    listing = ("top", "list", "pb_set", "bq", "repeat", "improved", "pr")
    if ent.top_n is not None and frame.ranked_by is None and frame.metric not in listing:
        raise NotUnderstood(
            f"did not understand 'top {ent.top_n}' with a {frame.metric}: p88 lists a top N "
            "or computes over everyone matching",
            words=[f"top {ent.top_n}"],
            suggestions=[],
        )
    if frame.metric == "top" and vocab.COUNT.search(ent.text):
        raise NotUnderstood(
            "did not understand 'how many' of a top N: ask for the top N (a list) or count "
            "everyone matching",
            words=["how many"],
            suggestions=[],
        )
    if frame.ranked_by is not None or frame.metric in ("top", "min", "max", "pr"):
        return
    if frame.metric == "improved" and frame.top_n is not None:
        return
    text = re.sub(r"\bat (?:least|most)\b|\bmost recent(?:ly)?\b", " ", ent.text)
    m = re.search(r"\b(?:most|fewest|least|biggest|largest|smallest|highest|lowest)\b", text)
    if m:
        raise NotUnderstood(
            f"did not understand '{m[0]}' here: p88 ranks events, states, age groups, "
            'years and sexes (e.g. "which state had the most finishers")',
            words=[m[0]],
            suggestions=[],
        )

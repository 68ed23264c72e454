"""Questions p88 refuses outright, whatever else they say: writes (``p88 ask`` is
read-only), questions about the asker ("how did I do"), data p88 does not hold (a Boston
cutoff, heart rates, splits), two answers in one, and any question of an empty database.
"""

from __future__ import annotations

import re

from p88.errors import RefusedError
from p88.nlq.frame import NotUnderstood, Unanswerable

__all__ = ["ReadOnly", "refuse_outright"]


class ReadOnly(RefusedError):
    """A question that asks p88 to change data: ``p88 ask`` is read-only (exit 4, and
    never offered to a model)."""


WRITE = re.compile(
    r"^(?:please |can you |could you |go ahead and |i want to |i need to |let's )?"
    r"(?:delete|remove|drop|update|set|change|insert|add|modify|edit|correct|fix|truncate"
    r"|erase|wipe|create|rename|move|reset|overwrite|replace|mark|disqualify|dq|grant)\b"
)
ME = re.compile(
    r"\bhow did i (?:do|run|finish|place)\b|\bmy (?:time|result|results|place|finish|pr|pb)s?\b"
    r"|\bwhat (?:was|is) my\b|\bdid i (?:qualify|bq|finish|pr|win|place)\b"
    r"|\b(?:was|am|were) i\b|\bdid i\b|\bi (?:ran|finished|placed|got|came)\b"
    r"|\bmy (?:pace|age ?group|rank|ranking|bib|splits?|best|personal best|finishing time"
    r"|marathon|half|race time|chip time|gun time)\b"
)
SPLITS = re.compile(r"\bsplits?\b|\bhalfway\b|\bhalf[- ]way\b|\bintermediate\b|\bnegative split")
MISSING = {
    r"\bcut-?offs?\b": "the Boston cutoff (only the qualifying standards are loaded)",
    r"\bheart ?rates?\b|\bhr\b|\bbpm\b": "heart rates",
    r"\bcadence\b": "cadence",
    r"\bweather\b|\btemperatures?\b|\bhumidity\b|\bwind\b": "the weather",
    r"\bgps\b|\bwatch(?:es)?\b|\bshoes?\b|\bgarmin\b|\bstrava\b": "runners' gear",
    r"\bprize money\b|\bprizes?\b|\bpurse\b": "prize money",
    r"\bdonations?\b|\bfundrais\w*\b|\bcharity\b": "fundraising",
    r"\bentry fees?\b|\bprices?\b|\bcosts?\b|\brevenue\b": "entry fees",
    r"\bvolunteers?\b": "volunteers",
    r"\belevation\b|\bhills?\b|\bclimb\b": "course elevation",
}


def refuse_outright(text: str, has_results: bool, live: bool) -> None:
    """Questions no reading can answer: writes, "how did I do", data p88 does not hold,
    two answers in one ("overall and age group winners")."""
    both = re.search(r"\boverall and (?:age[- ]group|division|masters?)\b", text)
    if both:
        raise NotUnderstood(
            f"'{both[0]}' asks for two lists: ask for the overall winners and the age "
            "group winners separately",
            words=[both[0]],
            suggestions=[],
        )
    if WRITE.search(text):
        raise ReadOnly(
            f"p88 ask is read-only: it answers questions and never changes results "
            f"('{text.split()[0]}' asks for a change)",
            rule="read-only",
            hint="corrections go through p88 results",
        )
    if ME.search(text):
        raise Unanswerable(
            "p88 does not know who you are: ask with your bib or your name and the race, "
            'e.g. "bib 1234 at the Hartford Marathon 2024" or "Jane Smith\'s results"',
            words=["i"],
            suggestions=[],
        )
    if SPLITS.search(text):
        raise Unanswerable(
            "p88 ask does not answer questions about splits yet: it answers from finish "
            "results (times, places, paces) and raw timing reads",
            words=["splits"],
            suggestions=[],
        )
    for pattern, what in MISSING.items():
        m = re.search(pattern, text)
        if m:
            raise Unanswerable(
                f"p88 holds no data on {what}: results hold times, places, ages, sex, "
                "home towns and status",
                words=[m[0]],
                suggestions=[],
            )
    if not has_results and not live:
        raise Unanswerable(
            "no results are loaded: import some (p88 results import) or make a demo "
            "history (p88 demo history)",
            words=[],
            suggestions=[],
        )

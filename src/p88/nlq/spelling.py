"""Runners' shorthand and misspelled keywords, read as the words they stand for.

Outsiders type "ppl", "hw many", "finishd" and "avg pace"; an unread word refuses the
question, so these are rewritten before anything else reads the text. Only keywords are
corrected, never names (a runner's or an event's misspelling is matched against the catalog
elsewhere, where the answer says which name it read) and never a word that is itself a
function word. A word is read as a keyword only when exactly one keyword is close to it,
it is not a plural or other extension of one, and it starts with the same letter."""

from __future__ import annotations

import difflib
import functools
import re

from p88.nlq.vocab import VOCAB

__all__ = ["respell"]

#: Shorthand read as the words it abbreviates.
SHORTHAND: dict[str, str] = {
    "ppl": "people", "hw": "how", "yr": "year", "yrs": "years", "pct": "percent",
    "num": "number", "wmn": "women", "avgs": "averages", "mins": "minutes",
}  # fmt: skip

#: Keywords a misspelling may be read as: words that carry a question's meaning and that
#: no other English word sits close to ("faster" is not a misspelled "fastest", so
#: neither is here).
KEYWORDS = frozenset(
    """finished finishers finisher finishing average marathon marathons people runners women
    median percent percentage percentile qualified qualifiers results winners division
    divisions between""".split()
)

_MOST_COMMON = re.compile(
    r"\b(?:(?:what|which)(?:'s| is| was| were)? )?(?:the )?most common "
    r"(?P<noun>age[- ]?groups?|states?|home states?|divisions?)\b"
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_STATE_SHORT = re.compile(r"\b(?<=from )mass\b|\bmass(?= (?:runners|residents|people)\b)")


def respell(text: str) -> str:
    """``text`` (lower case) with shorthand expanded and misspelled keywords corrected."""
    text = _STATE_SHORT.sub("massachusetts", text)
    text = re.sub(r"#\s*(?:of\b)?", "number of ", text)
    text = _MOST_COMMON.sub(r"which \g<noun> had the most finishers", text)
    text = re.sub(r"\b(dnf|dns|dq)'?(?:ed|d)\b", r"\1", text)  # "DNF'd": a DNF
    return _WORD.sub(lambda m: _respelled(m[0]), text)


@functools.lru_cache(maxsize=4096)
def _respelled(word: str) -> str:
    if word in SHORTHAND:
        return SHORTHAND[word]
    if len(word) < 6 or word in KEYWORDS or word in VOCAB:
        return word
    close = [
        k
        for k in difflib.get_close_matches(word, KEYWORDS, n=3, cutoff=0.85)
        if k[0] == word[0] and not k.startswith(word) and not word.startswith(k)
    ]
    if len({k.rstrip("s") for k in close}) == 1:  # "finishrs": finisher(s), one meaning
        return close[0]  # get_close_matches puts the closest first
    return word

"""Readers of comparisons inside one question: "how many more men than women", "within
10 minutes of the winner", "ran both a marathon and a half", "in both 2023 and 2024".

Like the other shape readers, each marks the words it used, so a word none used still
refuses the question.
"""

from __future__ import annotations

import re

from p88.nlq.entities import Entities
from p88.nlq.frame import Frame

__all__ = ["IMPROVED", "read_comparisons"]

#: One person's improvement between two years (read in shape.py).
IMPROVED = re.compile(
    r"\b(?:improved|improve|improvements?|got faster|ran faster|were faster|went faster"
    r"|bettered|lowered)(?: their (?:times?|results?))?"
    r"(?: (?:the|their|in the) (?:second|next|later) (?:time|year|edition|race|one))?\b"
)


def read_comparisons(ent: Entities, frame: Frame) -> None:
    """Fill the frame's comparisons (before the metric words are read)."""
    _more_than(ent, frame)
    _behind_winner(ent, frame)
    _both(ent, frame)


_SEX_WORDS = {
    "men": "M", "males": "M", "guys": "M", "boys": "M",
    "women": "F", "females": "F", "gals": "F", "ladies": "F", "girls": "F",
}  # fmt: skip
_MORE_THAN = re.compile(
    r"\bhow many (?P<more>more|fewer|less) (?P<a>{0}) (?P<mid>(?:[a-z0-9]+ ){{0,6}}?)?than "
    r"(?P<b>{0})\b".format("|".join(_SEX_WORDS))
)
_YEAR = r"(?:19|20)\d\d"
_MORE_YEARS = re.compile(
    rf"\bhow many (?P<more>more|fewer|less)\b(?P<mid>(?: [a-z0-9]+){{1,8}}?) (?P<tail>in "
    rf"(?P<a>{_YEAR}) than (?:in |there were in |they did in |it did in )?(?P<b>{_YEAR}))\b"
)


def _more_than(ent: Entities, frame: Frame) -> None:
    """ "how many more men than women": one count minus the other (the words between, such
    as "finished", stay for the other readers)."""
    m = _MORE_THAN.search(ent.text)
    if m and _SEX_WORDS[m["a"]] != _SEX_WORDS[m["b"]]:
        pair = (_SEX_WORDS[m["a"]], _SEX_WORDS[m["b"]])
        frame.more_than = pair if m["more"] == "more" else (pair[1], pair[0])
        ent.spans += [(m.start(), m.end("a")), (m.end("mid") if m["mid"] else m.end("a"), m.end())]
        return
    y = _MORE_YEARS.search(ent.text)
    if y and y["a"] != y["b"]:  # "how many more finishers in 2024 than in 2023"
        pair_y = (int(y["a"]), int(y["b"]))
        frame.more_years = pair_y if y["more"] == "more" else (pair_y[1], pair_y[0])
        frame.years = tuple(sorted(pair_y))
        ent.year_from, ent.year_to = frame.years
        ent.spans += [(y.start(), y.start("mid")), y.span("tail")]


_OF_WINNER = re.compile(
    r"^ of (?:the )?(?:(?P<sex>overall|women|men|female|male) )?(?:race )?"
    r"(?:winner(?: time)?|winning time|first place finisher)\b"
)


def _sex_word_outside(text: str, span: tuple[int, int]) -> bool:
    words = r"\b(?:wom[ae]n|m[ae]n|females?|males?|ladies|lady|guys?|gals?|girls?|boys?)\b"
    return any(not (span[0] <= m.start() < span[1]) for m in re.finditer(words, text))


def _behind_winner(ent: Entities, frame: Frame) -> None:
    """ "within 10 minutes of the winner": a gun time condition relative to the race's
    winning time, replacing the plain "within 10 minutes" bound the entities found."""
    for bound in list(ent.bounds):
        if not bound.text.startswith("within") or bound.kind != "time":
            continue
        m = _OF_WINNER.match(ent.text[bound.span[1] :])
        if not m:
            continue
        ent.bounds.remove(bound)
        frame.behind_winner = bound.seconds
        frame.winner_sex = {"women": "F", "female": "F", "men": "M", "male": "M"}.get(
            m["sex"] or ""
        )
        ent.winner = False
        span = (bound.span[1], bound.span[1] + m.end())
        ent.spans.append(span)
        if m["sex"] and not _sex_word_outside(ent.text, span):
            ent.sex = None  # "within 5 minutes of the women's winner": runners of any sex
        return


def _both(ent: Entities, frame: Frame) -> None:
    """ "ran both a marathon and a half": people with a finish at each of two distances."""
    y = r"((?:19|20)\d\d)"
    years = re.search(rf"\b(?:in )?both (?:in )?{y} and (?:in )?{y}\b", ent.text)
    if years and not IMPROVED.search(ent.text) and years[1] != years[2]:
        frame.years = tuple(sorted((int(years[1]), int(years[2]))))
        ent.year_from, ent.year_to = frame.years
        frame.both_years, frame.people = True, True
        ent.take(years)
        return
    m = re.search(r"\bboth (?:an? |the )?(?P<a>\S+).*? and (?:an? |the )?(?P<b>\S+)", ent.text)
    if not m:
        return
    first = [(d, sp) for d, sp in ent.distances if sp[0] == m.start("a")]
    second = [(d, sp) for d, sp in ent.distances if sp[0] == m.start("b")]
    if not first or not second or first[0][0] == second[0][0]:
        return
    (d1, span1), (d2, span2) = first[0], second[0]
    if ent.text[span1[1] : m.start("b")].strip() not in ("and", "and a", "and an", "and the"):
        return
    frame.both_distances = (d1, d2)
    frame.people, frame.all_distances = True, True
    ent.distances = [(d, sp) for d, sp in ent.distances if sp not in (span1, span2)]
    ent.spans += [(m.start(), span2[1])]

"""Event names misspelled, and function words that look like event names.

A misspelled event with one clear match is answered, and the answer says which event it
read ("read 'chicgo' as Chicago Marathon"); two or more candidates still ask back. A
partner is only ever matched against its own events, so a typo never reveals another
partner's event. Function words ("have") are kept from matching event names by prefix
("New Haven Road Race").
"""

from __future__ import annotations

import difflib
import functools
import re

from p88.nlq import vocab
from p88.nlq.catalog import Catalog, distinctive, match_series, words
from p88.nlq.entities import Entities
from p88.nlq.frame import Frame


def mark_function_words(ent: Entities, catalog: Catalog) -> None:
    """Mark vocabulary words as used, unless one is itself a distinctive event-name word."""
    keys = _keys(tuple(catalog.series))
    for word, start, end in words(ent.text):
        if word in vocab.VOCAB and word not in keys and not ent.used(start, end):
            ent.spans.append((start, end))


def series_by_typo(
    ent: Entities, catalog: Catalog, partner_id: int | None, frame: Frame
) -> str | None:
    """The one series the question names only through typos, if exactly one fits."""
    mine = catalog.for_partner(partner_id)
    free = [w for w in words(ent.text) if not ent.used(w[1], w[2])]
    keys = _keys(tuple(mine.series))
    if any(w in keys or (len(w) >= 4 and any(k.startswith(w) for k in keys)) for w, _, _ in free):
        return None  # a word names an event outright: no typo reading is needed
    matches, typos = match_series(mine, free)
    if matches or not typos:
        return None
    names = {name for _, name in typos}
    if len(names) != 1:
        return None
    name = names.pop()
    typo_words = {w for w, _ in typos}
    for word, start, end in free:
        if word in typo_words:
            ent.spans.append((start, end))
    frame.notes.append(f"read {', '.join(sorted(typo_words))!s} as {name}")
    frame.confidence = min(frame.confidence, 0.8)
    return name


@functools.lru_cache(maxsize=64)
def _keys(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(k for name in names for k in distinctive(name))


def forgive_typos(ent: Entities, series: str | None, frame: Frame) -> None:
    """Words left over that are close misspellings of a word of the matched event's name."""
    if series is None:
        return
    name_words = re.findall(r"[a-z0-9]+", series.lower())
    for word, start, end in words(ent.text):
        if ent.used(start, end) or len(word) < 5 or word in vocab.VOCAB:
            continue
        for key in name_words:
            close = difflib.SequenceMatcher(None, word, key).ratio() >= 0.8
            if len(key) >= 5 and key[0] == word[0] and close:
                ent.spans.append((start, end))
                frame.notes.append(f"read '{word}' as '{key}'")
                break

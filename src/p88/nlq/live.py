"""Questions about live timing reads: a session (by number or name), a location, a time
window; counted (reads and distinct tags) or listed. Only the reads' own words may be used:
a word the reads cannot answer refuses the question.
"""

from __future__ import annotations

import re

from p88.nlq import vocab
from p88.nlq.catalog import Catalog, words
from p88.nlq.entities import Entities
from p88.nlq.frame import Frame, NotUnderstood

__all__ = ["live_frame", "session_named"]

#: Words that only say a tag was read: "chips seen at the finish", "tags detected".
READ_WORDS = frozenset("seen saw detected picked chips".split())


def session_named(text: str, catalog: Catalog) -> int | None:
    for sid, name in sorted(catalog.sessions.items(), key=lambda kv: -len(kv[1] or "")):
        if name and re.search(rf"\b{re.escape(name.lower())}\b", text):
            return sid
    return None


def live_frame(ent: Entities, catalog: Catalog, frame: Frame) -> Frame:
    text = ent.text
    frame.subject, frame.metric = "reads", "count"
    frame.session_id = ent.session_no
    frame.minutes_back = ent.minutes_back
    frame.unique_tags = bool(
        re.search(r"\b(?:tags|runners|bibs|athletes|people|chips)\b", text)
    ) and not re.search(r"\bhow many reads\b|\bread count\b", text)
    used: list[tuple[int, int]] = []
    for name in sorted(catalog.locations, key=len, reverse=True):
        m = re.search(rf"\b{re.escape(name.lower())}\b", text)
        if m:
            frame.location = name
            used.append(m.span())
            break
    listing = re.search(r"\b(?:latest|last reads?|most recent|list|show)\b", text)
    if listing and not vocab.COUNT.search(text):
        frame.metric = "list"
    grouped = re.search(r"\b(?:by|per|each|at each) (?:location|point|mat)s?\b|timing data", text)
    if grouped:
        frame.group_by = ["location"]
        used.append(grouped.span())
    latest = re.search(
        r"\b(?:last|latest|most recent) (?P<n>\d{1,3}) (?:reads?|crossings?)\b", text
    )
    if latest and not vocab.COUNT.search(text):
        frame.metric, frame.top_n = "list", int(latest["n"])  # "the last 5 reads": the 5 latest
        used.append(latest.span())
    live_words = (
        r"\bsession (?:#|no\.? |number )?\d+\b|\b(?:in )?(?:the )?(?:last|past) \d+ ?"
        r"(?:minutes?|mins?|hours?)\b|\blast\b|\bstart line\b|\bfinish line\b|\bso far\b"
    )
    used += [m.span() for m in re.finditer(live_words, text)]
    sid = frame.session_id
    if sid is not None and catalog.sessions.get(sid):
        used += [m.span() for m in re.finditer(re.escape(catalog.sessions[sid].lower()), text)]
    unknown = [
        w
        for w, s, e in words(text)
        if w not in vocab.VOCAB
        and w not in READ_WORDS
        and not any(a <= s and e <= b for a, b in used)
    ]
    if unknown:  # a word the reads cannot answer ("the 10K mat"): never dropped
        quoted = ", ".join(f"'{w}'" for w in unknown)
        raise NotUnderstood(
            f"did not understand {quoted} in a question about timing reads (they have a "
            "session, a location, a tag and a time)",
            words=unknown,
            suggestions=sorted(catalog.locations)[:5],
        )
    return frame

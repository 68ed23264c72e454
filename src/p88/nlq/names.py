"""Names in a question, resolved against the catalog (and, for runners, the database):
places, partners, event series, runners.

Each resolver marks the words it used (``Entities.spans``) and fills the frame, or raises:
``Ambiguous`` when two series fit equally, ``NotUnderstood`` for an unknown name, and
``NotYours`` when a partner names what is not its own, worded the same whether the name
is another partner's event, a typo or nothing at all.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from p88.nlq.catalog import Catalog, closest, match_series, state_code, words
from p88.nlq.entities import Entities
from p88.nlq.frame import Ambiguous, Frame, Interpretation, NotUnderstood, NotYours, Pins
from p88.nlq.places import STATES
from p88.nlq.vocab import VOCAB
from p88.store import runners_named

if TYPE_CHECKING:
    import psycopg


def resolve_places(ent: Entities, catalog: Catalog, frame: Frame) -> None:
    text = ent.text
    names = sorted(STATES, key=len, reverse=True)
    for m in re.finditer(r"\b(?:from outside(?: of)?|not from) (?=((?:[a-z.]+ ?){1,3}))", text):
        name = next((n for n in names if re.match(rf"{re.escape(n)}\b", m[1])), None)
        if name and not ent.used(m.start(), m.end() + len(name)):
            frame.home_state, frame.home_state_not = STATES[name], True  # "from outside Texas"
            ent.spans.append((m.start(), m.end() + len(name)))
            break
    for m in re.finditer(r"\b(from|in|of) (?=((?:[a-z.]+ ?){1,3}))", text):
        prep, rest = m[1], m[2]
        for name in names:
            if rest.startswith(name) and (len(rest) == len(name) or rest[len(name)] == " "):
                span = (m.start(2), m.start(2) + len(name))
                if ent.used(*span):
                    break
                if prep == "from":
                    frame.home_state = STATES[name]
                else:
                    frame.event_state = STATES[name]
                ent.spans.append((m.start(), span[1]))
                break
        else:
            if prep != "from":
                continue
            tokens = rest.split()
            for n in (3, 2, 1):
                city = " ".join(tokens[:n])
                code = state_code(city) if n == 1 and len(city) == 2 else None
                if code and city.upper() in catalog.home_states:
                    frame.home_state = code
                elif city in catalog.home_cities:
                    frame.home_city = min(catalog.home_cities[city])
                else:
                    continue
                ent.spans.append((m.start(), m.start(2) + len(city)))
                break


def resolve_partner_named(
    ent: Entities, catalog: Catalog, frame: Frame, partner_id: int | None
) -> None:
    for pid, (name, code) in catalog.partners.items():
        key = " ".join(name.lower().split()[:2])
        stop = r"(?=[,:]|$| show| how| list| what| our| events)"
        names = rf"\b(?:{re.escape(key)}|{re.escape(code.lower())})\b"
        m = re.search(names + r"[\w .]*?" + stop, ent.text)
        if not m:
            continue
        ent.take(m)
        if partner_id is not None and pid != partner_id:
            raise NotYours(f"{name} is not your timing partner account")
        frame.partner_id = pid


def not_yours(found: list[str], mine: Catalog, *, model_may_try: bool = False) -> NotYours:
    """One message for every name a partner uses that is not one of its events.

    Whether the name is another partner's event, a typo or nothing at all, the partner
    hears the same words, so the answer never tells that an event exists elsewhere.
    """
    quoted = ", ".join(f"'{w}'" for w in found)
    near = closest(found[0], list(mine.series)) if found else []
    hint = "did you mean " + " or ".join(near) + "?" if near else None
    return NotYours(
        f"{quoted} is not among your events (nor a word p88 knows)",
        hint=hint,
        model_may_try=model_may_try,
    )


def resolve_series(
    ent: Entities, catalog: Catalog, partner_id: int | None, pins: Pins
) -> str | None:
    """The event series the question names, matched against the events the asker may see."""
    mine = catalog.for_partner(partner_id)
    if pins.event:
        matches, _ = match_series(mine, words(pins.event.lower()))
        if not matches:
            if partner_id is not None:
                raise not_yours([pins.event], mine)
            raise NotUnderstood(
                f"no event matches --event {pins.event!r}",
                words=[pins.event],
                suggestions=closest(pins.event.lower(), list(mine.series)),
            )
        _mark_series(ent, mine)
        return matches[0].name
    free = [w for w in words(ent.text) if not ent.used(w[1], w[2])]
    matches, typos = match_series(mine, free)
    if not matches:
        if typos:
            word = typos[0][0]
            if partner_id is not None:
                raise not_yours([word], mine)
            near = closest(word, list(mine.series))
            raise NotUnderstood(f"no event matches '{word}'", words=[word], suggestions=near)
        return None
    best = [m for m in matches if (m.score, m.exact) == (matches[0].score, matches[0].exact)]
    if len(best) > 1:
        raise Ambiguous(
            "the question names more than one event",
            [Interpretation(m.name, f'--event "{m.name}"', Frame(series=m.name)) for m in best],
        )
    ent.spans.append(best[0].span)
    return best[0].name


def _mark_series(ent: Entities, catalog: Catalog) -> None:
    free = [w for w in words(ent.text) if not ent.used(w[1], w[2])]
    matches, _ = match_series(catalog, free)
    if matches:
        ent.spans.append(matches[0].span)


def resolve_runner(
    ent: Entities, frame: Frame, conn: psycopg.Connection[Any], partner_id: int | None
) -> None:
    free = [w for w in words(ent.text) if not ent.used(w[1], w[2]) and w[0] not in VOCAB]
    free = [w for w in free if not w[0].isdigit()]
    pairs = [(a, b) for a, b in zip(free, free[1:], strict=False) if b[1] - a[2] <= 1]
    if not pairs:
        return
    rows = runners_named(conn, [(a[0], b[0]) for a, b in pairs], partner_id)
    if not rows:
        a, b = pairs[0]
        raise NotUnderstood(f"no runner named '{a[0]} {b[0]}'", words=[a[0], b[0]], suggestions=[])
    first, last = rows[0][1], rows[0][2]
    frame.participant_ids = tuple(r[0] for r in rows if (r[1], r[2]) == (first, last))
    frame.participant_name = f"{first.title()} {last.title()}"
    for a, b in pairs:
        if (a[0], b[0]) == (first, last):
            ent.spans.append((a[1], b[2]))

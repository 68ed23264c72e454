"""US state (and Canadian province) names and their postal codes, as results store them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from p88.nlq.entities import Entities
    from p88.nlq.frame import Frame

STATES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "district of columbia": "DC", "ontario": "ON",
}  # fmt: skip

STATE_NAMES: dict[str, str] = {code: name.title() for name, code in STATES.items()}

# What residents of a state are called, for "Texans" and "New Yorkers".
DEMONYMS: dict[str, str] = {
    "texans": "TX", "californians": "CA", "new yorkers": "NY", "ohioans": "OH",
    "coloradans": "CO", "floridians": "FL", "georgians": "GA", "michiganders": "MI",
    "pennsylvanians": "PA", "virginians": "VA", "oregonians": "OR", "utahns": "UT",
    "tennesseans": "TN", "illinoisans": "IL", "hoosiers": "IN", "marylanders": "MD",
    "vermonters": "VT", "mainers": "ME", "rhode islanders": "RI", "connecticuters": "CT",
    "new mexicans": "NM", "north carolinians": "NC", "wisconsinites": "WI",
    "minnesotans": "MN", "arizonans": "AZ", "washingtonians": "WA", "ontarians": "ON",
}  # fmt: skip

_PEOPLE = r"(?:runners?|finishers?|residents?|athletes?|women|men|people|participants?|entrants?)"


_DEMONYM = re.compile(r"\b(?:" + "|".join(sorted(DEMONYMS, key=len, reverse=True)) + r")\b")
_STATE_PEOPLE = re.compile(
    r"(?<!\bfrom )(?<!\bin )(?<!\bof )\b(?P<name>"
    + "|".join(sorted(STATES, key=len, reverse=True))
    + rf") (?={_PEOPLE}\b)"
)


def resolve_home_words(ent: Entities, frame: Frame) -> None:
    """Home state named without "from": "Massachusetts runners", "Texans"."""
    text = ent.text
    for m in _DEMONYM.finditer(text):
        if not ent.used(*m.span()):
            frame.home_state = DEMONYMS[m[0]]
            ent.take(m)
            return
    for m in _STATE_PEOPLE.finditer(text):
        if not ent.used(*m.span()):
            frame.home_state = STATES[m["name"]]
            ent.take(m)
            return

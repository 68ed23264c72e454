"""Reading participant and result files: column names and cell values.

Registration and timing exports (RunSignUp, ChronoTrack, ...) name the same thing many
ways: 'Bib', 'Bib #', 'Bib Number'; 'Gender' or 'Sex'; 'Chip Time' or 'Net Time'. A header
is matched after lower-casing and dropping everything but letters and digits, against the
aliases below; ``--map 'Source Column=field'`` names any other. Cells are parsed into
typed values or a ``CellError`` saying why not.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from p88 import units
from p88.errors import InputError

FIELDS: dict[str, tuple[str, ...]] = {
    "bib": ("bib", "bibnumber", "bibno", "number", "racenumber"),
    "name": ("name", "fullname", "participantname", "runnername"),
    "first_name": ("firstname", "first", "fname", "givenname"),
    "last_name": ("lastname", "last", "lname", "surname", "familyname"),
    "sex": ("sex", "gender", "mf"),
    "age": ("age", "raceage", "ageonraceday"),
    "birth_date": ("dob", "dateofbirth", "birthdate", "birthday"),
    "birth_year": ("birthyear", "yob", "yearofbirth"),
    "city": ("city", "town", "hometown"),
    "state": ("state", "stateprovince", "province", "region", "st"),
    "country": ("country", "countrycode", "nation"),
    "email": ("email", "emailaddress"),
    "tag": ("chip", "chipid", "chipnumber", "tag", "tagid", "tagcode", "rfid"),
    "wave": ("wave", "corral", "startwave"),
    "race": ("race", "racename", "event", "eventname", "category"),
    "external_id": ("registrationid", "regid", "participantid", "entryid"),
    "chip_time": ("chiptime", "nettime", "net", "time", "finishtime"),
    "gun_time": ("guntime", "clocktime", "clock", "gun"),
    "status": ("status", "finishstatus", "resultstatus"),
    "overall_place": ("place", "overall", "overallplace", "oa", "overallrank", "rank"),
    "sex_place": ("sexplace", "genderplace", "genderrank", "sexrank", "gplace"),
    "age_group_place": ("divisionplace", "divplace", "agegroupplace", "agplace", "divisionrank"),
    "age_group": ("division", "agegroup", "ag", "div"),
    "message": ("message", "displaymessage", "cheer", "shoutout"),
    "vip": ("vip", "isvip"),
}
REQUIRED = ("bib", "first_name", "last_name")
_ALIAS = {alias: name for name, aliases in FIELDS.items() for alias in aliases}
MESSAGE_MAX = 280
_TRUE = frozenset({"1", "y", "yes", "true", "t", "x", "vip"})
_FALSE = frozenset({"", "0", "n", "no", "false", "f"})
_SEX = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "w": "F", "woman": "F",
        "x": "X", "nb": "X", "nonbinary": "X", "n": "X"}  # fmt: skip
_STATUS = {"finished": "finished", "fin": "finished", "f": "finished", "ok": "finished",
           "dnf": "DNF", "dns": "DNS", "dq": "DQ", "dsq": "DQ", "disqualified": "DQ"}  # fmt: skip


class CellError(ValueError):
    """A cell that cannot be read; the message says why."""


def norm(header: str) -> str:
    """'Bib #' -> 'bib'; 'Chip Time' -> 'chiptime'."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


def parse_map(spec: str | None) -> dict[str, str]:
    """``'Bib #=bib, Runner=name'`` -> ``{'bib': 'bib', 'runner': 'name'}`` (normalised source)."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        source, sep, target = part.partition("=")
        target = target.strip()
        if not sep or target not in FIELDS:
            raise InputError(
                f"bad --map entry {part.strip()!r}",
                hint="use 'Source Column=field'; fields: " + ", ".join(FIELDS),
                what="column map",
                where="--map",
            )
        out[norm(source)] = target
    return out


def match_columns(headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """Field name -> column index; raises when a required field has no column."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        field = mapping.get(norm(h)) or _ALIAS.get(norm(h))
        if field and field not in found:
            found[field] = i
    if "name" in found and not ("first_name" in found and "last_name" in found):
        found.setdefault("first_name", -1)
        found.setdefault("last_name", -1)
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise InputError(
            f"missing required column(s): {', '.join(missing)} "
            f"(found: {', '.join(h for h in headers if h.strip()) or 'none'})",
            hint="rename the column or name it with --map 'Column=field'",
            what="file header",
        )
    return found


def parse_duration(text: str) -> timedelta:
    """'2:24:37', '24:37', '2:24:37.25' (any form ``p88.units.parse_duration`` reads)."""
    try:
        return units.parse_duration(text)
    except InputError:
        raise CellError(f"{text!r} is not a time like 1:23:45") from None


def parse_int(text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise CellError(f"{what} {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise CellError(f"{what} {value} is outside {low}-{high}")
    return value


def parse_sex(text: str) -> str:
    try:
        return _SEX[norm(text)]
    except KeyError:
        raise CellError(f"sex {text!r} is not M, F or X") from None


def parse_status(text: str) -> str:
    try:
        return _STATUS[norm(text)]
    except KeyError:
        raise CellError(f"status {text!r} is not finished, DNF, DNS or DQ") from None


def parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CellError(f"date {text!r} is not YYYY-MM-DD or MM/DD/YYYY")


def parse_vip(text: str) -> bool:
    """A VIP cell: yes/no, true/false, 1/0, x, or empty (no)."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(f"VIP {text!r} is not yes or no")


def parse_message(text: str | None) -> str | None:
    """A display message: trimmed, empty is none, at most ``MESSAGE_MAX`` characters."""
    value = (text or "").strip()
    if len(value) > MESSAGE_MAX:
        raise CellError(f"message longer than {MESSAGE_MAX} characters")
    return value or None

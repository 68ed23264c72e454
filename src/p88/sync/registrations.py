"""RunSignUp participants as the rows ``p88 results import`` writes, and what changed.

A participant becomes exactly the row a participants CSV would: name, sex, birth date or
age, city, state, country, email, bib and chip, with ``external_id`` = the registration
id. The row is then written by ``store.results.importdb.write_rows``, the importer's own
writer, so pulled entries and imported ones cannot differ.

Assumptions: ``gender`` is M/F/X (or a word ``p88 results import`` understands);
``age`` is the age on race day when given, otherwise it is worked out from ``dob``;
``chip_num`` is the tag the readers report. Name and address changes of an entry that
already exists are not written, exactly as a repeated CSV import leaves them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from p88.store import AgeGroups
from p88.store import result_columns as col
from p88.sync.errors import SyncError

SHOWN = 10
_FINGERPRINT = ("bib", "first_name", "last_name", "sex", "birth_date", "age", "city", "state",
                "country", "email", "tag")  # fmt: skip


@dataclass(frozen=True)
class Registration:
    """One pulled participant: its id, when RunSignUp last changed it, and its import row."""

    registration_id: int
    last_modified: int | None
    row: dict[str, Any] | None  # None: no bib assigned yet, nothing to import
    fingerprint: str


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def fingerprint(row: dict[str, Any] | None) -> str:
    """A short digest of the fields a pull writes: equal digests, nothing to write."""
    if row is None:
        return "no-bib"
    payload = json.dumps([str(row.get(k)) for k in _FINGERPRINT])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def to_row(
    p: dict[str, Any], race_id: int, race_day: date, groups: AgeGroups
) -> dict[str, Any] | None:
    """The import row for one participant (None without a bib); raises ``ValueError``."""
    bib = _text(p.get("bib_num"))
    if bib is None:
        return None
    if len(bib) > 16:
        raise ValueError(f"bib {bib!r} is longer than 16 characters")
    user = p.get("user") or {}
    address = user.get("address") or {}
    first, last = _text(user.get("first_name")), _text(user.get("last_name"))
    if not first or not last:
        raise ValueError("no first and last name")
    try:
        sex = col.parse_sex(str(user["gender"])) if _text(user.get("gender")) else None
        dob = col.parse_date(str(user["dob"])) if _text(user.get("dob")) else None
        age = col.parse_int(str(p["age"]), 0, 120, "age") if _text(p.get("age")) else None
    except col.CellError as exc:
        raise ValueError(str(exc)) from None
    if age is None and dob is not None:
        age = race_day.year - dob.year - ((race_day.month, race_day.day) < (dob.month, dob.day))
    birth_year = dob.year if dob else (race_day.year - age if age is not None else None)
    chip = _text(p.get("chip_num"))
    if chip is not None and len(chip) > 16:
        raise ValueError(f"chip {chip!r} is longer than 16 characters")
    return {
        "race_id": race_id, "bib": bib, "first_name": first, "last_name": last, "sex": sex,
        "birth_year": birth_year, "birth_date": dob, "age": age, "age_group": groups.label(age),
        "city": _text(address.get("city")), "state": _text(address.get("state")),
        "country": _text(address.get("country_code")), "email": _text(user.get("email")),
        "tag": chip, "wave": None, "external_id": str(p["registration_id"]),
        "chip_time": None, "gun_time": None, "pace": None, "status": None,
        "overall_place": None, "sex_place": None, "age_group_place": None,
    }  # fmt: skip


def parse_participants(
    participants: list[dict[str, Any]], race_id: int, race_day: date, groups: AgeGroups
) -> list[Registration]:
    """Every participant as a ``Registration``; all or none (a bad one names its id).

    A registration that appears twice (it changed while the pages were read) keeps its
    latest version.
    """
    latest: dict[int, Registration] = {}
    errors: list[str] = []
    for p in participants:
        try:
            reg_id = int(p["registration_id"])
        except (KeyError, TypeError, ValueError):
            errors.append("a participant without a registration_id")
            continue
        try:
            row = to_row(p, race_id, race_day, groups)
        except ValueError as exc:
            errors.append(f"registration {reg_id}: {exc}")
            continue
        modified = p.get("last_modified")
        reg = Registration(reg_id, int(modified) if modified is not None else None, row,
                           fingerprint(row))  # fmt: skip
        old = latest.get(reg_id)
        if old is None or (reg.last_modified or 0) >= (old.last_modified or 0):
            latest[reg_id] = reg
    if errors:
        more = f"; and {len(errors) - SHOWN} more" if len(errors) > SHOWN else ""
        raise SyncError(
            f"{len(errors)} RunSignUp participant(s) cannot be imported, nothing written: "
            + "; ".join(errors[:SHOWN])
            + more,
            hint="fix them in RunSignUp and pull again",
        )
    return list(latest.values())

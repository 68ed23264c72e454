"""A race's scoring settings, stored with the race (``ct_race_settings``, migration 010).

Every scoring run reads them, so an incremental run and a full run label and place the
same way, whichever command started them. :func:`save_settings` changes them; the next run
sees a different :func:`signature` and rescores every read. Places by gun or chip stay on
``ct_races.place_by``; dead time and minimum elapsed time stay per point.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from p88.errors import InputError, UnknownRace
from p88.store.results.agegroups import AgeGroups
from p88.store.results.points import PointRule

if TYPE_CHECKING:
    import psycopg

__all__ = ["RaceSettings", "load_settings", "save_settings", "signature"]

StartRule = Literal["last_before", "first"]
PlaceBy = Literal["gun", "chip"]
_SEXES = ("M", "F", "X")


@dataclass(frozen=True)
class RaceSettings:
    """How a race is labelled and placed. The defaults are the trade's.

    >>> s = RaceSettings(by_sex={"F": AgeGroups(10, 20, 70)}, labels={"0-19": "Junior"})
    >>> s.label("F", 45), s.label("M", 45), s.label("M", 12)
    ('40-49', '45-49', 'Junior')
    """

    age_groups: AgeGroups = field(default_factory=AgeGroups)
    by_sex: dict[str, AgeGroups] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    masters_age: int | None = None
    start_rule: StartRule = "last_before"
    cutoff: timedelta | None = None
    place_by: PlaceBy = "gun"

    def groups_for(self, sex: str | None) -> AgeGroups:
        """The age groups of runners of ``sex`` (the race's own when not set per sex)."""
        return self.by_sex.get(sex or "", self.age_groups)

    def label(self, sex: str | None, age: int | None) -> str | None:
        """The runner's age-group label: per-sex groups, then custom labels."""
        plain = self.groups_for(sex).label(age)
        return self.labels.get(plain, plain) if plain is not None else None

    def describe(self) -> dict[str, object]:
        """The settings as ``p88 results settings --json`` prints them."""
        return {
            "age_groups": _spec(self.age_groups),
            "age_groups_by_sex": {s: _spec(g) for s, g in sorted(self.by_sex.items())},
            "age_labels": dict(sorted(self.labels.items())),
            "masters_age": self.masters_age,
            "start_rule": self.start_rule,
            "cutoff_s": self.cutoff.total_seconds() if self.cutoff else None,
            "place_by": self.place_by,
        }


def _spec(g: AgeGroups) -> str:
    return f"{g.width}:{g.first}:{g.last}"


def parse_age_groups(values: Sequence[str]) -> tuple[AgeGroups | None, dict[str, AgeGroups]]:
    """``--age-groups`` values: ``5:20:80`` for everyone, ``F=10:20:70`` for one sex."""
    every: AgeGroups | None = None
    per: dict[str, AgeGroups] = {}
    for value in values:
        sex, sep, spec = value.rpartition("=")
        if not sep:
            every = AgeGroups.parse(value)
            continue
        sex = sex.strip().upper()
        if sex not in _SEXES:
            raise InputError(
                f"--age-groups {value!r}: the sex before '=' must be M, F or X",
                what="age groups", where="--age-groups",
            )  # fmt: skip
        per[sex] = AgeGroups.parse(spec)
    return every, per


def parse_labels(values: Sequence[str], settings: RaceSettings) -> dict[str, str]:
    """``--age-label '0-19=Junior'`` values; the group must be one the race has."""
    known = {
        label for g in (settings.age_groups, *settings.by_sex.values()) for label in g.labels()
    }
    out: dict[str, str] = {}
    for value in values:
        group, sep, label = value.partition("=")
        group, label = group.strip(), label.strip()
        if not sep or not label:
            raise InputError(
                f"--age-label {value!r}: use GROUP=LABEL, e.g. 0-19=Junior",
                what="age label", where="--age-label",
            )  # fmt: skip
        if group not in known:
            raise InputError(
                f"--age-label {value!r}: no age group {group!r} in this race "
                f"(groups: {', '.join(sorted(known))})",
                what="age label", where="--age-label",
            )  # fmt: skip
        out[group] = label[:16]
    return out


def load_settings(conn: psycopg.Connection[Any], race_id: int) -> RaceSettings:
    """The race's stored settings (the defaults where none were stored)."""
    row = conn.execute(
        "SELECT s.age_groups, s.age_groups_by_sex, s.age_labels, s.masters_age, s.start_rule,"
        " s.cutoff, r.place_by FROM ct_races r LEFT JOIN ct_race_settings s ON s.race_id = r.id"
        " WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    groups, by_sex, labels, masters, rule, cutoff, place_by = row
    if groups is None:
        return RaceSettings(place_by=place_by)
    return RaceSettings(
        age_groups=AgeGroups.parse(groups),
        by_sex={s: AgeGroups.parse(v) for s, v in (by_sex or {}).items()},
        labels=dict(labels or {}),
        masters_age=masters,
        start_rule=rule,
        cutoff=cutoff,
        place_by=place_by,
    )


def save_settings(conn: psycopg.Connection[Any], race_id: int, settings: RaceSettings) -> bool:
    """Store the race's settings; True when they changed (the next run rescores)."""
    if load_settings(conn, race_id) == settings:
        return False
    with conn.transaction():
        conn.execute(
            "INSERT INTO ct_race_settings (race_id, event_id, partner_id, age_groups,"
            " age_groups_by_sex, age_labels, masters_age, start_rule, cutoff)"
            " SELECT id, event_id, partner_id, %s, %s, %s, %s, %s, %s FROM ct_races WHERE id = %s"
            " ON CONFLICT (race_id) DO UPDATE SET age_groups = EXCLUDED.age_groups,"
            " age_groups_by_sex = EXCLUDED.age_groups_by_sex, age_labels = EXCLUDED.age_labels,"
            " masters_age = EXCLUDED.masters_age, start_rule = EXCLUDED.start_rule,"
            " cutoff = EXCLUDED.cutoff, updated_at = now()",
            (
                _spec(settings.age_groups),
                json.dumps({s: _spec(g) for s, g in settings.by_sex.items()}),
                json.dumps(settings.labels),
                settings.masters_age,
                settings.start_rule,
                settings.cutoff,
                race_id,
            ),
        )
        conn.execute(
            "UPDATE ct_races SET place_by = %s WHERE id = %s", (settings.place_by, race_id)
        )
    return True


def with_changes(settings: RaceSettings, **changes: Any) -> RaceSettings:
    """The settings with the given fields replaced (None leaves a field as it is)."""
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})


def signature(rules: Sequence[PointRule], settings: RaceSettings) -> str:
    """A digest of everything that decides results besides the reads and the gun: the
    points and the settings. A run whose signature differs from the last one rescores all."""
    text = json.dumps(
        [[repr(r) for r in rules], settings.describe()], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def last_signature(conn: psycopg.Connection[Any], race_id: int) -> str | None:
    row = conn.execute(
        "SELECT scored_with FROM ct_race_settings WHERE race_id = %s", (race_id,)
    ).fetchone()
    return row[0] if row else None


def remember_signature(conn: psycopg.Connection[Any], race_id: int, digest: str) -> None:
    """Record what a scoring run used (creating the settings row with the defaults)."""
    conn.execute(
        "INSERT INTO ct_race_settings (race_id, event_id, partner_id, scored_with)"
        " SELECT id, event_id, partner_id, %s FROM ct_races WHERE id = %s"
        " ON CONFLICT (race_id) DO UPDATE SET scored_with = EXCLUDED.scored_with",
        (digest, race_id),
    )

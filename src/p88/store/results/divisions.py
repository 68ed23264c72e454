"""A race's award divisions and award rules, stored with the race (migration 015).

The age-group divisions are not configured here: they are the (sex, age_group) labels
scoring wrote from the race's settings (``p88 results settings``), so the awards and the
standings never disagree about who is in M40-44; likewise a masters age in the settings
makes a masters division. Stored here: the overall and age-group
award depth, the double-dip policy, the time awards go by, and the further divisions
(:class:`Division`): masters and grand masters ('age'), a participant column such as team
or wheelchair ('field'), and the age-graded division ('age_graded').
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from p88.errors import InputError, UnknownRace
from p88.store.results.columns import norm

if TYPE_CHECKING:
    import psycopg

__all__ = ["AwardRules", "Division", "load_rules", "parse_division", "save_rules"]

Kind = Literal["age", "field", "age_graded"]
Policy = Literal["remove", "keep"]
#: Participant columns a field division may use besides ``ct_results.entry_fields`` keys.
PERSON_FIELDS = ("city", "state", "country")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True, kw_only=True)
class Division:
    """One award division beyond overall and age groups."""

    code: str
    label: str
    kind: Kind
    by_sex: bool = True
    min_age: int | None = None
    max_age: int | None = None
    field: str | None = None
    value: str | None = None
    depth: int = 3

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise InputError(
                f"division code {self.code!r}: use lower-case letters, digits, - and _",
                what="division", where="--division",
            )  # fmt: skip
        if self.kind == "age" and self.min_age is None:
            raise InputError(f"division {self.code!r} needs a minimum age", what="division")
        if self.kind == "field" and not self.field:
            raise InputError(f"division {self.code!r} needs a column", what="division")
        if not 1 <= self.depth <= 100:
            raise InputError(f"division {self.code!r}: depth must be 1-100", what="division")

    @property
    def exclusive(self) -> bool:
        """Whether the double-dip policy applies (age divisions, like overall and groups)."""
        return self.kind == "age"


@dataclass(frozen=True, kw_only=True)
class AwardRules:
    """How a race's awards are given. The defaults are the trade's: three deep overall and
    per age group, an overall winner removed from the age groups, by the race's place_by."""

    overall_depth: int = 3
    age_group_depth: int = 3
    double_dip: Policy = "remove"
    time_basis: Literal["gun", "chip"] | None = None
    divisions: tuple[Division, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, object]:
        """The rules as ``p88 results divisions --json`` prints them."""
        return {
            "overall_depth": self.overall_depth,
            "age_group_depth": self.age_group_depth,
            "double_dip": self.double_dip,
            "time_basis": self.time_basis,
            "divisions": [d.__dict__ for d in self.divisions],
        }


def parse_division(spec: str) -> Division:
    """A ``--division`` value: ``CODE=KIND:ARG[:DEPTH]`` with an optional ``,open`` (one
    division for all sexes) and ``LABEL`` after ``|``.

    >>> parse_division("masters=age:40").min_age
    40
    >>> d = parse_division("wheelchair=field:wheelchair=yes:2,open|Wheelchair")
    >>> d.field, d.value, d.depth, d.by_sex, d.label
    ('wheelchair', 'yes', 2, False, 'Wheelchair')
    """
    body, _, label = spec.partition("|")
    head, _, flags = body.partition(",")
    code, sep, rest = head.partition("=")
    kind, _, arg = rest.partition(":")
    bad = InputError(
        f"--division {spec!r}: use CODE=age:MIN[-MAX][:DEPTH], CODE=field:COLUMN[=VALUE]"
        "[:DEPTH] or CODE=age_graded[:DEPTH], then ',open' for one division for all sexes",
        what="division", where="--division",
    )  # fmt: skip
    if not sep or kind not in ("age", "field", "age_graded") or flags not in ("", "open"):
        raise bad
    parts = arg.split(":") if arg else []
    depth = 3
    if parts and parts[-1].isdigit() and (kind != "age" or len(parts) == 2):
        depth = int(parts.pop())
    if kind == "age_graded" and parts:
        raise bad
    code, label = code.strip(), label.strip() or code.strip()
    by_sex = flags != "open"
    if kind == "age":
        low, _, high = (parts[0] if parts else "").partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise bad
        return Division(code=code, label=label, kind="age", by_sex=by_sex, depth=depth,
                        min_age=int(low), max_age=int(high) if high else None)  # fmt: skip
    if kind == "field":
        if len(parts) != 1:
            raise bad
        column, _, value = parts[0].partition("=")
        name = norm(column) or column.strip().lower()
        return Division(code=code, label=label, kind="field", by_sex=by_sex, depth=depth,
                        field=name, value=value or None)  # fmt: skip
    return Division(code=code, label=label, kind="age_graded", by_sex=by_sex, depth=depth)


def _settings_masters(conn: psycopg.Connection[Any], race_id: int) -> Division | None:
    """The masters division of the race's settings (``p88 results settings --masters``):
    the one rule for who is a master, so awards agree with ``masters_place``."""
    from p88.store.results.settings import load_settings

    age = load_settings(conn, race_id).masters_age
    if age is None:
        return None
    return Division(code="masters", label="Masters", kind="age", min_age=age)


def load_rules(conn: psycopg.Connection[Any], race_id: int) -> AwardRules:
    """The race's award rules (the defaults where none were stored). When the race's
    settings name a masters age and no stored division is called ``masters``, a masters
    division (3 deep, by sex) comes first among the extra divisions."""
    row = conn.execute(
        "SELECT a.overall_depth, a.age_group_depth, a.double_dip, a.time_basis"
        " FROM ct_races r LEFT JOIN ct_race_awards a ON a.race_id = r.id WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    divisions = tuple(
        Division(
            code=c, label=lb, kind=k, by_sex=bs, min_age=lo, max_age=hi, field=f, value=v, depth=d
        )  # fmt: skip
        for c, lb, k, bs, lo, hi, f, v, d in conn.execute(
            "SELECT code, label, kind, by_sex, min_age, max_age, field, value, depth"
            " FROM ct_race_divisions WHERE race_id = %s ORDER BY seq, code",
            (race_id,),
        ).fetchall()
    )
    masters = _settings_masters(conn, race_id)
    if masters is not None and all(d.code != "masters" for d in divisions):
        divisions = (masters, *divisions)
    if row[0] is None:
        return AwardRules(divisions=divisions)
    return AwardRules(
        overall_depth=row[0], age_group_depth=row[1], double_dip=row[2], time_basis=row[3],
        divisions=divisions,
    )  # fmt: skip


def save_rules(conn: psycopg.Connection[Any], race_id: int, rules: AwardRules) -> None:
    """Store the race's award rules and divisions (replacing the divisions). The masters
    division that comes from the race's settings is not stored: it follows the settings."""
    load_rules(conn, race_id)  # refuses an unknown race
    _check_unique(rules.divisions)
    derived = _settings_masters(conn, race_id)
    stored = [d for d in rules.divisions if d != derived]
    with conn.transaction():
        conn.execute(
            "INSERT INTO ct_race_awards (race_id, event_id, partner_id, overall_depth,"
            " age_group_depth, double_dip, time_basis)"
            " SELECT id, event_id, partner_id, %s, %s, %s, %s FROM ct_races WHERE id = %s"
            " ON CONFLICT (race_id) DO UPDATE SET overall_depth = EXCLUDED.overall_depth,"
            " age_group_depth = EXCLUDED.age_group_depth, double_dip = EXCLUDED.double_dip,"
            " time_basis = EXCLUDED.time_basis, updated_at = now()",
            (rules.overall_depth, rules.age_group_depth, rules.double_dip, rules.time_basis,
             race_id),
        )  # fmt: skip
        conn.execute("DELETE FROM ct_race_divisions WHERE race_id = %s", (race_id,))
        for seq, d in enumerate(stored):
            conn.execute(
                "INSERT INTO ct_race_divisions (race_id, event_id, partner_id, code, label,"
                " kind, by_sex, min_age, max_age, field, value, depth, seq)"
                " SELECT id, event_id, partner_id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s"
                " FROM ct_races WHERE id = %s",
                (d.code, d.label, d.kind, d.by_sex, d.min_age, d.max_age, d.field, d.value,
                 d.depth, seq, race_id),
            )  # fmt: skip


def _check_unique(divisions: Sequence[Division]) -> None:
    seen: set[str] = set()
    for d in divisions:
        if d.code in seen:
            raise InputError(f"division {d.code!r} given twice", what="division")
        seen.add(d.code)

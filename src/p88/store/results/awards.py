"""Awards: the list an announcer reads, from a race's sheet and its award rules.

Order: overall by sex, then the 'age' divisions (masters, grand masters) in their stored
order, then the age groups by sex (youngest first), then the 'field' divisions and the
age-graded division. With the double-dip policy 'remove', a runner awarded in one of the
first three kinds is left out of the later ones and the next runner moves up; 'field' and
age-graded divisions are always awarded on their own.

Only finishers with a time on the awards' basis (gun, falling back to chip as places do,
or chip) can win: a DQ'd, DNF or held (``review``) runner never gets an award. Places
follow ``rank()``: runners with the same time to the hundredth share a place, and a tie at
the last place awarded makes the list longer, never shorter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from p88.store.results.divisions import AwardRules, Division
from p88.store.results.sheet import RaceSheet, SheetRow
from p88.units import hundredths

__all__ = ["Award", "AwardDivision", "Awards", "compute_awards", "SEX_NAMES"]

SEX_NAMES = {"M": "Male", "F": "Female", "X": "Non-binary"}
_SEXES = ("M", "F", "X")


@dataclass(frozen=True, kw_only=True)
class Award:
    """One award: place ``place`` in its division."""

    place: int
    bib: str
    name: str
    sex: str | None
    age: int | None
    time: timedelta
    age_grade: float | None


@dataclass(frozen=True, kw_only=True)
class AwardDivision:
    """A division's awards, in place order."""

    code: str
    label: str
    kind: str
    awards: list[Award]


@dataclass(frozen=True, kw_only=True)
class Awards:
    """A race's awards: the basis ('gun' or 'chip'), the policy and the divisions."""

    race_id: int
    title: str
    basis: str
    double_dip: str
    divisions: list[AwardDivision]


def _ranked(
    candidates: Iterable[SheetRow], key: Callable[[SheetRow], float | None], depth: int
) -> list[tuple[int, SheetRow]]:
    """(place, row) for places 1..depth by ``key`` ascending; equal keys share a place."""
    keyed = sorted(((k, r.bib, r) for r in candidates if (k := key(r)) is not None),
                   key=lambda item: (item[0], item[1]))  # fmt: skip
    placed: list[tuple[int, SheetRow]] = []
    previous: float | None = None
    place = 0
    for i, (k, _, row) in enumerate(keyed, start=1):
        if k != previous:
            place, previous = i, k
        if place > depth:
            break
        placed.append((place, row))
    return placed


def _field_value(row: SheetRow, name: str) -> str | None:
    value = getattr(row, name) if name in ("city", "state", "country") else row.fields.get(name)
    return None if value in (None, "") else str(value)


def _group_order(rows: list[SheetRow]) -> list[tuple[str, str]]:
    """(sex, age_group) pairs present among ``rows``, by sex then youngest group first."""
    youngest: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.sex and r.age_group:
            pair = (r.sex, r.age_group)
            youngest[pair] = min(youngest.get(pair, 999), r.age if r.age is not None else 999)
    return sorted(youngest, key=lambda p: (_SEXES.index(p[0]), youngest[p], p[1]))


Pool = tuple[str, str, list[SheetRow]]


def _slug(text: str) -> str:
    """A label as part of a division code: '40-44' stays, 'River Runners' -> 'river-runners'."""
    return "".join(c if c.isalnum() else "-" for c in text.lower())


def _by_sex(code: str, label: str, by_sex: bool, rows: list[SheetRow]) -> list[Pool]:
    """One pool, or one per sex (code and label suffixed)."""
    if not by_sex:
        return [(code, label, rows)]
    return [
        (f"{code}-{sex.lower()}", f"{label} {SEX_NAMES[sex]}", [r for r in rows if r.sex == sex])
        for sex in _SEXES
    ]


def _pools(division: Division, rows: list[SheetRow]) -> list[Pool]:
    """The division's sub-divisions (per sex, per field value) and their members."""
    d = division
    if d.kind == "age":
        high = d.max_age if d.max_age is not None else 999
        members = [r for r in rows if r.age is not None and (d.min_age or 0) <= r.age <= high]
        return _by_sex(d.code, d.label, d.by_sex, members)
    if d.kind != "field":
        return _by_sex(d.code, d.label, d.by_sex, rows)
    name = d.field or ""
    if d.value is not None:
        want = d.value.lower()
        members = [r for r in rows if (_field_value(r, name) or "").lower() == want]
        return _by_sex(d.code, d.label, d.by_sex, members)
    pools: list[Pool] = []
    for value in sorted({v for r in rows if (v := _field_value(r, name)) is not None}):
        slug = _slug(value)
        members = [r for r in rows if _field_value(r, name) == value]
        pools += _by_sex(f"{d.code}-{slug}", f"{d.label} {value}", d.by_sex, members)
    return pools


def compute_awards(sheet: RaceSheet, rules: AwardRules) -> Awards:
    """The race's awards under ``rules`` (see the module doc for the order and policy)."""
    basis = rules.time_basis or sheet.place_by
    eligible = [r for r in sheet.rows if r.status == "finished" and r.time_by(basis)]
    awarded: set[int] = set()
    remove = rules.double_dip == "remove"

    def timed(row: SheetRow) -> float | None:
        t = row.time_by(basis)
        return hundredths(t) if t is not None else None

    def graded(row: SheetRow) -> float | None:
        return -round(row.grade.percent, 2) if row.grade else None

    out: list[AwardDivision] = []

    def award(code: str, label: str, pool: list[SheetRow], depth: int, kind: str) -> None:
        exclusive = kind in ("overall", "age", "age_group")
        if remove and exclusive:
            pool = [r for r in pool if r.result_id not in awarded]
        key = graded if kind == "age_graded" else timed
        placed = _ranked(pool, key, depth)
        if not placed:
            return
        if exclusive:
            awarded.update(r.result_id for _, r in placed)
        out.append(AwardDivision(code=code, label=label, kind=kind, awards=[
            Award(place=p, bib=r.bib, name=r.name, sex=r.sex, age=r.age,
                  time=(r.chip_time if kind == "age_graded" else r.time_by(basis))
                  or timedelta(0),
                  age_grade=round(r.grade.percent, 2) if r.grade else None)
            for p, r in placed
        ]))  # fmt: skip

    if rules.overall_depth:
        for sex in _SEXES:
            pool = [r for r in eligible if r.sex == sex]
            award(f"overall-{sex.lower()}", f"Overall {SEX_NAMES[sex]}", pool,
                  rules.overall_depth, "overall")  # fmt: skip
    for division in rules.divisions:
        if division.kind == "age":
            for code, label, pool in _pools(division, eligible):
                award(code, label, pool, division.depth, "age")
    if rules.age_group_depth:
        for sex, group in _group_order(eligible):
            pool = [r for r in eligible if r.sex == sex and r.age_group == group]
            award(f"ag-{sex.lower()}{_slug(group)}", f"{SEX_NAMES[sex]} {group}", pool,
                  rules.age_group_depth, "age_group")  # fmt: skip
    for division in rules.divisions:
        if division.kind != "age":
            for code, label, pool in _pools(division, eligible):
                award(code, label, pool, division.depth, division.kind)
    return Awards(race_id=sheet.race_id, title=sheet.title, basis=basis,
                  double_dip=rules.double_dip, divisions=out)  # fmt: skip

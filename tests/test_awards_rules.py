"""Awards and age grading as pure functions: a held runner, ties, parsing divisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from p88.errors import InputError
from p88.store.results.agegrade import age_grade, road_rows
from p88.store.results.awards import compute_awards
from p88.store.results.divisions import AwardRules, parse_division
from p88.store.results.sheet import RaceSheet, SheetRow


def row(bib: str, sex: str, age: int, minutes: float, status: str = "finished") -> SheetRow:
    t = timedelta(minutes=minutes)
    return SheetRow(
        result_id=int(bib), bib=bib, first_name="R", last_name=bib, sex=sex, age=age,
        age_group=f"{age // 5 * 5}-{age // 5 * 5 + 4}", birth_date=None, city=None, state=None,
        country=None, status=status, chip_time=t, gun_time=t, overall_place=None,
        sex_place=None, age_group_place=None, fields={}, distance_m=5000,
        grade=age_grade(sex, age, 5000, t),
    )  # fmt: skip


def sheet(*rows: SheetRow) -> RaceSheet:
    return RaceSheet(
        race_id=1, race_name="5K", event_name="Test", event_date=date(2026, 1, 1),
        distance_m=5000, place_by="gun", city=None, state=None, points=[], rows=list(rows),
    )  # fmt: skip


def test_a_held_or_dq_runner_never_gets_an_award() -> None:
    s = sheet(row("1", "M", 30, 15, "review"), row("2", "M", 31, 16, "DQ"),
              row("3", "M", 32, 17), row("4", "M", 33, 18, "DNF"))  # fmt: skip
    awards = compute_awards(s, AwardRules())
    got = [(d.code, a.place, a.bib) for d in awards.divisions for a in d.awards]
    assert got == [("overall-m", 1, "3")]


def test_ties_share_a_place_and_lengthen_the_list() -> None:
    s = sheet(row("1", "F", 30, 20), row("2", "F", 30, 21), row("3", "F", 30, 21),
              row("4", "F", 30, 21), row("5", "F", 30, 22))  # fmt: skip
    awards = compute_awards(s, AwardRules(overall_depth=2, age_group_depth=0))
    assert [(a.place, a.bib) for a in awards.divisions[0].awards] == [
        (1, "1"),
        (2, "2"),
        (2, "3"),
        (2, "4"),
    ]


def test_age_graded_division_ranks_by_percentage() -> None:
    rows = [row("1", "M", 25, 16), row("2", "M", 70, 21), row("3", "F", 60, 22)]
    s = sheet(*rows)
    rules = AwardRules(overall_depth=0, age_group_depth=0,
                       divisions=(parse_division("graded=age_graded:2,open"),))  # fmt: skip
    (division,) = compute_awards(s, rules).divisions
    best = sorted(rows, key=lambda r: -r.grade.percent)  # type: ignore[union-attr]
    assert [a.bib for a in division.awards] == [r.bib for r in best[:2]]
    assert best[0].bib != "1"  # the 25-year-old has the fastest time, not the best grade
    grades = [a.age_grade for a in division.awards]
    assert grades == sorted(grades, reverse=True)  # type: ignore[type-var]


def test_age_grade_matches_athlib_and_refuses_to_guess() -> None:
    g = age_grade("M", 50, 5000, timedelta(minutes=16, seconds=23))
    assert g is not None and round(g.percent / 100, 4) == 0.8917  # athlib's own doctest
    assert g.graded < timedelta(minutes=16, seconds=23)
    assert age_grade("X", 50, 5000, timedelta(minutes=20)) is None
    assert age_grade("F", 3, 5000, timedelta(minutes=20)) is None
    assert age_grade("F", 40, 5000, None) is None
    assert age_grade("F", 40, 100, timedelta(seconds=12)) is None  # not a road distance
    # between 10K and 12K: between the two rows' grades for the same pace
    pace = timedelta(minutes=4)
    low = age_grade("F", 40, 10000, pace * 10)
    mid = age_grade("F", 40, 11000, pace * 11)
    high = age_grade("F", 40, 12000, pace * 12)
    assert low and mid and high
    assert min(low.percent, high.percent) <= mid.percent <= max(low.percent, high.percent)
    assert [m for _, m in road_rows()] == sorted(m for _, m in road_rows())


@pytest.mark.parametrize(
    "spec",
    ["masters", "masters=age", "x=age:forty", "Bad Code=age:40", "t=field", "g=age_graded:a:1",
     "m=age:40,closed", "m=age:40:0"],
)  # fmt: skip
def test_bad_division_specs_are_refused(spec: str) -> None:
    with pytest.raises(InputError):
        parse_division(spec)


def test_division_specs() -> None:
    # a column is named as `p88 results fields` stores it: letters and digits, lower case
    assert parse_division("mil=field:Military Branch=Army").field == "militarybranch"
    d = parse_division("grand=age:50-59:5|Grand Masters")
    assert (d.min_age, d.max_age, d.depth, d.label, d.by_sex) == (50, 59, 5, "Grand Masters", True)
    assert replace(d, depth=1).depth == 1

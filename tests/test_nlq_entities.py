"""Entity extraction without a database: distances, times, paces, sex, ages, dates, ranks."""

from __future__ import annotations

from datetime import date

import pytest

from p88.nlq.entities import FIVE_K, HALF, MARATHON, TEN_K, extract, normalise

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("the marathon", [MARATHON]),
        ("a 26.2", [MARATHON]),
        ("half marathon", [HALF]),
        ("the half", [HALF]),
        ("13.1 miles", [HALF]),
        ("a 10K", [TEN_K]),
        ("10 km", [TEN_K]),
        ("5k", [FIVE_K]),
        ("3.1 miles", [FIVE_K]),
        ("marathoners", [MARATHON]),
    ],
)
def test_distances(text: str, metres: list[int]) -> None:
    assert [d for d, _ in extract(text, TODAY).distances] == metres


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("under 3 hours", [("<", 10800, "time")]),
        ("sub-3", [("<", 10800, "time")]),
        ("sub 20", [("<", 1200, "time")]),
        ("3:30 or better", [("<=", 12600, "time")]),
        ("in 3:30:00 or faster", [("<=", 12600, "time")]),
        ("over 5 hours", [(">", 18000, "time")]),
        ("3 and a half hours or slower", [(">=", 12600, "time")]),
        ("between 1:30 and 2 hours", [(">=", 5400, "time"), ("<=", 7200, "time")]),
        ("under 45 minutes", [("<", 2700, "time")]),
        ("faster than 19:30", [("<", 1170, "time")]),
        ("8 minute miles or better", [("<=", 480, "pace")]),
        ("under 8:00 pace", [("<", 480, "pace")]),
        ("at 7:30 per mile or faster", [("<=", 450, "pace")]),
        ("13.1 miles", []),
    ],
)
def test_times_and_paces(text: str, bounds: list[tuple[str, float, str]]) -> None:
    got = [(b.op, b.seconds, b.kind) for b in extract(text, TODAY).bounds]
    assert got == bounds


@pytest.mark.parametrize(
    ("text", "sex", "ages"),
    [
        ("women", "F", (None, None)),
        ("the men's race", "M", (None, None)),
        ("female finishers", "F", (None, None)),
        ("non-binary runners", "X", (None, None)),
        ("men and women", None, (None, None)),
        ("M40-44", "M", (40, 44)),
        ("F35-39", "F", (35, 39)),
        ("the 50-54 age group", None, (50, 54)),
        ("masters", None, (40, None)),
        ("grand masters women", "F", (50, None)),
        ("runners over 50", None, (50, None)),
        ("runners under 30", None, (None, 29)),
        ("aged 35", None, (35, 35)),
        ("35 year olds", None, (35, 35)),
        ("in their 40s", None, (40, 49)),
        ("aged 30 to 39", None, (30, 39)),
        ("60 and over", None, (60, None)),
        ("M60+", "M", (60, None)),
    ],
)
def test_sex_and_ages(text: str, sex: str | None, ages: tuple[int | None, int | None]) -> None:
    ent = extract(text, TODAY)
    assert ent.sex == sex
    assert (ent.age_min, ent.age_max) == ages


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("in 2023", (2023, 2023)),
        ("last year", (2025, 2025)),
        ("this year", (2026, 2026)),
        ("since 2020", (2020, 2026)),
        ("after 2020", (2021, 2026)),
        ("before 2022", (None, 2021)),
        ("between 2019 and 2021", (2019, 2021)),
        ("from 2019 to 2021", (2019, 2021)),
        ("2019-2021", (2019, 2021)),
        ("in the last 3 years", (2024, 2026)),
    ],
)
def test_dates(text: str, years: tuple[int | None, int | None]) -> None:
    ent = extract(text, TODAY)
    assert (ent.year_from, ent.year_to) == years


@pytest.mark.parametrize(
    ("text", "top", "winner", "slowest"),
    [
        ("top 10", 10, False, False),
        ("top ten women", 10, False, False),
        ("the 5 fastest", 5, False, False),
        ("slowest 3", 3, False, True),
        ("who won", None, True, False),
        ("the winner", None, True, False),
        ("podium", 3, False, False),
    ],
)
def test_ranks(text: str, top: int | None, winner: bool, slowest: bool) -> None:
    ent = extract(text, TODAY)
    assert (ent.top_n, ent.winner, ent.slowest) == (top, winner, slowest)


def test_live_and_tenant_words() -> None:
    ent = extract("reads at our finish in session 2 in the last 15 minutes", TODAY)
    assert (ent.session_no, ent.minutes_back, ent.tenant) == (2, 15, True)


def test_normalise_folds_case_quotes_and_number_words() -> None:
    assert normalise("Michael Wardian\u2019s TOP Ten?") == "michael wardian top 10"

"""p88.units: the one parser and text of distances, durations, times of day and paces."""

from __future__ import annotations

import doctest
import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from p88 import units
from p88.cli.main import app
from p88.errors import InputError
from p88.units import (
    HALF_MARATHON_M,
    MARATHON_M,
    MILE_M,
    age_text,
    clock_text,
    duration_json,
    elapsed_text,
    iso_duration,
    json_value,
    pace,
    pace_text,
    parse_distance,
    parse_duration,
    truncate,
    whole_metres,
)

SRC = Path(units.__file__).parent
TEN_MILES = 16_093.44

# Every spelling a crew writes, and the metres it means.
DISTANCES = [
    ("10M", TEN_MILES), ("10 M", TEN_MILES), ("10mi", TEN_MILES), ("10 mi", TEN_MILES),
    ("10 MI", TEN_MILES), ("10 mile", TEN_MILES), ("10 miles", TEN_MILES),
    ("10 Miles", TEN_MILES), ("13.1 mi", 13.1 * MILE_M), ("1MI", MILE_M),
    ("10K", 10_000.0), ("10k", 10_000.0), ("10 km", 10_000.0), ("10KM", 10_000.0),
    ("10 kilometres", 10_000.0), ("10 kilometers", 10_000.0), ("21.1K", 21_100.0),
    ("5000m", 5_000.0), ("5000 m", 5_000.0), ("400 metres", 400.0), ("800 meters", 800.0),
    ("half", HALF_MARATHON_M), ("HALF", HALF_MARATHON_M), ("half marathon", HALF_MARATHON_M),
    ("Half-Marathon", HALF_MARATHON_M), ("half_marathon", HALF_MARATHON_M),
    ("HM", HALF_MARATHON_M), ("marathon", MARATHON_M), ("Marathon", MARATHON_M),
    ("MARA", MARATHON_M),
]  # fmt: skip
UNIT_FACTORS = [
    ("M", MILE_M), ("mi", MILE_M), (" miles", MILE_M), ("K", 1000.0), (" km", 1000.0),
    ("m", 1.0), (" metres", 1.0),
]  # fmt: skip


@pytest.mark.parametrize(("text", "metres"), DISTANCES)
def test_every_distance_spelling(text: str, metres: float) -> None:
    assert parse_distance(text) == pytest.approx(metres, abs=1e-9)


def test_ten_m_is_ten_miles_and_half_is_half_a_marathon() -> None:
    """The two rules the old parsers disagreed on: the one a timing crew expects wins."""
    assert parse_distance("10M") == 16_093.44 and parse_distance("5000m") == 5000.0
    assert parse_distance("half") == HALF_MARATHON_M == MARATHON_M / 2 == 21_097.5
    assert whole_metres(parse_distance("half")) == 21_098  # ct_races.distance_m is an integer


@pytest.mark.parametrize("text", ["10", "42195", "13.1", " 5 ", ".5", "-3"])
def test_a_bare_number_is_refused_with_the_units_accepted(text: str) -> None:
    with pytest.raises(InputError, match="has no unit") as caught:
        parse_distance(text, where="--distance")
    assert caught.value.what == "distance" and caught.value.where == "--distance"
    for unit in ("km", "5000m", "10M", "mi", "half", "marathon"):
        assert unit in caught.value.message


@pytest.mark.parametrize("text", ["far", "10 furlongs", "", "k", "-5k", "10 km 3", "5Km5"])
def test_what_is_not_a_distance_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="not a distance"):
        parse_distance(text)


def test_a_zero_distance_is_refused() -> None:
    with pytest.raises(InputError, match="more than zero"):
        parse_distance("0K")


@given(
    st.decimals(min_value="0.01", max_value="1000", places=2),
    st.sampled_from(UNIT_FACTORS),
)
def test_any_number_with_a_unit_is_that_many_units(value: Decimal, unit: tuple[str, float]) -> None:
    suffix, factor = unit
    assert parse_distance(f"{value}{suffix}") == pytest.approx(float(value) * factor)


DURATIONS = [
    ("1:02:03.45", 3723.45), ("2:24:37", 8677.0), ("24:37", 1477.0), ("62:03", 3723.0),
    ("0:00:00", 0.0), ("90s", 90.0), ("90 sec", 90.0), ("1h30m", 5400.0), ("1h 30m", 5400.0),
    ("1.5h", 5400.0), ("2 hours 5 minutes", 7500.0), ("90m", 5400.0), ("30d", 30 * 86400.0),
    ("12h", 43200.0), ("2w", 14 * 86400.0), ("PT1H2M3.45S", 3723.45), ("pt90s", 90.0),
    ("P2W", 14 * 86400.0), ("P1DT2H", 93600.0), ("PT0S", 0.0),
]  # fmt: skip


@pytest.mark.parametrize(("text", "seconds"), DURATIONS)
def test_every_duration_spelling(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["90", "1.5", " 3600 "])
def test_a_bare_duration_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="has no unit") as caught:
        parse_duration(text, where="--older-than")
    assert caught.value.what == "duration" and caught.value.where == "--older-than"
    assert "1h30m" in caught.value.message and "1:23:45" in caught.value.message


@pytest.mark.parametrize("text", ["1:99:00", "1:00:60", "soon", "h", "P", "PT", "1h1h", "1x"])
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3723.459, "1:02:03.45"),  # truncated, never rounded
        (timedelta(seconds=3723, microseconds=459_999), "1:02:03.45"),
        (59.999, "0:00:59.99"),
        (0.29, "0:00:00.29"),  # 0.29 * 100 is 28.999... in binary: still 29 hundredths
        (-0.019, "-0:00:00.01"),
        (timedelta(days=721, seconds=315.06), "17304:05:15.06"),
    ],
)
def test_elapsed_text_truncates_to_the_hundredth(value: float | timedelta, text: str) -> None:
    assert elapsed_text(value) == text


def test_elapsed_text_shapes() -> None:
    assert elapsed_text(1513.46, digits=1, compact=True) == "25:13.4"
    assert elapsed_text(8615.29, digits=1, compact=True) == "2:23:35.2"
    assert elapsed_text(90.999, digits=0) == "0:01:30"
    assert elapsed_text(3723.0, trim=True) == "1:02:03"
    assert elapsed_text(3723.5, trim=True) == "1:02:03.50"


def test_clock_text_truncates_a_time_of_day() -> None:
    assert clock_text(time(8, 1, 2, 359_999)) == "08:01:02.35"
    assert clock_text(datetime(2025, 1, 1, 23, 59, 59, 999_999)) == "23:59:59.99"


def test_parse_clock_reads_a_time_of_day() -> None:
    assert units.parse_clock("08:00") == time(8, 0)
    assert units.parse_clock(" 07:30:15.25 ") == time(7, 30, 15, 250_000)
    with pytest.raises(InputError, match="not a time of day") as caught:
        units.parse_clock("8 o'clock", where="--start")
    assert caught.value.where == "--start" and caught.value.hint == "use HH:MM or HH:MM:SS"


def test_pace_per_mile_and_per_km() -> None:
    assert pace(timedelta(minutes=50), 10_000) == timedelta(seconds=482.80)
    assert pace(timedelta(minutes=50), 10_000, "km") == timedelta(minutes=5)
    assert pace_text(pace(timedelta(minutes=50), 10_000)) == "8:02/mi"
    assert pace_text(timedelta(minutes=5), "km") == "5:00/km"
    assert pace_text(timedelta(seconds=3725), "mile") == "1:02:05/mi"


def test_age_text() -> None:
    got = [age_text(s) for s in (4, 185, 7800, 90000, -3)]
    assert got == ["4s", "3m 05s", "2h 10m", "1d 01h", "0s"]


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        (3723.45, "PT1H2M3.45S"), (0, "PT0S"), (0.5, "PT0.5S"), (3600, "PT1H"), (60, "PT1M"),
        (-60, "-PT1M"), (3600.1, "PT1H0.1S"), (timedelta(days=721, seconds=315.06),
                                                "PT17304H5M15.06S"),
    ],
)  # fmt: skip
def test_iso_duration(value: float | timedelta, iso: str) -> None:
    assert iso_duration(value) == iso


def test_json_never_carries_timedelta_text() -> None:
    long = timedelta(days=721, seconds=315.06)
    text = json.dumps({"t": long, "d": date(2025, 6, 1), "x": Decimal("1.5")}, default=json_value)
    assert json.loads(text) == {
        "t": {"seconds": 62_294_715.06, "iso": "PT17304H5M15.06S"},
        "d": "2025-06-01",
        "x": 1.5,
    }
    assert "days" not in text and duration_json(3723.459) == {
        "seconds": 3723.45,
        "iso": "PT1H2M3.45S",
    }


durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


@given(durations)
def test_text_round_trips_to_the_truncated_value(value: timedelta) -> None:
    cut = truncate(value)
    assert timedelta(0) <= value - cut < timedelta(milliseconds=10)
    assert parse_duration(elapsed_text(value)) == cut
    assert parse_duration(iso_duration(value)) == cut
    as_json = duration_json(value)
    assert parse_duration(str(as_json["iso"])) == timedelta(seconds=float(as_json["seconds"]))
    assert elapsed_text(cut) == elapsed_text(value) and truncate(cut) == cut


@given(durations)
def test_shorter_texts_are_prefixes_of_the_full_one(value: timedelta) -> None:
    """Truncation: one decimal is the first of the two, never a rounded-up neighbour."""
    full = elapsed_text(value)
    assert full.startswith(elapsed_text(value, digits=1))
    assert full.startswith(elapsed_text(value, digits=0))
    assert full.endswith(elapsed_text(value, digits=2, compact=True))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_clock_text_round_trips_through_the_duration_parser(at: datetime) -> None:
    since_midnight = at - datetime.combine(at.date(), time())
    assert parse_duration(clock_text(at)) == truncate(since_midnight)


def test_docstring_examples() -> None:
    result = doctest.testmod(units)
    assert result.attempted >= 4 and result.failed == 0


# --- one definition: no other module keeps its own constants or formatters ---------------

# The CTP01 wire format (what a controller writes, hours 24+ and all) is protocol, not text
# for people: the feed writer keeps its own rendering.
WIRE_FORMAT = {"sim/feed.py", "protocol/feed.py"}
DUPLICATE_PATTERNS = {
    "distance constant": r"\b42[_,]?195\b|\b21[_,]?09[78]\b|1609\.344|\b16[_,]?093\b",
    "mile constant": r"METRES_PER_MILE|\bMILE_M\s*=",
    "round distance literal": r"\b(5000|10000)\.0\b",
    "zero-padded time field": r":02d?\}",
    "hundredths of a clock": r"microsecond\s*//\s*10",
    "hours from seconds": r"//\s*3600\b|divmod\([^)]*,\s*(60|3600|6000|360000)\)",
    "timedelta as str() in JSON": r"default\s*=\s*str\b",
    "own distance parser": r"def\s+parse_distance\b",
    "own duration text": r"total_seconds\(\)\s*\*\s*(10|100)\b",
}


def test_no_other_module_defines_units_or_their_text() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "units.py" or rel in WIRE_FORMAT:
            continue
        for no, line in enumerate(path.read_text().splitlines(), 1):
            for what, pattern in DUPLICATE_PATTERNS.items():
                if re.search(pattern, line):
                    offenders.append(f"{rel}:{no}: {what}: {line.strip()}")
    assert offenders == []


def test_the_patterns_catch_the_old_formatters() -> None:
    """The source check can fail: each pattern matches the code it replaced."""
    old = {
        "distance constant": "_DISTANCES = {'marathon': 42195, 'half': 21098}",
        "mile constant": "METRES_PER_MILE = 1609.344",
        "round distance literal": "(distance_m / 5000.0) ** RIEGEL",
        "zero-padded time field": 'f"{h}:{m:02d}:{s:02d}.{hh:02d}"',
        "hundredths of a clock": "{value.microsecond // 10000:02d}",
        "hours from seconds": "h, rest = divmod(cs, 360000)",
        "timedelta as str() in JSON": "json.dumps(data, indent=2, default=str)",
        "own distance parser": "def parse_distance(text: str) -> int:",
        "own duration text": "tenths = round(value.total_seconds() * 10)",
    }
    assert old.keys() == DUPLICATE_PATTERNS.keys()
    for what, line in old.items():
        assert re.search(DUPLICATE_PATTERNS[what], line), what


# --- the CLI: --distance needs a unit, --json carries seconds + ISO 8601 --------------------

runner = CliRunner()
PARTICIPANTS = "Bib,First Name,Last Name,Gender,Age\n101,Ann,Lee,F,34\n102,Bob,Diaz,M,45\n"


def _new_race(distance: str) -> tuple[int, str, str]:
    made = runner.invoke(
        app,
        ["results", "new-race", "--partner", "Units Timing", "--event", "Units Ten Miler",
         "--date", "2024-06-01", "--race", distance, "--distance", distance, "--start", "08:00",
         "--json"],
    )  # fmt: skip
    race = json.loads(made.stdout)["race_id"] if made.exit_code == 0 else 0
    return race, made.stderr, str(made.exit_code)


def test_cli_refuses_a_distance_without_unit(p88_env: str) -> None:
    race, stderr, code = _new_race("10")
    assert code == "1" and race == 0
    assert stderr.startswith("Error: distance '10' has no unit: use 5K, 10 km, 5000m, 10M")


def test_standings_json_carries_seconds_and_iso(p88_env: str, tmp_path: Path) -> None:
    race, stderr, code = _new_race("10M")
    assert code == "0", stderr
    csv_path = tmp_path / "participants.csv"
    csv_path.write_text(PARTICIPANTS)
    assert (
        runner.invoke(app, ["results", "import", str(csv_path), "--race", str(race)]).exit_code == 0
    )
    day = date(2024, 6, 1)
    with psycopg.connect(p88_env, autocommit=True) as conn:
        assert conn.execute(
            "SELECT distance_m FROM ct_races WHERE id = %s", (race,)
        ).fetchone() == (16093,)
        session = conn.execute(
            "INSERT INTO timing_sessions (session_name) VALUES ('units') RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        reads = [
            ("START", "101", time(8, 0, 10, 250_000)),
            ("FINISH", "101", time(9, 12, 13, 719_000)),
            ("FINISH", "102", time(9, 30, 0)),
        ]
        for gator, (loc, tag, clock) in enumerate(reads, 1):
            conn.execute(
                "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, "
                "read_date, read_timestamp, reader_id, gator_number) "
                "VALUES (%s, %s, %s, %s, %s, %s, 'T1', %s)",
                (session, loc, tag, clock, day, datetime.combine(day, clock), gator),
            )
    scored = runner.invoke(
        app, ["results", "score", "--session", "units", "--race", str(race), "--start", "START",
              "--finish", "FINISH"],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    table = runner.invoke(app, ["results", "standings", "--race", str(race), "--json"])
    assert table.exit_code == 0, table.output
    rows = {r["bib"]: r for r in json.loads(table.stdout)}
    # 08:00:10.25 -> 09:12:13.71 (the read keeps hundredths): chip 1:12:03.46
    assert rows["101"]["chip_time"] == {"seconds": 4323.46, "iso": "PT1H12M3.46S"}
    assert rows["101"]["gun_time"] == {"seconds": 4333.71, "iso": "PT1H12M13.71S"}
    assert rows["102"]["chip_time"] == {"seconds": 5400.0, "iso": "PT1H30M"}
    assert "days" not in table.stdout
    text = runner.invoke(app, ["results", "standings", "--race", str(race)], env={"COLUMNS": "200"})
    assert "1:12:03.46" in text.stdout and "1:12:13.71" in text.stdout

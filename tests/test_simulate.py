"""p88 simulate: determinism for a seed, realistic statistics inside the documented ranges,
and files that the shared codec reads back as a replay would."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from p88.errors import P88Error
from p88.sim import (
    all_stats,
    build_course,
    feed_stats,
    load_feeds,
    parse_distance,
    simulate,
    write_race,
)


def _digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def race_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("race")
    course = build_course("START,5K,FINISH", "10K", "3")
    write_race(simulate(course, 3000, seed=7), out)
    return out


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    course = build_course("START,5K,FINISH", "10K", "2")
    a = write_race(simulate(course, 800, seed=11), tmp_path / "a")
    b = write_race(simulate(course, 800, seed=11), tmp_path / "b")
    c = write_race(simulate(course, 800, seed=12), tmp_path / "c")
    assert _digest(a) == _digest(b)
    assert (tmp_path / "a" / "runners.csv").read_bytes() == (
        tmp_path / "b" / "runners.csv"
    ).read_bytes()
    assert _digest(a) != _digest(c)
    assert [p.name for p in a] == ["START.ct33", "5K.ct33", "FINISH.ct33"]


def test_files_are_crlf_ct01_33_in_sequence_order(race_dir: Path) -> None:
    data = (race_dir / "FINISH.ct33").read_bytes()
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert all(line.startswith(b"CT01_33~") for line in lines[:-1])
    seqs = [int(line.split(b"~")[1]) for line in lines[:-1]]
    assert seqs == list(range(1, len(seqs) + 1))


def test_statistics_inside_documented_ranges(race_dir: Path) -> None:
    day0 = build_course("START,FINISH", "10K").waves[0].date()
    stats = {
        s.location: s
        for path in sorted(race_dir.glob("*.ct33"))
        for s in all_stats(load_feeds(path, day0))
    }
    assert set(stats) == {"START", "5K", "FINISH"}
    for s in stats.values():
        assert 2.4 <= s.reads_per_tag <= 3.4, s
        assert 0.15 <= s.out_of_order_share <= 0.50, s
    assert 100 <= stats["FINISH"].max_reads_one_tag <= 800  # someone stood on the mat
    assert stats["START"].gun_times == 3  # one gun line per wave
    assert stats["FINISH"].gun_times == 0
    # Missed reads and DNFs: fewer tags at the finish than entrants, most of them there.
    assert 0.88 * 3000 <= stats["FINISH"].tags <= 0.97 * 3000
    rows = (race_dir / "runners.csv").read_text().splitlines()[1:]
    status = Counter(row.split(",")[3] for row in rows)
    starters = status["finished"] + status["dnf"]
    assert 0.95 <= status["finished"] / starters <= 0.99
    assert status["dns"] > 0


def test_finish_times_scale_with_distance() -> None:
    def median_chip(distance: str) -> float:
        race = simulate(build_course("START,FINISH", distance), 1500, seed=3)
        chips = sorted(r.chip_time_s for r in race.runners if r.chip_time_s is not None)
        return chips[len(chips) // 2]

    five, half = median_chip("5K"), median_chip("HALF")
    assert 25 * 60 <= five <= 36 * 60  # a mass-participation 5K
    assert 1.8 * 3600 <= half <= 2.6 * 3600
    assert half / five == pytest.approx((21097.5 / 5000) ** 1.06 * 1.0, rel=0.12)


def test_real_capture_measured_the_same_way(captures_dir: Path) -> None:
    (feed,) = load_feeds(
        captures_dir / "mini11992-2024-12-14.ct33",
        build_course("START,FINISH", "5K").waves[0].date(),
    )
    s = feed_stats(feed)
    assert (s.lines, s.tags, s.backward_steps) == (8859, 3376, 3797)
    assert s.max_reads_one_tag == 194


@pytest.mark.parametrize(
    ("points", "distance", "message"),
    [
        ("START", "10K", "at least two"),
        ("START,12K,FINISH", "10K", "outside the race distance"),
        ("5K,FINISH", "10K", "must be at 0 m"),
        ("START,FINISH,FINISH", "10K", "repeat"),
        ("START,b~ad,FINISH", "10K", "bad timing point name"),
        ("START,FINISH", "far", "not a distance"),
    ],
)
def test_bad_course_is_one_clear_error(points: str, distance: str, message: str) -> None:
    with pytest.raises(P88Error, match=message):
        build_course(points, distance)


def test_distances_and_named_points() -> None:
    assert parse_distance("10km") == 10000.0
    assert parse_distance("marathon") == 42195.0
    course = build_course("START,HALF,MAT@30K,FINISH", "marathon", "07:00,07:20")
    assert [p.name for p in course.points] == ["START", "HALF", "MAT", "FINISH"]
    assert [g.strftime("%H:%M") for g in course.waves] == ["07:00", "07:20"]

"""What the readers report: crossings turned into the messy reads a real controller sends.

Per crossing, 1 to 5 reads (mean about 2.7) spread over -0.3 s .. +1.5 s around the
crossing, on antennas 1, 2, 4 and 8 (the real capture's gators). A crossing is missed
outright with probability ``MISS_RATE`` (higher on the start mat, where the crowd is
densest). A few tags — about one per 1,500 runners, at least one — stand near the finish
mat after finishing and are read hundreds of times. The controller reports a read
after a short, random delay (the tag's strongest read is only known once it has left
the field), and sequence numbers follow the report order, so read times step
backwards in sequence order, as in the real capture. The start point also carries one
gun-time line per wave.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from p88.sim.course import Course
from p88.sim.race import Runner

ANTENNAS = (1, 2, 4, 8)
ANTENNA_WEIGHTS = (1, 3, 2, 3)
READS_PER_CROSSING = (1, 2, 3, 4, 5)
READS_WEIGHTS = (20, 30, 25, 15, 10)
MISS_RATE = 0.012
START_MISS_RATE = 0.03
CAMPERS_PER_RUNNER = 1 / 1500
REPORT_DELAY_MEAN_S = 0.7
REPORT_DELAY_MAX_S = 5.0
GUN_TAG = "guntime"


@dataclass(frozen=True)
class SimLine:
    """One line a controller point reports: a tag read, or a gun time (``tag == "guntime"``)."""

    seq: int
    location: str
    tag: str
    when: datetime
    lap: int
    reader: str
    gator: int


def _centis(moment: datetime) -> datetime:
    """Round to the hundredth of a second CT01 times carry."""
    micro = round(moment.microsecond / 10_000) * 10_000
    return moment.replace(microsecond=0) + timedelta(microseconds=micro)


def reader_ids(course: Course, rng: random.Random) -> dict[str, str]:
    """A 6-hex-digit reader id per point (bytes 4-6 of a made-up MAC)."""
    return {p.name: f"{rng.randrange(0x100000, 0xFFFFFF):06X}" for p in course.points}


class _PointReads:
    """Collects one point's reads, keeping (tag, time, antenna) unique as real reads are."""

    def __init__(self, location: str, reader: str) -> None:
        self.location = location
        self.reader = reader
        self.items: list[tuple[datetime, datetime, str, int]] = []  # (report, read, tag, gator)
        self._seen: set[tuple[str, datetime, int]] = set()

    def add(self, read_at: datetime, report_at: datetime, tag: str, gator: int) -> None:
        read_at = _centis(read_at)
        while (tag, read_at, gator) in self._seen:
            read_at += timedelta(milliseconds=10)
        self._seen.add((tag, read_at, gator))
        self.items.append((max(report_at, read_at), read_at, tag, gator))

    def lines(self) -> list[SimLine]:
        ordered = sorted(self.items, key=lambda item: (item[0], item[1], item[2], item[3]))
        return [
            SimLine(seq, self.location, tag, at, 0 if tag == GUN_TAG else 1, self.reader, gator)
            for seq, (_, at, tag, gator) in enumerate(ordered, start=1)
        ]


def _delay(rng: random.Random) -> timedelta:
    return timedelta(seconds=min(REPORT_DELAY_MAX_S, rng.expovariate(1 / REPORT_DELAY_MEAN_S)))


def simulate_reads(
    course: Course, runners: list[Runner], rng: random.Random
) -> dict[str, list[SimLine]]:
    """Every point's lines in report (= sequence) order, keyed by location name."""
    readers = reader_ids(course, rng)
    points = {p.name: _PointReads(p.name, readers[p.name]) for p in course.points}
    start = points[course.start.name]
    for gun in course.waves:
        start.items.append((gun, _centis(gun), GUN_TAG, 0))
    for runner in runners:
        for point, crossing in zip(course.points, runner.crossings, strict=False):
            if crossing is None:
                continue
            miss = START_MISS_RATE if point is course.start else MISS_RATE
            if rng.random() < miss:
                continue
            count = rng.choices(READS_PER_CROSSING, READS_WEIGHTS)[0]
            for _ in range(count):
                read_at = crossing + timedelta(seconds=rng.uniform(-0.3, 1.5))
                gator = rng.choices(ANTENNAS, ANTENNA_WEIGHTS)[0]
                points[point.name].add(read_at, read_at + _delay(rng), runner.tag, gator)
    _add_campers(course, runners, points[course.points[-1].name], rng)
    return {name: collected.lines() for name, collected in points.items()}


def _add_campers(
    course: Course, runners: list[Runner], finish: _PointReads, rng: random.Random
) -> None:
    """Finishers who linger by the last mat: a read every second or two for minutes."""
    finishers = [r for r in runners if r.crossings and r.crossings[-1] is not None]
    if not finishers:
        return
    count = max(1, round(len(runners) * CAMPERS_PER_RUNNER))
    for runner in rng.sample(finishers, min(count, len(finishers))):
        crossed = runner.crossings[-1]
        assert crossed is not None
        moment = crossed + timedelta(seconds=rng.uniform(5, 30))
        until = moment + timedelta(seconds=rng.uniform(240, 600))
        while moment < until:
            gator = rng.choices(ANTENNAS, ANTENNA_WEIGHTS)[0]
            finish.add(moment, moment + _delay(rng), runner.tag, gator)
            moment += timedelta(seconds=rng.uniform(0.6, 2.4))

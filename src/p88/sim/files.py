"""Writing a simulated race to disk: one CT01_33 capture file per timing point, plus the truth.

Each ``<POINT>.ct33`` file holds what that point's controller would send, CR LF
terminated, written by the listener's codec (``format_line``), so ``p88 replay`` and
``p88 import`` read it like a real capture. ``runners.csv`` records every entrant's wave,
status and true crossing times, for checking what scoring makes of the reads.
``participants.csv`` is the registration export a race would have: bib, name, sex, age,
chip and wave, in column names ``p88 results import`` reads.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from p88.errors import InputError
from p88.protocol.codec import GunTime, Read, format_line
from p88.protocol.feed import Feed, render_time
from p88.protocol.times import parse_time
from p88.sim.course import Course
from p88.sim.race import Runner, simulate_runners
from p88.sim.reads import GUN_TAG, SimLine, simulate_reads

MAX_RUNNERS = 200_000


@dataclass(frozen=True)
class SimulatedRace:
    """A generated race: its course, entrants and each point's lines in sequence order."""

    course: Course
    runners: list[Runner]
    lines: dict[str, list[SimLine]]
    seed: int

    def feeds(self, time_format: str = "normal") -> list[Feed]:
        """The race as replay feeds, one per point, without writing files."""
        day0 = self.course.waves[0].date()
        out = []
        for point in self.course.points:
            lines = self.lines[point.name]
            parsed = [to_message(line, time_format, day0) for line in lines]
            reader = lines[0].reader if lines else "0"
            out.append(
                Feed(point.name, parsed, [line.when for line in lines], day0, reader, point.name)
            )
        return out


def simulate(course: Course, runners: int, seed: int) -> SimulatedRace:
    """Generate a race: the same course, runner count and seed always give the same race."""
    if not 1 <= runners <= MAX_RUNNERS:
        raise InputError(
            f"--runners {runners}: use 1 to {MAX_RUNNERS}", what="runners", where="--runners"
        )
    rng = random.Random(seed)
    field = simulate_runners(course, runners, rng)
    return SimulatedRace(course, field, simulate_reads(course, field, rng), seed)


def to_message(line: SimLine, time_format: str, day0: date) -> Read | GunTime:
    """A simulated line as the codec's typed message, its time in ``time_format``."""
    text = render_time(line.when, time_format, day0)
    kind = GunTime if line.tag == GUN_TAG else Read
    return kind(
        line.seq, line.location, line.tag, parse_time(text), line.lap, line.reader, line.gator
    )


def write_race(race: SimulatedRace, out_dir: Path, time_format: str = "normal") -> list[Path]:
    """Write ``<POINT>.ct33`` per point and ``runners.csv``; return the capture paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create {out_dir}: {exc.strerror}", what="directory", where=str(out_dir)
        ) from None
    day0 = race.course.waves[0].date()
    paths = []
    for point in race.course.points:
        path = out_dir / f"{point.name}.ct33"
        with path.open("wb") as fh:
            for line in race.lines[point.name]:
                fh.write(format_line(to_message(line, time_format, day0)))
        paths.append(path)
    with (out_dir / "runners.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["bib", "tag", "wave", "status", "target_s", *(p.name for p in race.course.points)]
        )
        for r in race.runners:
            times = [c.isoformat(timespec="milliseconds") if c else "" for c in r.crossings]
            times += [""] * (len(race.course.points) - len(times))
            writer.writerow([r.bib, r.tag, r.wave, r.status, f"{r.target_s:.1f}", *times])
    write_participants(race, out_dir / "participants.csv")
    return paths


def write_participants(race: SimulatedRace, path: Path) -> Path:
    """The race's entrants as a registration export: Bib, First Name, Last Name, Sex, Age,
    Chip, Wave. Sex and age are drawn from the seed (they do not change anyone's times);
    the chip is the tag the reads carry."""
    rng = random.Random(race.seed * 7919 + 1)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Bib", "First Name", "Last Name", "Sex", "Age", "Chip", "Wave"])
        for r in race.runners:
            sex = "F" if rng.random() < 0.5 else "M"
            age = rng.randint(12, 79)
            writer.writerow([r.bib, "Runner", f"No{r.bib}", sex, age, r.tag, r.wave])
    return path

"""Runners and the moments they cross each timing point: the race before any reader sees it.

Finish times follow a log-normal around a median that scales with distance by Riegel's
formula (``T2 = T1 * (D2 / D1) ** 1.06``), anchored at a 29.5-minute 5K — a mass-
participation field, not an elite one. Faster runners line up in earlier waves and nearer
the front of their corral, so they cross the start mat sooner after their gun. Each runner
has a fade: most run a slight positive split. Some never start (DNS) and some stop
before a later point (DNF); ``runners.csv`` written beside the captures keeps the truth.

Everything draws from one ``random.Random(seed)`` in a fixed order, so a seed is a race.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from p88.sim.course import Course
from p88.units import FIVE_K_M

MEDIAN_5K_S = 29.5 * 60
RIEGEL = 1.06
SIGMA = 0.21
FASTEST_5K_S = 13.5 * 60
START_RATE_PER_S = 12.0
DNS_RATE = 0.03
DNF_RATE = 0.025


@dataclass(frozen=True)
class Runner:
    """One entrant: bib (= tag), wave, status and, for starters, each point's crossing time.

    ``crossings[i]`` is the moment the runner crosses ``course.points[i]``, or ``None``
    where the runner never got there (DNF) — the list is empty for a DNS.
    """

    bib: int
    wave: int
    status: str
    target_s: float
    crossings: tuple[datetime | None, ...]

    @property
    def tag(self) -> str:
        return str(self.bib)

    @property
    def chip_time_s(self) -> float | None:
        """Start mat to finish mat, or ``None`` when either crossing is missing."""
        if not self.crossings or self.crossings[0] is None or self.crossings[-1] is None:
            return None
        return (self.crossings[-1] - self.crossings[0]).total_seconds()


def median_time_s(distance_m: float) -> float:
    """Median finish time of a mass field over ``distance_m`` (Riegel from a 29.5 min 5K)."""
    return float(MEDIAN_5K_S * (distance_m / FIVE_K_M) ** RIEGEL)


def _fastest_s(distance_m: float) -> float:
    return float(FASTEST_5K_S * (distance_m / FIVE_K_M) ** RIEGEL)


def _fraction(share: float, fade: float) -> float:
    """Share of the finish time spent to reach ``share`` of the distance (1.0 at the finish)."""
    return share * (1.0 + fade * (share - 1.0))


def simulate_runners(course: Course, runners: int, rng: random.Random) -> list[Runner]:
    """Draw ``runners`` entrants and their crossing times at every point of ``course``."""
    median = median_time_s(course.distance_m)
    floor = _fastest_s(course.distance_m)
    targets = [
        max(floor, min(median * 2.4, median * math.exp(rng.gauss(0.0, SIGMA))))
        for _ in range(runners)
    ]
    # Seeding: sort by a noisy estimate of ability, so waves and corrals are roughly by pace.
    seeding = sorted(range(runners), key=lambda i: targets[i] * math.exp(rng.gauss(0.0, 0.08)))
    waves = len(course.waves)
    per_wave = math.ceil(runners / waves)
    out: list[Runner] = []
    for rank, idx in enumerate(seeding):
        wave = min(rank // per_wave, waves - 1)
        corral_pos = rank - wave * per_wave
        status = "finished"
        roll = rng.random()
        if roll < DNS_RATE:
            status = "dns"
        elif roll < DNS_RATE + DNF_RATE and len(course.points) > 1:
            status = "dnf"
        fade = rng.gauss(0.04, 0.05)
        delay = 2.0 + corral_pos / START_RATE_PER_S + abs(rng.gauss(0.0, 1.5))
        last_point = len(course.points) - 1
        if status == "dnf":
            last_point = rng.randrange(0, len(course.points) - 1)
        crossings: list[datetime | None] = []
        if status != "dns":
            start = course.waves[wave] + timedelta(seconds=delay)
            for i, point in enumerate(course.points):
                if i > last_point:
                    crossings.append(None)
                    continue
                share = point.metres / course.distance_m
                crossings.append(start + timedelta(seconds=targets[idx] * _fraction(share, fade)))
        out.append(Runner(idx + 1, wave + 1, status, targets[idx], tuple(crossings)))
    out.sort(key=lambda r: r.bib)
    return out

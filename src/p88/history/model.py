"""How fast people run: finish-time and outcome distributions by distance, sex and age.

A finish time is ``median(distance, sex) * age_factor(age, sex) * ability * course * day``:
``ability`` is the person's own (lognormal, fixed for life, so a runner's races agree with
each other and a PR means something), ``course`` the event's (fast or hilly), ``day`` the
race's luck. Medians are those of large US road-race fields; the age factor follows
age-grading tables loosely (flat from 20 to 35, then slower, faster from 60).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from p88.history.catalog import FIVE_K, HALF, MARATHON, TEN_K

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Median chip time in seconds by distance and sex ('X' runs between M and F).
MEDIAN_S: dict[int, dict[str, float]] = {
    MARATHON: {"M": 4 * 3600 + 15 * 60, "F": 4 * 3600 + 42 * 60, "X": 4 * 3600 + 30 * 60},
    HALF: {"M": 2 * 3600 + 2 * 60, "F": 2 * 3600 + 17 * 60, "X": 2 * 3600 + 10 * 60},
    TEN_K: {"M": 56 * 60, "F": 64 * 60, "X": 60 * 60},
    FIVE_K: {"M": 29 * 60, "F": 35 * 60, "X": 32 * 60},
}
# Course limits: slower than this is not a finish (the sweep bus comes).
LIMIT_S: dict[int, int] = {MARATHON: 7 * 3600, HALF: 4 * 3600, TEN_K: 2 * 3600, FIVE_K: 3600 + 1800}
# Probability of DNF (did not finish), by distance; DNS and DQ are rarer and flat.
DNF_RATE: dict[int, float] = {MARATHON: 0.035, HALF: 0.015, TEN_K: 0.008, FIVE_K: 0.005}
DNS_RATE = 0.01
DQ_RATE = 0.0008

ABILITY_SIGMA = 0.17  # spread of personal ability (lognormal sigma)
DAY_SIGMA = 0.05  # race-day luck
COURSE_SIGMA = 0.02  # fast and slow courses
ABILITY_MIN, ABILITY_MAX = 0.52, 1.9


def age_factor(age: IntArray, sex: npt.NDArray[np.str_]) -> FloatArray:
    """Slow-down against a runner's prime, by age (1.0 from 20 to 35)."""
    a = age.astype(np.float64)
    young = np.clip(20.0 - a, 0.0, None) * 0.012
    older = np.clip(a - 35.0, 0.0, None) * 0.007
    old = np.clip(a - 60.0, 0.0, None) ** 2 * 0.0009
    women = np.where(sex == "F", 1.0 + np.clip(a - 45.0, 0.0, None) * 0.001, 1.0)
    return (1.0 + young + older + old) * women


def finish_seconds(
    distance_m: IntArray,
    sex: npt.NDArray[np.str_],
    age: IntArray,
    ability: FloatArray,
    course: FloatArray,
    day: FloatArray,
) -> IntArray:
    """Chip times in whole seconds for each entry (vectorised)."""
    median = np.zeros(len(distance_m), dtype=np.float64)
    for dist, by_sex in MEDIAN_S.items():
        for s, m in by_sex.items():
            median[(distance_m == dist) & (sex == s)] = m
    seconds = median * age_factor(age, sex) * ability * course * day
    return np.rint(seconds).astype(np.int64)


def start_delay(gun_to_chip_rank: FloatArray, field_size: IntArray, noise: FloatArray) -> IntArray:
    """Seconds from the gun to a runner's start crossing: back of the pack starts later.

    ``gun_to_chip_rank`` is 0 for the fastest expected runner and 1 for the slowest; a
    field of 30,000 needs about 20 minutes to cross the start.
    """
    max_delay = np.minimum(1200.0, 5.0 + field_size * 0.04)
    share = np.clip(gun_to_chip_rank + noise, 0.0, 1.0)
    delay: IntArray = np.rint(max_delay * share).astype(np.int64)
    return delay

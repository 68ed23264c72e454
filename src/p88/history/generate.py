"""Draw a synthetic results history: the rows, as columns, ready for COPY.

Everything comes from one ``numpy.random.Generator`` seeded with ``HistoryOptions.seed``,
drawn in a fixed order, so the same options give the same rows (ids included, given the
same id bases). The event calendar depends on the seed and the years only, not on the
number of results: a small history and a large one hold the same events, with fields
scaled to the size asked for.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import numpy.typing as npt

from p88.errors import InputError
from p88.history import catalog, model, names
from p88.history.arrays import Columns, dedupe, group_rank, largest_remainder, pct_in_group
from p88.history.rows import events_columns, partners_columns, races_columns
from p88.store import AgeGroups
from p88.units import MILE_M

WARDIAN_PR_S = 2 * 3600 + 24 * 60 + 37  # 2:24:37, at the Hartford Marathon (the seed's answer)
RACE_SHARES = (1.0, 0.8, 0.5)
STATUS = np.array(["finished", "DNF", "DNS", "DQ"])


@dataclass(frozen=True)
class HistoryOptions:
    """The knobs of ``p88 demo history``.

    ``results`` entries in all, over events from ``first_year`` to ``last_year``;
    ``results_per_person`` sets how many people share them (the seed's production data
    had 4.6); ``seed`` fixes every draw. Events of 2020 after mid-March were cancelled.
    """

    results: int = 100_000
    seed: int = 42
    first_year: int = 2018
    last_year: int = 2025
    results_per_person: float = 4.6
    age_groups: AgeGroups = field(default_factory=AgeGroups)

    def __post_init__(self) -> None:
        if self.results < 1:
            raise InputError(
                "the history needs at least one result", what="results", where="--results"
            )
        if not 1990 <= self.first_year <= self.last_year <= 2100:
            raise InputError(
                f"bad years {self.first_year}-{self.last_year}",
                what="years",
                where="--first-year/--last-year",
            )
        if self.results_per_person < 1:
            raise InputError(
                "results per person must be at least 1",
                what="results per person",
                where="--results-per-person",
            )


@dataclass(frozen=True)
class IdBase:
    """Ids already used in each table; the history's ids follow them."""

    partners: int = 0
    events: int = 0
    races: int = 0
    participants: int = 0
    results: int = 0


@dataclass
class History:
    """The generated tables, each a ``Columns`` in the order they must be loaded."""

    partners: Columns
    events: Columns
    races: Columns
    participants: Columns
    results: Columns

    def tables(self) -> list[Columns]:
        return [self.partners, self.events, self.races, self.participants, self.results]


def nth_weekday(year: int, month: int, week: int, weekday: int) -> date:
    """The ``week``-th ``weekday`` of a month (week 5 = the last one)."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[-1] if week >= 5 else days[week - 1]


def generate(opts: HistoryOptions, base: IdBase | None = None) -> History:
    """Draw the whole history for ``opts``; ids start after ``base``."""
    base = base or IdBase()
    rng = np.random.default_rng(opts.seed)
    partner_ids = {p.code: base.partners + i + 1 for i, p in enumerate(catalog.PARTNERS)}

    # Events: the calendar of each series, then sorted by date.
    events: list[tuple[date, int]] = []
    years = list(range(opts.first_year, opts.last_year + 1))
    for si, s in enumerate(catalog.SERIES):
        held = [y for y in years if s.every_year or rng.random() < 0.5]
        for y in held:
            d = nth_weekday(y, s.month, s.week, s.weekday)
            if not (y == 2020 and d >= date(2020, 3, 15)):
                events.append((d, si))
    events.sort()
    n_events = len(events)
    ev_series = np.array([si for _, si in events], dtype=np.int64)
    ev_year = np.array([d.year for d, _ in events], dtype=np.int64)
    course = rng.lognormal(0.0, model.COURSE_SIGMA, n_events)
    popularity = rng.lognormal(0.0, 0.15, n_events)

    # Races and their share of the results.
    r_event: list[int] = []
    r_dist: list[int] = []
    r_pos: list[int] = []
    r_start: list[datetime] = []
    weights: list[float] = []
    for ei, (d, si) in enumerate(events):
        s = catalog.SERIES[si]
        growth = 1.0 + 0.04 * (d.year - opts.first_year)
        for k, (metres, hour, minute) in enumerate(s.races):
            r_event.append(ei)
            r_dist.append(metres)
            r_pos.append(k)
            r_start.append(datetime.combine(d, time(hour, minute)))
            weights.append(s.size * RACE_SHARES[k] * growth * float(popularity[ei]))
    race_event = np.array(r_event, dtype=np.int64)
    race_dist = np.array(r_dist, dtype=np.int64)
    counts = largest_remainder(np.array(weights), opts.results)
    n_races = len(r_event)

    # People.
    n_people = max(int(round(opts.results / opts.results_per_person)), int(counts.max()), 1)
    sex = rng.choice(np.array(["M", "F", "X"]), n_people, p=[0.53, 0.46, 0.01])
    birth_year = opts.last_year - np.rint(np.clip(rng.normal(40.0, 12.0, n_people), 19, 84))
    birth_year = birth_year.astype(np.int64)
    homes = catalog.HOMES
    home_w = np.array([w for _, _, w in homes])
    home = rng.choice(len(homes), n_people, p=home_w / home_w.sum())
    first = _pick_first_names(rng, sex)
    last_w = 1.0 / (np.arange(len(names.LAST)) + 12.0)
    last = np.array(names.LAST)[rng.choice(len(names.LAST), n_people, p=last_w / last_w.sum())]
    ability = np.clip(
        rng.lognormal(0.0, model.ABILITY_SIGMA, n_people), model.ABILITY_MIN, model.ABILITY_MAX
    )
    activity = np.clip(rng.pareto(1.6, n_people) + 1.0, 1.0, 30.0)

    # Entries: who ran which race; nobody twice in one race.
    slot_race = np.repeat(np.arange(n_races), counts)
    person = rng.choice(n_people, opts.results, p=activity / activity.sum())
    dedupe(rng, slot_race, person, n_people)

    # Michael Wardian, a person the seed's examples ask about: several fast marathons.
    wardian = n_people
    sex = np.append(sex, "M")
    birth_year = np.append(birth_year, 1974)
    home = np.append(home, [i for i, h in enumerate(homes) if h[:2] == ("Arlington", "VA")][0])
    first = np.append(first, "Michael")
    last = np.append(last, "Wardian")
    ability = np.append(ability, 0.6)
    wardian_slots, wardian_pr_slot = _wardian_slots(rng, race_dist, race_event, ev_series, counts)
    person[wardian_slots] = wardian

    # Times and outcomes.
    ev = race_event[slot_race]
    dist = race_dist[slot_race]
    p_sex = sex[person]
    age = ev_year[ev] - birth_year[person]
    day = rng.lognormal(0.0, model.DAY_SIGMA, opts.results)
    chip = model.finish_seconds(dist, p_sex, age, ability[person], course[ev], day)
    chip[wardian_slots] = WARDIAN_PR_S + rng.integers(90, 1500, len(wardian_slots))
    if wardian_pr_slot is not None:
        chip[wardian_pr_slot] = WARDIAN_PR_S
    status = _outcomes(rng, dist, chip, p_sex, age)
    status[wardian_slots] = 0
    expected = ability[person] * model.age_factor(age, p_sex)
    field_size = counts[slot_race]
    pct = pct_in_group(slot_race, expected, counts)
    gun = chip + model.start_delay(pct, field_size, rng.normal(0.0, 0.08, opts.results))
    pace = np.rint(chip * MILE_M / dist).astype(np.int64)
    finished = status == 0
    ag_labels = np.array([opts.age_groups.label(a) for a in range(121)])
    ag_index = np.clip(age, 0, 120)
    sex_code = np.searchsorted(np.array(["F", "M", "X"]), p_sex)
    overall = group_rank([slot_race], gun, finished)
    sex_place = group_rank([slot_race, sex_code], gun, finished)
    ag_key = ag_labels_index(opts.age_groups, ag_index)
    age_place = group_rank([slot_race, sex_code, ag_key], gun, finished)
    slot_in_race = np.arange(opts.results) - np.repeat(np.cumsum(counts) - counts, counts)
    bib = np.array(r_pos, dtype=np.int64)[slot_race] * 10000 + slot_in_race + 1

    part_ids = base.participants + 1 + np.arange(n_people + 1)
    event_ids = base.events + 1 + np.arange(n_events)
    race_ids = base.races + 1 + np.arange(n_races)
    ev_partner = np.array(
        [partner_ids[catalog.SERIES[si].partner] for si in ev_series], dtype=np.int64
    )
    return History(
        partners=partners_columns(base.partners),
        events=events_columns(events, event_ids, ev_partner),
        races=races_columns(race_ids, race_event, event_ids, ev_partner, race_dist, r_start),
        participants=Columns(
            "ct_participants",
            {
                "id": part_ids,
                "first_name": first,
                "last_name": last,
                "sex": sex,
                "birth_year": birth_year,
                "city": np.array([h[0] for h in homes])[home],
                "state": np.array([h[1] for h in homes])[home],
                "country": np.where(np.array([h[1] for h in homes])[home] == "ON", "CA", "US"),
                "external_id": np.full(n_people + 1, "synthetic"),
            },
        ),
        results=Columns(
            "ct_results",
            {
                "id": base.results + 1 + np.arange(opts.results),
                "partner_id": ev_partner[ev],
                "event_id": event_ids[ev],
                "race_id": race_ids[slot_race],
                "participant_id": part_ids[person],
                "bib": bib,
                "sex": p_sex,
                "age": age,
                "age_group": ag_labels[ag_index],
                "chip_time": np.where(finished, chip, -1),
                "gun_time": np.where(finished, gun, -1),
                "pace": np.where(finished, pace, -1),
                "status": STATUS[status],
                "overall_place": overall,
                "sex_place": sex_place,
                "age_group_place": age_place,
                "source": np.full(opts.results, "synthetic"),
            },
            nulls={
                "chip_time": ~finished,
                "gun_time": ~finished,
                "pace": ~finished,
                "overall_place": ~finished,
                "sex_place": ~finished,
                "age_group_place": ~finished,
            },
        ),
    )


def ag_labels_index(groups: AgeGroups, age: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """A number per age group (for grouping), consistent with ``groups.label``."""
    return np.where(
        age < groups.first,
        -1,
        np.where(age >= groups.last, 10_000, (age - groups.first) // groups.width),
    )


def _pick_first_names(rng: np.random.Generator, sex: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """Given names by sex, the common ones more often (lists are in order of popularity)."""
    out = np.empty(len(sex), dtype=object)
    for s, pool in (("M", names.FIRST_M), ("F", names.FIRST_F), ("X", names.FIRST_X)):
        mask = sex == s
        w = 1.0 / (np.arange(len(pool)) + 8.0)
        out[mask] = np.array(pool)[rng.choice(len(pool), int(mask.sum()), p=w / w.sum())]
    return out.astype(str)


def _wardian_slots(
    rng: np.random.Generator,
    race_dist: npt.NDArray[np.int64],
    race_event: npt.NDArray[np.int64],
    ev_series: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], int | None]:
    """The entries that become Michael Wardian's: up to 3 Hartford and 4 other marathons.

    Returns the slots and the one that holds his PR (his latest Hartford Marathon).
    """
    starts = np.cumsum(counts) - counts
    hartford = next(i for i, s in enumerate(catalog.SERIES) if s.name == "Hartford Marathon")
    marathons = np.nonzero((race_dist == catalog.MARATHON) & (counts > 0))[0]
    at_hartford = marathons[ev_series[race_event[marathons]] == hartford]
    others = marathons[ev_series[race_event[marathons]] != hartford]
    chosen_h = at_hartford[-3:]
    chosen_o = (
        np.sort(rng.choice(others, min(4, len(others)), replace=False)) if len(others) else others
    )
    slots = starts[np.concatenate([chosen_h, chosen_o])].astype(np.int64)
    pr = int(starts[chosen_h[-1]]) if len(chosen_h) else None
    return slots, pr


def _outcomes(
    rng: np.random.Generator,
    dist: npt.NDArray[np.int64],
    chip: npt.NDArray[np.int64],
    sex: npt.NDArray[np.str_],
    age: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Index into STATUS per entry: slow runners DNF more; over the course limit is a DNF."""
    u = rng.random(len(dist))
    median = model.finish_seconds(
        dist, sex, age, np.ones(len(dist)), np.ones(len(dist)), np.ones(len(dist))
    )
    dnf_rate = np.zeros(len(dist))
    limit = np.zeros(len(dist), dtype=np.int64)
    for d, rate in model.DNF_RATE.items():
        dnf_rate[dist == d] = rate
        limit[dist == d] = model.LIMIT_S[d]
    dnf_rate *= np.clip(chip / median, 0.5, 3.0) ** 2
    status = np.zeros(len(dist), dtype=np.int64)
    status[u < model.DNS_RATE + model.DQ_RATE + dnf_rate] = 1
    status[chip > limit] = 1
    status[u < model.DNS_RATE + model.DQ_RATE] = 3
    status[u < model.DNS_RATE] = 2
    return status

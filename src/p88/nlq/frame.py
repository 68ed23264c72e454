"""The meaning of a question: a small typed frame, not SQL.

``understand`` fills a ``Frame``; ``compile`` turns it into SQL; ``answer`` states it back
in one line. The defaults a frame applies are documented here and stated in every answer:

* chip time for thresholds, averages and PRs; gun time for placings (top N, winners);
* "under" is strict, "or better" inclusive, "between" inclusive at both ends;
* "finished" (and "ran", "finishers") means status 'finished': DNF, DNS and DQ excluded;
  "started" (starters) means finished, DNF or DQ: everyone but the DNS;
* "masters" is 40 and over, "over 50" is 50 and over (the age on race day);
* a count counts results (one per runner per race); "people", "unique" or "different"
  counts each person once;
* a personal best (set at a race) beats every earlier finish of that person at the distance,
  and needs at least one earlier finish; "improved" compares one person's two editions;
* a Boston qualifier meets the standard of the Boston year whose window holds the race (the
  window opens in September two years before), at the age on Boston race day;
* a time condition with no distance names one by its size ("sub 3" is the marathon; "sub
  20" or "broke 50 minutes", runners' words, the 5K or 10K);
* in a share, the condition asked about is the numerator ("what percent were women"); who
  the share is of ("share of women who broke 4 hours") stays in the denominator too; a
  finish rate is finishers out of every entry;
* "how many more men than women" is one count minus the other, over the same population
  ("fewer women than men" the same, men minus women); so is "how many more finishers in
  2024 than in 2023" (the first year's count minus the second's);
* "within N minutes of the winner" is gun time at or under the winner's gun time plus N,
  the winner of the same race (of the same sex only when it says "women's winner");
* "ran both a marathon and a half" counts each person once who finished both distances
  in the population (a person's results, any event, within the years asked); "in both
  2023 and 2024" likewise counts each person once who finished in each of the two years;
* top N per group (each age group, every division) ranks within the group by gun time;
  ranking groups orders them by the measure, most first for counts and shares, fastest
  first for times, keeping only groups of at least the minimum size asked for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from p88.errors import InputError, P88Error

Metric = Literal[
    "count", "percent", "list", "top", "min", "max", "avg", "median", "distribution",
    "pr", "repeat", "bq", "events", "reads", "percentile", "pb_set", "improved", "stddev",
]  # fmt: skip
Measure = Literal["chip", "gun", "pace", "pace_km", "gap", "age"]
Group = Literal["sex", "age_group", "year", "event", "state", "distance", "location"]


@dataclass(frozen=True)
class Condition:
    """A time or pace condition on the measure ``measure``: ``op`` is < <= > >=."""

    measure: Measure
    op: str
    seconds: float
    jargon: bool = False  # said as "sub 50" / "broke 50": names a distance by its size


@dataclass
class Frame:
    """What a question asks. Everything ``compile`` needs, nothing it must guess."""

    metric: Metric = "count"
    measure: Measure = "chip"
    subject: Literal["results", "events", "reads", "standards"] = "results"
    status: Literal["finished", "entered", "started", "DNF", "DNS", "DQ"] = "finished"
    people: bool = False
    series: str | None = None
    event_ids: tuple[int, ...] = ()
    distance: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    conditions: list[Condition] = field(default_factory=list)
    percent_of_sex: bool = False
    home_state: str | None = None
    home_state_not: bool = False
    home_city: str | None = None
    event_state: str | None = None
    participant_ids: tuple[int, ...] = ()
    participant_name: str | None = None
    partner_id: int | None = None
    group_by: list[Group] = field(default_factory=list)
    top_n: int | None = None
    slowest: bool = False
    bq_year: int | None = None
    min_results: int = 2
    session_id: int | None = None
    location: str | None = None
    minutes_back: int | None = None
    unique_tags: bool = False
    recent_days: int | None = None
    years: tuple[int, ...] = ()
    percentiles: tuple[float, ...] = ()
    rank_desc: bool | None = None
    rank_limit: int | None = None
    min_group: int | None = None
    bq_percent: bool = False
    share_finished: bool = False
    bq_margin: tuple[str, float] | None = None
    all_distances: bool = False
    debut: bool = False
    out_of_state: bool | None = None
    every_edition: bool = False
    show_place: bool = False
    got_slower: bool = False
    who_in_population: bool = False
    conds_in_population: bool = False
    ranked_by: str | None = None
    more_than: tuple[str, str] | None = None
    more_years: tuple[int, int] | None = None
    behind_winner: float | None = None
    both_distances: tuple[int, int] | None = None
    both_years: bool = False
    winner_sex: str | None = None
    notes: list[str] = field(default_factory=list)
    confidence: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["conditions"] = [asdict(c) for c in self.conditions]
        return data


@dataclass(frozen=True)
class Pins:
    """Flags that settle an ambiguity: ``--event``, ``--year``, ``--time``."""

    event: str | None = None
    year: str | None = None
    time: str | None = None


@dataclass(frozen=True)
class Interpretation:
    """One reading of an ambiguous question, and the flags that pin it."""

    description: str
    flags: str
    frame: Frame


class NotUnderstood(InputError):
    """The question uses words p88 does not know; the message names them."""

    def __init__(self, message: str, *, words: list[str], suggestions: list[str]) -> None:
        hint = "did you mean " + " or ".join(suggestions) + "?" if suggestions else None
        super().__init__(message, what="question", hint=hint)
        self.words = words
        self.suggestions = suggestions


class Unanswerable(NotUnderstood):
    """p88 understood enough to know it cannot answer: data it does not hold, a question
    about the asker, an empty database. Never offered to a model."""


class Ambiguous(InputError):
    """More than one reading fits; ``interpretations`` lists them with pinning flags."""

    def __init__(self, message: str, interpretations: list[Interpretation]) -> None:
        flags = sorted({i.flags.split("=")[0] for i in interpretations})
        super().__init__(message, what="question", hint="pin one with " + ", ".join(flags))
        self.interpretations = interpretations


class NotYours(P88Error):
    """A partner asked about an event it does not time (or a name it does not have).

    ``model_may_try`` is True only when none of the unknown words is an event name of any
    partner: then, with ``--llm``, the model may try the question (tenant-filtered).
    """

    def __init__(self, message: str, *, hint: str | None = None, model_may_try: bool = False):
        super().__init__(message, hint=hint)
        self.model_may_try = model_may_try

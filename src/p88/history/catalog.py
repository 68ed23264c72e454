"""The fixed world the synthetic history happens in: partners, cities, event series.

Everything random about the history is drawn from a seeded generator; this module holds
what is not random, so the same events recur (the Hartford Marathon every October) and
questions like "the Hartford Marathon in 2023" have an answer at any history size.
Frozen: editing it changes the generated rows that ``p88 ask`` is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

from p88.units import STANDARD_DISTANCES, whole_metres

#: The standard distances in whole metres (``ct_races.distance_m``), from ``p88.units``.
MARATHON, HALF, TEN_K, FIVE_K = map(whole_metres, STANDARD_DISTANCES)

DISTANCE_NAMES: dict[int, str] = {
    MARATHON: "Marathon",
    HALF: "Half Marathon",
    TEN_K: "10K",
    FIVE_K: "5K",
}


@dataclass(frozen=True)
class Partner:
    """A timing company: a tenant of the results store."""

    code: str
    name: str
    city: str
    state: str


@dataclass(frozen=True)
class Series:
    """An event held most years on the same weekend, with the same races.

    ``month``/``week``/``weekday`` place it in a year (week 1-4, or 5 = last; weekday 0 is
    Monday). ``size`` weighs its share of the results; ``every_year`` False makes it held
    only some years. ``races`` lists distances, largest first, each with its start hour.
    """

    name: str
    partner: str
    city: str
    state: str
    month: int
    week: int
    weekday: int
    races: tuple[tuple[int, int, int], ...]  # (distance_m, start hour, start minute)
    size: float
    every_year: bool = True


PARTNERS: tuple[Partner, ...] = (
    Partner("bigriver", "Big River Race Management", "Hartford", "CT"),
    Partner("northeast", "Northeast Race Timing", "Boston", "MA"),
    Partner("lonestar", "Lone Star Timing Co.", "Austin", "TX"),
    Partner("rockies", "Rocky Mountain Chip Timing", "Denver", "CO"),
    Partner("pacific", "Pacific Coast Race Services", "San Diego", "CA"),
    Partner("greatlakes", "Great Lakes Timing", "Chicago", "IL"),
    Partner("peach", "Peach State Racing", "Atlanta", "GA"),
)

_M = ((MARATHON, 7, 0),)
_MH5 = ((MARATHON, 7, 0), (HALF, 7, 30), (FIVE_K, 8, 0))
_MH = ((MARATHON, 7, 0), (HALF, 7, 30))
_H10_5 = ((HALF, 7, 0), (TEN_K, 7, 30), (FIVE_K, 8, 0))
_H5 = ((HALF, 7, 30), (FIVE_K, 8, 0))
_H = ((HALF, 7, 0),)
_10_5 = ((TEN_K, 8, 0), (FIVE_K, 8, 30))
_10 = ((TEN_K, 8, 0),)
_5 = ((FIVE_K, 9, 0),)

SERIES: tuple[Series, ...] = (
    Series("Hartford Marathon", "bigriver", "Hartford", "CT", 10, 2, 5, _MH5, 9.0),
    Series("New Haven Road Race", "bigriver", "New Haven", "CT", 9, 1, 0, _H10_5, 4.0),
    Series("Mystic Seaport 5K", "bigriver", "Mystic", "CT", 6, 3, 5, _5, 1.2),
    Series("Manchester Road Race", "bigriver", "Manchester", "CT", 11, 4, 3, _10, 3.0),
    Series("Shamrock Marathon", "bigriver", "Virginia Beach", "VA", 3, 3, 6, _MH5, 6.0),
    Series("Boston Marathon", "northeast", "Boston", "MA", 4, 3, 0, _M, 12.0),
    Series("Cape Cod Half Marathon", "northeast", "Falmouth", "MA", 5, 2, 6, _H5, 3.0),
    Series("Portland Maine Marathon", "northeast", "Portland", "ME", 10, 1, 6, _MH5, 3.5),
    Series("Providence Rhode Race", "northeast", "Providence", "RI", 5, 1, 6, _H10_5, 2.5),
    Series("Burlington City Marathon", "northeast", "Burlington", "VT", 5, 4, 6, _MH, 2.5),
    Series("Austin Marathon", "lonestar", "Austin", "TX", 2, 3, 6, _MH5, 6.0),
    Series("Houston Half Marathon", "lonestar", "Houston", "TX", 1, 3, 6, _H5, 5.0),
    Series("Dallas Turkey Trot", "lonestar", "Dallas", "TX", 11, 4, 3, _10_5, 6.0),
    Series("San Antonio River Run", "lonestar", "San Antonio", "TX", 4, 2, 5, _10_5, 2.0),
    Series("Denver Colfax Marathon", "rockies", "Denver", "CO", 5, 3, 6, _MH5, 5.0),
    Series("Boulder Bolder 10K", "rockies", "Boulder", "CO", 5, 5, 0, _10, 5.0),
    Series("Salt Lake City Marathon", "rockies", "Salt Lake City", "UT", 4, 3, 5, _MH5, 3.0),
    Series("Santa Fe Trail Half", "rockies", "Santa Fe", "NM", 9, 2, 6, _H, 1.0, False),
    Series("San Diego Bay Marathon", "pacific", "San Diego", "CA", 6, 1, 6, _MH5, 6.0),
    Series("Los Angeles Beach 10K", "pacific", "Los Angeles", "CA", 8, 2, 5, _10_5, 3.0),
    Series("Portland Rose Half", "pacific", "Portland", "OR", 6, 2, 6, _H5, 2.5),
    Series("Seattle Lake Union 5K", "pacific", "Seattle", "WA", 7, 3, 5, _5, 1.5, False),
    Series("Chicago Marathon", "greatlakes", "Chicago", "IL", 10, 2, 6, _M, 14.0),
    Series("Columbus Half Marathon", "greatlakes", "Columbus", "OH", 10, 3, 6, _H5, 4.0),
    Series("Cleveland Lakefront Marathon", "greatlakes", "Cleveland", "OH", 5, 3, 6, _MH5, 3.5),
    Series("Detroit Riverfront 10K", "greatlakes", "Detroit", "MI", 8, 1, 5, _10_5, 2.0),
    Series("Milwaukee Lakeshore Half", "greatlakes", "Milwaukee", "WI", 9, 4, 6, _H, 1.5, False),
    Series("Indianapolis Monument Run", "greatlakes", "Indianapolis", "IN", 7, 1, 5, _10_5, 1.5),
    Series("Atlanta Peachtree 10K", "peach", "Atlanta", "GA", 7, 1, 3, _10, 10.0),
    Series("Savannah Riverwalk Half", "peach", "Savannah", "GA", 11, 1, 5, _H10_5, 2.5),
    Series("Charlotte Queen City Marathon", "peach", "Charlotte", "NC", 11, 2, 5, _MH5, 3.0),
    Series("Nashville Music Half", "peach", "Nashville", "TN", 4, 5, 5, _H5, 4.0),
    Series("Orlando Lake Eola 5K", "peach", "Orlando", "FL", 2, 1, 5, _5, 1.0, False),
)

# Where runners live: (city, state, weight). Event cities dominate; a tail comes from afar.
HOMES: tuple[tuple[str, str, float], ...] = (
    ("Hartford", "CT", 3.0),
    ("New Haven", "CT", 2.0),
    ("Stamford", "CT", 1.5),
    ("West Hartford", "CT", 1.5),
    ("Mystic", "CT", 0.4),
    ("Manchester", "CT", 1.0),
    ("Boston", "MA", 4.0),
    ("Cambridge", "MA", 2.0),
    ("Worcester", "MA", 1.2),
    ("Falmouth", "MA", 0.5),
    ("Portland", "ME", 1.0),
    ("Providence", "RI", 1.5),
    ("Burlington", "VT", 0.8),
    ("New York", "NY", 5.0),
    ("Brooklyn", "NY", 2.5),
    ("Albany", "NY", 0.8),
    ("Philadelphia", "PA", 2.5),
    ("Pittsburgh", "PA", 1.2),
    ("Virginia Beach", "VA", 1.5),
    ("Arlington", "VA", 1.5),
    ("Richmond", "VA", 1.0),
    ("Washington", "DC", 2.0),
    ("Baltimore", "MD", 1.2),
    ("Austin", "TX", 3.0),
    ("Houston", "TX", 3.0),
    ("Dallas", "TX", 3.0),
    ("San Antonio", "TX", 2.0),
    ("Denver", "CO", 3.0),
    ("Boulder", "CO", 1.5),
    ("Colorado Springs", "CO", 1.0),
    ("Salt Lake City", "UT", 1.5),
    ("Santa Fe", "NM", 0.5),
    ("Phoenix", "AZ", 1.5),
    ("San Diego", "CA", 3.0),
    ("Los Angeles", "CA", 4.0),
    ("San Francisco", "CA", 2.5),
    ("Sacramento", "CA", 1.0),
    ("Portland", "OR", 2.0),
    ("Seattle", "WA", 2.5),
    ("Chicago", "IL", 5.0),
    ("Evanston", "IL", 1.0),
    ("Columbus", "OH", 2.0),
    ("Cleveland", "OH", 2.0),
    ("Cincinnati", "OH", 1.5),
    ("Dayton", "OH", 0.8),
    ("Detroit", "MI", 1.5),
    ("Ann Arbor", "MI", 1.0),
    ("Milwaukee", "WI", 1.2),
    ("Madison", "WI", 1.0),
    ("Indianapolis", "IN", 1.5),
    ("Minneapolis", "MN", 1.5),
    ("Atlanta", "GA", 4.0),
    ("Savannah", "GA", 0.8),
    ("Charlotte", "NC", 2.0),
    ("Raleigh", "NC", 1.2),
    ("Nashville", "TN", 2.0),
    ("Orlando", "FL", 1.5),
    ("Miami", "FL", 1.5),
    ("Tampa", "FL", 1.0),
    ("Toronto", "ON", 0.6),
)

"""Races that never happened, and capture files made ready to send: ``p88 simulate``'s
generator and the feeds ``p88 replay`` plays.

``build_course`` parses points, distance and waves; ``simulate`` draws a race from a seed
(the same seed gives the same race, byte for byte); ``write_race`` writes one CT01_33
capture per timing point; ``load_feeds`` reads any capture (real or simulated) into
feeds for the CTP01 client; ``feed_stats`` measures what makes reads realistic.
"""

from p88.protocol.feed import Feed, load_feeds, render_time
from p88.sim.course import Course, Point, build_course
from p88.sim.files import SimulatedRace, simulate, write_race
from p88.sim.stats import FeedStats, all_stats, feed_stats
from p88.units import parse_distance

__all__ = [
    "Course",
    "Feed",
    "FeedStats",
    "Point",
    "SimulatedRace",
    "all_stats",
    "build_course",
    "feed_stats",
    "load_feeds",
    "parse_distance",
    "render_time",
    "simulate",
    "write_race",
]

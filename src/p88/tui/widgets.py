"""The leaderboard's tables: their columns, and how one row of each reads."""

from __future__ import annotations

from rich.text import Text

from p88.store import ComingUp, Crossing, PointStanding, RankedResult, Roster, TimedRead
from p88.tui import fmt

# (label, key, width): fixed widths, so columns do not jump about as rows come and go
CROSSING_COLUMNS = (
    ("Time", "time", 11),
    ("Point", "point", 10),
    ("Bib", "bib", 6),
    ("Name", "name", 24),
    ("Elapsed", "elapsed", 10),
    ("Place", "place", 5),
    ("Pace", "pace", 8),
)
READ_COLUMNS = (
    ("Time", "time", 11),
    ("Point", "point", 10),
    ("Tag", "tag", 8),
    ("Name", "name", 24),
    ("Elapsed", "elapsed", 10),
)
SEARCH_COLUMNS = (*READ_COLUMNS, ("Reader", "reader", 8), ("Ant", "antenna", 3))
STANDING_COLUMNS = (
    ("Place", "place", 5),
    ("Bib", "bib", 8),
    ("Name", "name", 24),
    ("Sex", "sex", 3),
    ("AG", "ag", 7),
    ("Time", "time", 10),
    ("Gap", "gap", 10),
)
ANNOUNCER_COLUMNS = (
    ("Due", "due", 8),
    ("Finish", "projected", 9),
    ("Bib", "bib", 6),
    ("", "leader", 1),
    ("Name", "name", 22),
    ("City", "city", 16),
    ("Division", "division", 9),
    ("Last at", "point", 8),
    ("Pace", "pace", 8),
)
LEADER = "★"


def plain(value: str | None) -> str:
    return value or ""


def crossing_row(c: Crossing) -> tuple[str, ...]:
    return (
        fmt.clock(c.at),
        c.point,
        c.bib,
        plain(c.name),
        fmt.elapsed(c.elapsed),
        str(c.place),
        fmt.pace(c.pace),
    )


def read_row(c: TimedRead) -> tuple[str, ...]:
    return (fmt.clock(c.at), plain(c.point), plain(c.tag), plain(c.name), fmt.elapsed(c.elapsed))


def search_row(c: TimedRead) -> tuple[str, ...]:
    return (*read_row(c), plain(c.reader), str(c.antenna))


def standing_row(s: PointStanding | RankedResult) -> tuple[str, ...]:
    return (
        str(s.place),
        plain(s.bib),
        plain(s.name),
        plain(s.sex),
        plain(s.age_group),
        fmt.elapsed(s.time),
        fmt.gap(s.gap),
    )


def announcer_row(u: ComingUp) -> tuple[str, ...]:
    c = u.crossing
    return (
        fmt.due(u.projected_at),
        fmt.elapsed(u.projected_elapsed, digits=0),
        c.bib,
        LEADER if u.division_leader else "",
        plain(c.name),
        plain(c.city),
        plain(c.division),
        c.point,
        fmt.pace(c.pace),
    )


def announcer_summary(rows: list[ComingUp], roster: Roster, finish: str | None) -> Text:
    """The line above the announcer's list: what it shows, or why it is empty."""
    if rows:
        return Text(
            f"Next {len(rows)} expected at {finish}, projected from each runner's pace at"
            f" their furthest point  ·  {LEADER} leads their division there"
        )
    if not any(p.distance_m for race in roster.timings for p in race.points.values()):
        return Text(
            "No projections: no race of this session has saved points with distances"
            " (p88 results points --race N --split NAME=DIST --finish NAME)",
            style="yellow",
        )
    return Text("Nobody is on the course between a timing point and the finish", style="dim")


def search_summary(rows: list[TimedRead], text: str) -> Text:
    """The line above the search results."""
    if not rows:
        return Text(f"nothing matches {text!r} in this session")
    tags = len({r.tag for r in rows})
    return Text(f"{len(rows)} read(s) of {tags} runner(s) matching {text!r}")

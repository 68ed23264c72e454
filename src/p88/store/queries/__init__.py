"""The store's read queries, by domain, each written once as a plan (see ``plan``) that
runs on a sync connection (``run``) or an async one (``arun``).

- ``sessions``: the session list, the current session, finding one, its owner.
- ``reads``: newest reads, catch-up after an id, one runner's reads with their times.
- ``stats``: read totals overall and per point; the TUI header's figures.
- ``board``: standings at a timing point.
- ``locations``: a session's points in order, the default point, the start mat.
- ``races``: race names, official standings (stored places), live ranking.
- ``timing``: who runs in a session and the gun and crossing rules for their reads.
- ``crossings``: one row per runner per point, as displays show it; who a tag belongs to.
- ``ranking``: a live point ranked one batch of reads at a time (for ``crossings``).
- ``announcer``: runners coming up to the finish, with their projected arrival.
"""

from p88.store.queries.announcer import ComingUp, coming_up
from p88.store.queries.board import STANDINGS_LIMIT, PointStanding, point_standings
from p88.store.queries.crossings import (
    Assignment,
    Crossing,
    Ranking,
    crossings,
    division_label,
    is_finish_name,
    recent_crossings,
    tag_assignments,
)
from p88.store.queries.locations import default_point, location_order, start_point
from p88.store.queries.plan import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Plan,
    Query,
    Rows,
    arun,
    clamp_limit,
    run,
)
from p88.store.queries.races import (
    OfficialResult,
    RaceSummary,
    RankedResult,
    live_ranking,
    official_standings,
    race_summary,
    session_races,
)
from p88.store.queries.reads import (
    LATEST_LIMIT,
    READ_COLUMNS,
    SEARCH_LIMIT,
    TimedRead,
    format_read_time,
    latest_reads,
    max_read_id,
    new_reads,
    read_ids_after,
    reads_after,
    reads_by_ids,
    recent_reads,
    search_reads,
)
from p88.store.queries.sessions import (
    DatabaseStatus,
    SessionSummary,
    current_session,
    database_status,
    find_session,
    list_sessions,
    partner_id,
    session_partner,
    session_partners,
    session_summary,
)
from p88.store.queries.stats import (
    HeaderFigures,
    LocationStats,
    OverallStats,
    Stats,
    header_figures,
    stats,
)
from p88.store.queries.timing import (
    Entrant,
    RaceTiming,
    Roster,
    first_crossing,
    load_roster,
    references,
)

__all__ = [
    "Assignment",
    "ComingUp",
    "Crossing",
    "Ranking",
    "coming_up",
    "crossings",
    "division_label",
    "is_finish_name",
    "recent_crossings",
    "tag_assignments",
    "DEFAULT_LIMIT",
    "LATEST_LIMIT",
    "MAX_LIMIT",
    "READ_COLUMNS",
    "SEARCH_LIMIT",
    "STANDINGS_LIMIT",
    "DatabaseStatus",
    "Entrant",
    "HeaderFigures",
    "LocationStats",
    "OfficialResult",
    "OverallStats",
    "Plan",
    "PointStanding",
    "Query",
    "RaceSummary",
    "RaceTiming",
    "RankedResult",
    "Roster",
    "Rows",
    "SessionSummary",
    "Stats",
    "TimedRead",
    "arun",
    "clamp_limit",
    "current_session",
    "database_status",
    "default_point",
    "find_session",
    "first_crossing",
    "format_read_time",
    "header_figures",
    "latest_reads",
    "list_sessions",
    "live_ranking",
    "load_roster",
    "location_order",
    "max_read_id",
    "new_reads",
    "official_standings",
    "partner_id",
    "point_standings",
    "race_summary",
    "read_ids_after",
    "reads_after",
    "reads_by_ids",
    "recent_reads",
    "run",
    "references",
    "search_reads",
    "session_partner",
    "session_partners",
    "session_races",
    "session_summary",
    "start_point",
    "stats",
]

"""The store: connecting to PostgreSQL, migrations, ingest, the read queries (by domain,
in ``queries/``), and results scoring.

This is the public surface: code outside ``p88.store`` imports from here only (a test
walks ``src/`` to keep it so). The modules behind it are private to the store.

Queries are plans run on a connection: ``run(conn, current_session())`` in sync code,
``await arun(aconn, point_standings(...))`` in async code (see ``queries/plan.py``).
"""

from p88.store import queries
from p88.store.archive import ArchiveResult, archive_reads, parse_age
from p88.store.connect import CONNECT_TIMEOUT_S, connect, database_url, describe, unavailable
from p88.store.embedded import embedded_url, with_database
from p88.store.ingest import ImportResult, import_lines, import_reads, oversize_field
from p88.store.ingest_writer import IngestWriter, WriterStats
from p88.store.live import CHANNEL, ReadsCommitted, notify
from p88.store.migrations import Migration, Status, migrate, require_current, status
from p88.store.queries import *  # noqa: F403  (its __all__ is part of this one)
from p88.store.results import (
    AgeGroups,
    ImportRejected,
    ImportSummary,
    PointRule,
    RowError,
    ScoreOptions,
    ScoreSummary,
    apply_tag_map,
    elapsed,
    ensure_race,
    parse_distance,
    pick_race_gun,
    race_gun,
    read_tag_map,
    resolve_session,
    runner_gun,
    score_race,
    update_places,
)
from p88.store.results import import_file as import_results_file
from p88.store.results.columns import parse_map
from p88.store.spool import ConnectionRow, GunRow, ReadRow, RejectRow, SessionInfo

__all__ = [
    "AgeGroups",
    "ArchiveResult",
    "CHANNEL",
    "CONNECT_TIMEOUT_S",
    "ConnectionRow",
    "GunRow",
    "ImportRejected",
    "ImportResult",
    "ImportSummary",
    "IngestWriter",
    "Migration",
    "PointRule",
    "ReadRow",
    "ReadsCommitted",
    "RejectRow",
    "RowError",
    "ScoreOptions",
    "ScoreSummary",
    "SessionInfo",
    "Status",
    "WriterStats",
    "apply_tag_map",
    "archive_reads",
    "connect",
    "database_url",
    "describe",
    "elapsed",
    "embedded_url",
    "ensure_race",
    "import_results_file",
    "import_lines",
    "import_reads",
    "migrate",
    "notify",
    "oversize_field",
    "parse_age",
    "parse_distance",
    "parse_map",
    "pick_race_gun",
    "race_gun",
    "read_tag_map",
    "require_current",
    "resolve_session",
    "runner_gun",
    "score_race",
    "status",
    "unavailable",
    "update_places",
    "with_database",
]
__all__ += queries.__all__

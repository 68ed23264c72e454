"""The store: connecting to PostgreSQL, migrations, ingest, the read queries (by domain,
in ``queries/``), and results scoring.

This is the public surface: code outside ``p88.store`` imports from here only (a test
walks ``src/`` to keep it so). The modules behind it are private to the store.

Queries are plans run on a connection: ``run(conn, current_session())`` in sync code,
``await arun(aconn, point_standings(...))`` in async code (see ``queries/plan.py``).
"""

from p88.store import forwarding, live, queries
from p88.store.archive import ArchiveResult, archive_reads, parse_age
from p88.store.connect import (
    CONNECT_TIMEOUT_S,
    connect,
    database_error,
    database_url,
    describe,
    unavailable,
)
from p88.store.embedded import embedded_url, with_database
from p88.store.ingest import (
    BatchResult,
    SessionCache,
    ensure_session,
    find_partner,
    oversize_field,
    session_owner,
    write_batch,
)
from p88.store.ingest_writer import IngestWriter, WriterStats
from p88.store.listener_state import (
    close_dangling_connections,
    default_session_to_continue,
    listener_key,
    session_day,
)
from p88.store.live import CHANNEL, Connected, Disconnected, Notice, ReadsCommitted, follow, notify
from p88.store.migrations import Migration, Status, migrate, require_current, sql_dir, status
from p88.store.queries import *  # noqa: F403  (its __all__ is part of this one)
from p88.store.queries.ask import (
    ASK_ROLE,
    DEFAULT_TIMEOUT_S,
    MAX_COST,
    AskRows,
    catalog_rows,
    run_guarded,
    runners_named,
)
from p88.store.results import (
    AgeGroups,
    CheckReport,
    Correction,
    CorrectionFlags,
    CorrectionRequest,
    ImportRejected,
    ImportSummary,
    PointRule,
    PointsNotReady,
    RaceSettings,
    RowError,
    ScoreOptions,
    ScoreSummary,
    apply_tag_map,
    correct_result,
    correction_history,
    elapsed,
    ensure_race,
    load_settings,
    make_official,
    pick_race_gun,
    race_day,
    race_gun,
    read_tag_map,
    request_from_flags,
    resolve_session,
    run_checks,
    runner_gun,
    save_settings,
    score_race,
    update_places,
)
from p88.store.results import columns as result_columns
from p88.store.results import import_file as import_results_file
from p88.store.results import points as race_points
from p88.store.results import settings as race_settings
from p88.store.results.agegrade import TABLES as AGE_GRADE_TABLES
from p88.store.results.agegrade import AgeGrade, age_grade, update_age_grades
from p88.store.results.announce import RESULTS_CHANNEL, ResultsChanged, changed_results
from p88.store.results.awards import SEX_NAMES, Award, AwardDivision, Awards, compute_awards
from p88.store.results.columns import parse_map
from p88.store.results.course import (
    CourseStatus,
    PointStatus,
    RunnerStatus,
    course_document,
    course_status,
)
from p88.store.results.divisions import (
    AwardRules,
    Division,
    load_rules,
    parse_division,
    save_rules,
)
from p88.store.results.entryfields import load_entry_fields
from p88.store.results.follow import follow_race
from p88.store.results.importdb import load_races, write_rows
from p88.store.results.importer import _read_csv as read_csv_rows
from p88.store.results.live import Background as BackgroundFollower
from p88.store.results.live import RaceFollowed, check_followable, follow_results
from p88.store.results.live_position import live_position
from p88.store.results.live_step import NoPoints, StepSummary, score_step
from p88.store.results.messages import (
    MessagesSummary,
    import_messages,
    save_messages,
    set_default_message,
)
from p88.store.results.sessionreads import session_label
from p88.store.results.sheet import (
    CoursePoint,
    RaceSheet,
    SheetRow,
    SplitResult,
    load_sheet,
    race_list,
    race_partner,
)
from p88.store.spool import (
    ConnectionRow,
    GunRow,
    Op,
    ReadRow,
    RejectRow,
    SessionInfo,
    check_spool_dir,
)

__all__ = [
    "BackgroundFollower",
    "check_followable",
    "RESULTS_CHANNEL",
    "CourseStatus",
    "NoPoints",
    "Notice",
    "PointStatus",
    "RaceFollowed",
    "ResultsChanged",
    "RunnerStatus",
    "StepSummary",
    "changed_results",
    "course_document",
    "course_status",
    "follow_results",
    "live_position",
    "score_step",
    "CheckReport",
    "Correction",
    "CorrectionFlags",
    "CorrectionRequest",
    "correct_result",
    "correction_history",
    "make_official",
    "request_from_flags",
    "run_checks",
    "Op",
    "BatchResult",
    "SessionCache",
    "write_batch",
    "check_spool_dir",
    "close_dangling_connections",
    "default_session_to_continue",
    "ensure_session",
    "listener_key",
    "session_day",
    "ASK_ROLE",
    "AskRows",
    "DEFAULT_TIMEOUT_S",
    "MAX_COST",
    "catalog_rows",
    "find_partner",
    "follow_race",
    "MessagesSummary",
    "import_messages",
    "save_messages",
    "set_default_message",
    "forwarding",
    "live",
    "load_races",
    "race_points",
    "race_settings",
    "read_csv_rows",
    "result_columns",
    "run_guarded",
    "runners_named",
    "session_label",
    "session_owner",
    "sql_dir",
    "write_rows",
    "AgeGroups",
    "ArchiveResult",
    "CHANNEL",
    "CONNECT_TIMEOUT_S",
    "ConnectionRow",
    "GunRow",
    "ImportRejected",
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
    "database_error",
    "database_url",
    "describe",
    "elapsed",
    "embedded_url",
    "ensure_race",
    "import_results_file",
    "migrate",
    "notify",
    "oversize_field",
    "parse_age",
    "PointsNotReady",
    "RaceSettings",
    "load_settings",
    "race_day",
    "save_settings",
    "Connected",
    "Disconnected",
    "follow",
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
__all__ += [
    "AGE_GRADE_TABLES",
    "AgeGrade",
    "Award",
    "AwardDivision",
    "AwardRules",
    "Awards",
    "CoursePoint",
    "Division",
    "RaceSheet",
    "SEX_NAMES",
    "SheetRow",
    "SplitResult",
    "age_grade",
    "compute_awards",
    "load_entry_fields",
    "load_rules",
    "load_sheet",
    "parse_division",
    "race_list",
    "race_partner",
    "save_rules",
    "update_age_grades",
]
__all__ += queries.__all__

"""The store: connecting to PostgreSQL, migrations, and the queries p88 runs.

Public surface; the modules behind it are private to p88.
"""

from p88.store.archive import ArchiveResult, archive_reads, parse_age
from p88.store.connect import connect, database_error, database_url, describe
from p88.store.migrations import Migration, Status, migrate, status

__all__ = [
    "ArchiveResult",
    "Migration",
    "Status",
    "archive_reads",
    "connect",
    "database_error",
    "database_url",
    "describe",
    "migrate",
    "parse_age",
    "status",
]

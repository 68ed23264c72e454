"""Registration and results sync: RunSignUp over its REST API, Race Roster by its CSV files.

``pull_runsignup`` brings a RunSignUp event's participants into a race as entries (the
importer's own writer), incrementally from a stored high-water mark; ``push_runsignup``
sends the race's changed results to a RunSignUp result set. ``RunSignUp`` is the HTTP
client (httpx, tenacity retries, errors that name what to fix). The ``raceroster``
functions read Race Roster's participants export and write its bib upload and results
CSV. What each run leaves behind is in migration 012's ``sync_*`` tables.
"""

from p88.sync.errors import RemoteRefused, RemoteUnavailable, SyncError
from p88.sync.http import DEFAULT_URL, Credentials, Request, RunSignUp
from p88.sync.pull import PullSummary, pull_runsignup
from p88.sync.push import PushSummary, push_runsignup
from p88.sync.raceroster import RosterImport, import_export, write_bibs, write_results

__all__ = [
    "DEFAULT_URL",
    "Credentials",
    "PullSummary",
    "PushSummary",
    "RemoteRefused",
    "RemoteUnavailable",
    "Request",
    "RosterImport",
    "RunSignUp",
    "SyncError",
    "import_export",
    "pull_runsignup",
    "push_runsignup",
    "write_bibs",
    "write_results",
]

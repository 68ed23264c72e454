"""What a sync can fail with, each a ``P88Error`` the CLI prints as one line.

    P88Error
    └── SyncError                 exit 1   a sync that cannot go on (bad link, conflicting bibs)
        ├── RemoteRefused         exit 1   4xx or an API error: fix what it names
        └── RemoteUnavailable     exit 1   no answer after the retries (5xx, timeouts)

Messages never carry credentials or URLs with query strings: a message names the path
(``/race/123/participants``) and what to fix, nothing else.
"""

from __future__ import annotations

from p88.errors import P88Error


class SyncError(P88Error):
    """A registration or results sync that cannot go on."""


class RemoteRefused(SyncError):
    """The provider refused the request; ``status`` is the HTTP status, ``code`` its API code."""

    def __init__(
        self, message: str, *, status: int, code: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class RemoteUnavailable(SyncError):
    """No usable answer after every retry: the server failed or the network did."""

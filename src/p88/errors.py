"""The exceptions p88 raises, and the exit code each maps to at the command line.

Every error a user can cause is a ``P88Error``; the CLI turns it into one line on
stderr and its ``exit_code``. Anything else is a bug and keeps its traceback.

    P88Error                      exit 1  a user mistake: bad flag value, bad file, unknown name
    ├── InputError                exit 1  a value the user gave is wrong; says what and where
    │   ├── UnknownRace           exit 1  no race has the id given with --race
    │   ├── ImportRejected        exit 1  a CSV with bad rows       [store.results.importer]
    │   ├── NotUnderstood         exit 1  a question's unknown words           [nlq.frame]
    │   │   └── Unanswerable      exit 1  data p88 does not hold               [nlq.frame]
    │   ├── Ambiguous             exit 1  a question with two readings         [nlq.frame]
    │   └── PointsNotReady        exit 1  a race's points not yet clear  [store.results.points]
    ├── ConfigError               exit 1  a configuration value that cannot be used
    ├── StoreError                exit 1  the database refused something
    │   ├── DatabaseUnavailable   exit 3  cannot reach or log in to PostgreSQL
    │   └── MigrationError        exit 1  a migration failed or an applied file changed
    ├── ProtocolError             exit 1  CTP01 input that cannot be understood
    ├── ReplayError               exit 1  a replay that cannot go on     [protocol.replay]
    ├── ModelError                exit 1  the --llm model gave nothing usable    [nlq.llm]
    ├── NotYours                  exit 1  another partner's event or name      [nlq.frame]
    ├── SyncError                 exit 1  a registration sync that cannot go on [sync.errors]
    │   ├── RemoteRefused         exit 1  the service said no (401, 404 ...)    [sync.errors]
    │   └── RemoteUnavailable     exit 1  the service did not answer in time    [sync.errors]
    └── RefusedError              exit 4  a request p88 will not run (e.g. unsafe SQL)
        └── ReadOnly              exit 4  a question that asks for a write      [nlq.refuse]

A class with ``[module]`` lives in ``p88.<module>``, beside the code that raises it (it
carries that code's types); the others are defined here. Every subclass of ``P88Error``
in the package appears in this tree (tests/test_errors.py checks it). A psycopg error
becomes ``StoreError`` or ``DatabaseUnavailable`` in one place, the store's edge
(``p88.store.database_error``).

Exit code 2 is reserved for usage errors (unknown option, missing argument), which
click reports itself; 130 is an interrupt (Ctrl-C).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USER = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
EXIT_REFUSED = 4
EXIT_INTERRUPTED = 130


class P88Error(Exception):
    """Root of every error a user can cause; ``str(err)`` is the message to show."""

    exit_code: int = EXIT_USER

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(P88Error):
    """A value the user gave cannot be used: ``what`` names it, ``where`` says where it came from.

    For example ``InputError("bare number '10' has no unit", what="distance", where="--distance")``.
    The message alone is what the CLI prints; ``what`` and ``where`` are for callers (JSON
    errors, tests) that need to know which input was at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        what: str | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.what = what
        self.where = where


class UnknownRace(InputError):
    """No race has this id: one message for every command that takes ``--race``."""

    def __init__(self, race_id: int) -> None:
        super().__init__(
            f"no race {race_id}",
            what="race",
            where="--race",
            hint="p88 results new-race creates a race and prints its id",
        )


class ConfigError(P88Error):
    """A configuration value is missing, malformed or contradicts another."""


class StoreError(P88Error):
    """The database refused an operation."""


class DatabaseUnavailable(StoreError):
    """PostgreSQL cannot be reached, refused the login, or the database does not exist."""

    exit_code = EXIT_DATABASE


class MigrationError(StoreError):
    """A migration failed, or a file already applied has changed since."""


class ProtocolError(P88Error):
    """A CTP01 line or exchange that cannot be understood.

    ``field`` names the part of the line at fault and ``raw`` keeps the input verbatim.
    """

    def __init__(
        self,
        message: str,
        *,
        raw: bytes = b"",
        field: str | None = None,
        line_no: int | None = None,
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.field = field
        self.line_no = line_no


class RefusedError(P88Error):
    """p88 will not run what was asked; ``rule`` names the rule that refused."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, *, rule: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rule = rule

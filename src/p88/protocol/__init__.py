"""CTP01, the ChronoTrack socket protocol: codec, times and authentication (no I/O, no store).

The codec (:mod:`p88.protocol.codec`) turns lines into typed messages and back; it is
shared by the listener (server side) and replay/simulate/import (client side). See
``docs/ctp01.md`` in the shared docs for the protocol itself.
"""

from p88.protocol.auth import METHODS as AUTH_METHODS
from p88.protocol.auth import digest as auth_digest
from p88.protocol.auth import new_seed, verify
from p88.protocol.codec import (
    COMMANDS,
    DEFAULT_FORMAT,
    Ack,
    Authorize,
    Command,
    DataLine,
    Err,
    Greeting,
    GunTime,
    LineFramer,
    LineTooLong,
    Message,
    NewLocation,
    Read,
    RequestLine,
    format_line,
    indicator_separator,
    parse_line,
)
from p88.protocol.times import (
    ReadTime,
    TimeKind,
    WallClock,
    local_datetime,
    parse_time,
    to_timestamp,
)

__all__ = [
    "AUTH_METHODS",
    "COMMANDS",
    "DEFAULT_FORMAT",
    "Ack",
    "Authorize",
    "Command",
    "DataLine",
    "Err",
    "Greeting",
    "GunTime",
    "LineFramer",
    "LineTooLong",
    "Message",
    "NewLocation",
    "Read",
    "ReadTime",
    "RequestLine",
    "TimeKind",
    "WallClock",
    "auth_digest",
    "format_line",
    "indicator_separator",
    "local_datetime",
    "new_seed",
    "parse_line",
    "parse_time",
    "to_timestamp",
    "verify",
]

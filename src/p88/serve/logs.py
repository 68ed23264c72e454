"""Keep access tokens out of the server's logs.

uvicorn's access log prints each request's path with its query string, and a display or
``EventSource`` client may carry its token there (``?token=...``). ``RedactTokens`` is a
logging filter that rewrites every ``token=`` value to ``token=[redacted]`` in a record's
message and arguments before any handler formats it; ``install`` puts it on uvicorn's
loggers (idempotent, so every app a process creates can call it).
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"(token=)[^&\s\"'#]+", re.IGNORECASE)
REDACTED = r"\1[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "p88")


def redact(text: str) -> str:
    """``text`` with every ``token=<value>`` replaced by ``token=[redacted]``."""
    return _TOKEN.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message and string arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install() -> None:
    """Put one ``RedactTokens`` on each of uvicorn's (and p88's) loggers."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())

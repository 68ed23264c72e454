"""Which date a capture's dateless times go on: one rule for ``p88 import`` and ``p88 replay``.

A CTP01 ``normal`` or ``msecs`` time has no date. The date comes, in order, from ISO times
in the file (then nothing is needed), ``--date``, the date in the file name, the race's
date; when none applies the command refuses with one line naming ``--date``
(:func:`capture_date`). ``--date`` may be given per file as ``NAME=YYYY-MM-DD``
(:func:`date_options`), so one replay of two days' files puts each on its own day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from p88.errors import InputError, ProtocolError
from p88.protocol.codec import DataLine, parse_line
from p88.protocol.times import CaptureDate, choose_date, date_in_name, parse_date_option

__all__ = ["capture_date", "date_options", "needs_date"]

#: Data lines looked at to tell whether a capture carries its own dates: captures are
#: written in one format throughout, and a later dateless line still refuses on its own.
_PEEK = 50


def needs_date(lines: Iterable[bytes]) -> bool:
    """True when the capture's first data lines have dateless (normal/msecs) times."""
    seen = 0
    for raw in lines:
        try:
            msg = parse_line(raw)
        except ProtocolError:
            continue
        if not isinstance(msg, DataLine) or msg.time.kind == "text":
            continue
        if msg.time.wall is None:
            return True
        seen += 1
        if seen >= _PEEK:
            break
    return False


def date_options(
    values: Sequence[str], files: Sequence[Path]
) -> tuple[date | None, dict[str, date]]:
    """``--date`` values: one bare ``YYYY-MM-DD`` for every file, and/or ``NAME=YYYY-MM-DD``
    for the file of that name (or path). Returns (the date for all, per file name)."""
    every: date | None = None
    per: dict[str, date] = {}
    names = {p.name for p in files} | {str(p) for p in files}
    for value in values:
        name, sep, day = value.rpartition("=")
        if not sep:
            if every is not None:
                raise InputError(
                    "--date given twice for every file", what="date", where="--date",
                    hint="use NAME=YYYY-MM-DD to date one file",
                )  # fmt: skip
            every = parse_date_option(value)
            continue
        if name not in names:
            raise InputError(
                f"--date {value!r}: no file named {name!r} in this command",
                what="date", where="--date",
            )  # fmt: skip
        per[Path(name).name] = parse_date_option(day, f"--date {name}=")
    return every, per


def capture_date(
    path: Path,
    lines: Sequence[bytes],
    *,
    given: date | None = None,
    race: tuple[date, datetime | None] | None = None,
) -> CaptureDate | None:
    """The date for ``path``'s dateless times (None when its times carry their own date).

    Raises InputError naming ``--date`` when the file needs a date and neither
    ``--date``, its name nor a race gives one, or when ``--date`` (or the file name's
    date) is more than a day from the race's: one of them is wrong.
    """
    if not needs_date(lines):
        return None
    if race is not None:
        for day, where in ((given, "--date"), (date_in_name(path.name), "the file name's date")):
            if day is not None and abs((day - race[0]).days) > 1:
                raise InputError(
                    f"{path.name}: {where} {day} is {abs((day - race[0]).days)} days from the "
                    f"race's date {race[0]}: fix one of them",
                    what="date", where="--date",
                )  # fmt: skip
    chosen = choose_date(given=given, name=path.name, race=race)
    if chosen is None:
        raise InputError(
            f"{path.name}: its times have no date; give --date YYYY-MM-DD "
            "(or --race, or a file name with the date in it)",
            what="date", where="--date",
        )  # fmt: skip
    return chosen

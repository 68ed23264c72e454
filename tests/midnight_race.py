"""A hand-made 5K whose gun goes at 23:45 on New Year's Eve: known truth for the date,
midnight and race-day tests (tests/test_race_*.py) and bench/results.py.

Every runner's crossings are written down here with the times and places they must get.
Bib 103 crosses the start mat twice (23:45:01 and 23:45:41, 40 s apart): the second is
their start. Bib 104 finishes at 23:59:59.90, reported after a stray 00:00:02 read. Bib
105 "finishes" 6:40 after starting (a cut course): held for review. Bib 106 starts and
never finishes (DNF once the course is closed). Tag 999 belongs to nobody.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

DAY = date(2025, 12, 31)
GUN = datetime(2025, 12, 31, 23, 45)
READER = "A9B351"

#: (bib, sex, age) of each entrant.
ENTRANTS = [("101", "M", 30), ("102", "F", 41), ("103", "M", 45), ("104", "F", 20),
            ("105", "X", 35), ("106", "M", 60)]  # fmt: skip

#: Lines per point, in the order the controller sends them: (tag, clock, day offset).
START = [("guntime", "23:45:00.00", 0), ("103", "23:45:01.00", 0), ("104", "23:45:03.00", 0),
         ("101", "23:45:05.00", 0), ("102", "23:45:10.00", 0), ("105", "23:45:20.00", 0),
         ("103", "23:45:41.00", 0), ("106", "23:46:00.00", 0)]  # fmt: skip
FINISH = [("105", "23:52:00.00", 0), ("999", "00:00:02.00", 1), ("104", "23:59:59.90", 0),
          ("101", "00:05:05.50", 1), ("103", "00:07:41.00", 1),
          ("102", "00:10:10.00", 1)]  # fmt: skip


def span(text: str) -> timedelta:
    """'0:20:00.50' -> timedelta."""
    h, m, s = text.split(":")
    return timedelta(hours=int(h), minutes=int(m), seconds=float(s))


#: bib -> (status, chip, gun, overall place, sex place) once scored (place by gun time).
TRUTH = {
    "104": ("finished", span("0:14:56.90"), span("0:14:59.90"), 1, 1),
    "101": ("finished", span("0:20:00.50"), span("0:20:05.50"), 2, 1),
    "103": ("finished", span("0:22:00.00"), span("0:22:41.00"), 3, 2),
    "102": ("finished", span("0:25:00.00"), span("0:25:10.00"), 4, 2),
    "105": ("review", span("0:06:40.00"), span("0:07:00.00"), None, None),
}


def moment(clock: str, days: int) -> datetime:
    t = datetime.strptime(clock, "%H:%M:%S.%f").time()
    return datetime.combine(DAY + timedelta(days=days), t)


def lines(point: str, rows: list[tuple[str, str, int]], fmt: str = "normal") -> list[bytes]:
    """The point's CT01_33 lines with times in ``normal`` (no date) or ``iso``."""
    out = []
    for seq, (tag, clock, days) in enumerate(rows, start=1):
        when = clock if fmt == "normal" else moment(clock, days).isoformat()[:22]
        lap = 0 if tag == "guntime" else 1
        out.append(f"CT01_33~{seq}~{point}~{tag}~{when}~{lap}~{READER}~{seq}".encode())
    return out


def write_files(folder: Path, fmt: str = "normal", suffix: str = "") -> list[Path]:
    """START<suffix>.ct33 and FINISH<suffix>.ct33 in ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for point, rows in (("START", START), ("FINISH", FINISH)):
        path = folder / f"{point}{suffix}.ct33"
        path.write_bytes(b"".join(line + b"\r\n" for line in lines(point, rows, fmt)))
        paths.append(path)
    return paths


def expected_reads() -> list[tuple[str, str, datetime]]:
    """(location, tag, local timestamp) of every read, as the store must hold them."""
    return sorted(
        (point, tag, moment(clock, days))
        for point, rows in (("START", START), ("FINISH", FINISH))
        for tag, clock, days in rows
        if tag != "guntime"
    )


def participants_csv(path: Path) -> Path:
    """A participants file `p88 results import` accepts."""
    rows = ["Bib,First Name,Last Name,Gender,Age"]
    rows += [f"{bib},Runner,No{bib},{sex},{age}" for bib, sex, age in ENTRANTS]
    path.write_text("\n".join(rows) + "\n")
    return path

"""Loading the question suite (tests/fixtures/nlq/questions.sql) and comparing rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

SUITE = Path(__file__).parent / "fixtures" / "nlq" / "questions.sql"
TODAY = date(2026, 11, 25)
HISTORY = {"results": 20_000, "seed": 7}


@dataclass
class Case:
    """One question of the suite, with what its answer must be."""

    question: str
    sql: str | None
    expect: str | None
    partner: str | None = None
    pins: dict[str, str] = field(default_factory=dict)
    columns: list[str] | None = None
    line: int = 0

    @property
    def id(self) -> str:
        who = f"[{self.partner}]" if self.partner else ""
        return f"{self.line}:{who}{self.question[:60]}"


def load_suite(path: Path = SUITE) -> list[Case]:
    """Every question of the suite file, one ``Case`` each (paraphrases share the SQL)."""
    cases: list[Case] = []
    for block, first_line in _blocks(path.read_text()):
        questions: list[str] = []
        meta: dict[str, str] = {}
        sql_lines: list[str] = []
        for line in block:
            if line.startswith("-- q:"):
                questions.append(line[5:].strip())
            elif line.startswith("-- ") and ":" in line and not sql_lines:
                key, value = line[3:].split(":", 1)
                meta[key.strip()] = value.strip()
            elif not line.startswith("--"):
                sql_lines.append(line)
        if not questions:
            continue
        pins = dict(p.split("=", 1) for p in meta["pin"].split(",")) if "pin" in meta else {}
        for q in questions:
            cases.append(
                Case(
                    question=q,
                    sql="\n".join(sql_lines).strip().rstrip(";") or None,
                    expect=meta.get("expect"),
                    partner=meta.get("partner"),
                    pins=pins,
                    columns=meta["columns"].split(",") if "columns" in meta else None,
                    line=first_line,
                )
            )
    return cases


def _blocks(text: str) -> list[tuple[list[str], int]]:
    blocks: list[tuple[list[str], int]] = []
    current: list[str] = []
    start = 0
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if current:
                blocks.append((current, start))
            current = []
            continue
        if not current:
            start = n
        current.append(line)
    if current:
        blocks.append((current, start))
    return blocks


def norm(value: Any) -> Any:
    """A cell in a form both sides agree on (times to the millisecond, decimals rounded)."""
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, (Decimal, float)):
        return round(float(value), 3)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def norm_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(norm(v) for v in row) for row in rows]

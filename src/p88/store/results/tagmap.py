"""Tag maps: which chip each bib wears, when the chip is not the bib number.

A tag map is a CSV with a bib column and a tag (chip) column, named as in registration
exports ('Bib', 'Chip', 'Tag', ...). It is applied all or nothing: a bib that is not in
the race, a tag given to two bibs, or a blank cell rejects the whole file.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p88.errors import InputError
from p88.store.results import columns as col

if TYPE_CHECKING:
    import psycopg


def read_tag_map(path: Path) -> dict[str, str]:
    """bib -> tag from the file; raises naming every bad line."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", what="tag map", where=str(path)) from None
    headers = [col.norm(h) for h in (rows[0] if rows else [])]
    fields = {f: headers.index(a) for f in ("bib", "tag") for a in col.FIELDS[f] if a in headers}
    if set(fields) != {"bib", "tag"}:
        raise InputError(
            f"{path.name} needs a bib column and a chip/tag column", what="tag map", where=str(path)
        )
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    errors = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        bib = cells[fields["bib"]].strip() if fields["bib"] < len(cells) else ""
        tag = cells[fields["tag"]].strip() if fields["tag"] < len(cells) else ""
        if not bib or not tag:
            errors.append(f"line {line}: bib and tag are both needed")
        elif tag in owner and owner[tag] != bib:
            errors.append(f"line {line}: tag {tag} already belongs to bib {owner[tag]}")
        else:
            out[bib] = tag
            owner[tag] = bib
    if errors:
        raise InputError(
            f"{path.name}: nothing applied: " + "; ".join(errors[:10]),
            what="tag map",
            where=str(path),
        )
    return out


def apply_tag_map(conn: psycopg.Connection[Any], race_id: int, tags: dict[str, str]) -> int:
    """Set each bib's tag in the race; returns how many entries changed."""
    known = {
        r[0]
        for r in conn.execute(
            "SELECT bib FROM ct_results WHERE race_id = %s AND bib = ANY(%s)",
            (race_id, list(tags)),
        ).fetchall()
    }
    missing = sorted(set(tags) - known)
    if missing:
        raise InputError(
            f"tag map names bib(s) not in race {race_id}: {', '.join(missing[:10])}",
            hint="import the participants first",
            what="tag map",
            where="--tag-map",
        )
    with conn.transaction():
        cur = conn.execute(
            "UPDATE ct_results r SET tag_code = m.tag, updated_at = now() "
            "FROM unnest(%s::text[], %s::text[]) AS m(bib, tag) "
            "WHERE r.race_id = %s AND r.bib = m.bib AND r.tag_code IS DISTINCT FROM m.tag",
            (list(tags), list(tags.values()), race_id),
        )
        return cur.rowcount

"""``json``: the race, every entry (with splits, paces, age grade) and the awards, in
the shapes of :mod:`p88.exports.shapes` — durations as seconds and ISO 8601."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from p88.exports.registry import Publication
from p88.exports.shapes import awards_json, race_json, row_json


@dataclass(frozen=True)
class JsonExporter:
    name: str = "json"
    description: str = "race, results with splits and paces, awards (durations as s + ISO 8601)"
    directory: bool = False
    whole_event: bool = False

    def write(self, publication: Publication, path: Path) -> int:
        sheet = publication.sheet
        data = {
            "race": race_json(sheet),
            "results": [row_json(sheet, r) for r in sheet.rows],
            "awards": awards_json(publication.awards[sheet.race_id])["awards"],
        }
        with path.open("w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        return len(sheet.rows)


EXPORTER = JsonExporter()

"""``json``: the race, every entry (with splits, paces, age grade) and the awards, in
the shapes of :mod:`p88.exports.shapes` — durations as seconds and ISO 8601.

One object; each result and each award on a line of its own (compact inside), which
keeps a 30,000-runner file diffable and lets Python's C encoder write it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from p88.exports.registry import Publication
from p88.exports.shapes import awards_json, race_json, row_json


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class JsonExporter:
    name: str = "json"
    description: str = "race, results with splits and paces, awards (durations as s + ISO 8601)"
    directory: bool = False
    whole_event: bool = False

    def write(self, publication: Publication, path: Path) -> int:
        sheet = publication.sheet
        awards = awards_json(publication.awards(sheet.race_id))["awards"]
        with path.open("w", encoding="utf-8") as f:
            f.write('{"race": ' + _dumps(race_json(sheet)) + ',\n"results": [')
            f.write(",".join("\n" + _dumps(row_json(sheet, r)) for r in sheet.rows))
            f.write('\n],\n"awards": [')
            f.write(",".join("\n" + _dumps(a) for a in awards))
            f.write("\n]}\n")
        return len(sheet.rows)


EXPORTER = JsonExporter()

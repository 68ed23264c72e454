"""Every export format and the awards list against golden files, on a race built by hand
(tests/exports_race.py): ties, a DQ'd fastest woman, a DNF with a split, masters and grand
masters, teams, wheelchair, an age-graded division, both double-dip policies, and a
corrected time that changes places.

``P88_UPDATE_GOLDENS=1`` rewrites the files; a change must then be read and committed.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88.exports import export_race, race_awards
from p88.exports.shapes import awards_json
from p88.store.results import update_places
from p88.store.results.divisions import load_rules, parse_division, save_rules
from tests.exports_race import build

GOLDEN = Path(__file__).parent / "fixtures" / "exports"
FILES = {"csv": "csv.csv", "runsignup": "runsignup.csv", "athlinks": "athlinks.csv",
         "ultrasignup": "ultrasignup.csv", "baa": "baa.csv", "json": "results.json"}  # fmt: skip
DIVISIONS = [
    "masters=age:40|Masters",
    "grand=age:50|Grand Masters",
    "team=field:team:2,open|Team",
    "wheelchair=field:wheelchair=yes:1,open|Wheelchair",
    "graded=age_graded:3,open|Age graded",
]


def check(name: str, text: str | bytes) -> None:
    data = text.encode("utf-8") if isinstance(text, str) else text
    path = GOLDEN / name
    if os.environ.get("P88_UPDATE_GOLDENS"):
        path.write_bytes(data)
    assert path.exists(), f"no golden file {path}: run with P88_UPDATE_GOLDENS=1"
    assert data == path.read_bytes(), f"{name} differs from its golden file"


@pytest.fixture
def race(conn: psycopg.Connection[Any]) -> int:
    race_id = build(conn)
    rules = load_rules(conn, race_id)
    save_rules(conn, race_id, replace(rules, divisions=tuple(map(parse_division, DIVISIONS))))
    return race_id


@pytest.mark.parametrize("fmt", list(FILES))
def test_export_matches_golden(
    conn: psycopg.Connection[Any], race: int, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / FILES[fmt]
    summary = export_race(conn, race, fmt, target)
    check(FILES[fmt], target.read_bytes())
    assert summary.rows == {"csv": 16, "json": 16, "ultrasignup": 15}.get(fmt, 13)
    assert [p.name for p in tmp_path.iterdir()] == [FILES[fmt]]  # no temporary file left


def awards_text(conn: psycopg.Connection[Any], race: int) -> str:
    return json.dumps(awards_json(race_awards(conn, race)), indent=1) + "\n"


def test_awards_default_rules(conn: psycopg.Connection[Any]) -> None:
    race = build(conn)
    text = awards_text(conn, race)
    check("awards-default.json", text)
    listed = json.loads(text)["awards"]
    bibs = [a["bib"] for a in listed]
    assert "105" not in bibs  # the DQ'd fastest woman gets nothing
    assert "111" not in bibs  # nor the held fastest man
    women = [(a["place"], a["bib"]) for a in listed if a["division"] == "overall-f"]
    assert women == [(1, "101"), (2, "102"), (3, "103"), (3, "104")]  # a tie at 3rd: both
    # removed: an overall winner is in no age group
    winners = {a["bib"] for a in listed if a["division"].startswith("overall")}
    assert not winners & {a["bib"] for a in listed if a["division"].startswith("ag-")}


def test_awards_with_divisions_remove(conn: psycopg.Connection[Any], race: int) -> None:
    text = awards_text(conn, race)
    check("awards-divisions.json", text)
    listed = json.loads(text)["awards"]
    masters = [(a["division"], a["bib"]) for a in listed if a["division"].startswith("masters")]
    # Hal (45) and Ian (52) won overall, so the masters men are Jon (47) and Oli (55)
    assert masters == [("masters-m", "110"), ("masters-m", "115"), ("masters-f", "116")]
    wheel = [a["bib"] for a in listed if a["division"] == "wheelchair"]
    assert wheel == ["110"]  # field divisions ignore the double-dip policy


def test_awards_keep_policy(conn: psycopg.Connection[Any], race: int) -> None:
    save_rules(conn, race, replace(load_rules(conn, race), double_dip="keep"))
    text = awards_text(conn, race)
    check("awards-keep.json", text)
    listed = json.loads(text)["awards"]
    ag = [(a["place"], a["bib"]) for a in listed if a["division"] == "ag-f40-44"]
    assert ag == [(1, "102"), (2, "103"), (2, "104")]  # overall winners stay in their group


def test_awards_by_chip_time_break_the_gun_tie(conn: psycopg.Connection[Any]) -> None:
    race = build(conn)
    save_rules(conn, race, replace(load_rules(conn, race), time_basis="chip"))
    listed = json.loads(awards_text(conn, race))["awards"]
    women = [(a["place"], a["bib"]) for a in listed if a["division"] == "overall-f"]
    assert women == [(1, "101"), (2, "102"), (3, "104")]  # Dee's chip 37:59.5 beats 38:00


def test_a_corrected_time_changes_the_awards(conn: psycopg.Connection[Any]) -> None:
    race = build(conn)
    before = json.loads(awards_text(conn, race))["awards"]
    assert [a["bib"] for a in before if a["division"] == "overall-m"] == ["107", "108", "109"]
    # a hand-timed correction: Max Bell's finish was 30:50 (a missed read at the mat)
    conn.execute(
        "UPDATE ct_results SET chip_time = '0:30:49', gun_time = '0:30:50' WHERE race_id = %s"
        " AND bib = '113'",
        (race,),
    )
    update_places(conn, race)
    text = awards_text(conn, race)
    check("awards-corrected.json", text)
    after = json.loads(text)["awards"]
    assert [a["bib"] for a in after if a["division"] == "overall-m"] == ["113", "107", "108"]
    # Ian Cole drops out of the overall three into his age group
    assert ("ag-m50-54", "109") in [(a["division"], a["bib"]) for a in after]


def test_masters_age_in_the_race_settings_makes_a_masters_division(
    conn: psycopg.Connection[Any],
) -> None:
    from p88.store.results.settings import load_settings, save_settings

    race = build(conn)
    save_settings(conn, race, replace(load_settings(conn, race), masters_age=50))
    rules = load_rules(conn, race)
    assert [(d.code, d.min_age) for d in rules.divisions] == [("masters", 50)]
    save_rules(conn, race, replace(rules, double_dip="keep"))  # not stored: it follows settings
    save_settings(conn, race, replace(load_settings(conn, race), masters_age=45))
    assert [(d.code, d.min_age) for d in load_rules(conn, race).divisions] == [("masters", 45)]
    listed = json.loads(awards_text(conn, race))["awards"]
    masters = [(a["division"], a["bib"]) for a in listed if a["division"].startswith("masters")]
    # keep: the overall winners Hal (45) and Ian (52) are masters winners too
    assert masters == [("masters-m", "108"), ("masters-m", "109"), ("masters-m", "110"),
                       ("masters-f", "116")]  # fmt: skip

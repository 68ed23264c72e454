"""The display's store functions on a real database: crossings (not reads), messages and
VIPs, chip check assignments, and the announcer's runners coming up (hand-computed)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88 import store
from p88.cli.main import app
from p88.errors import InputError
from tests.display_race import Runner, Writer, make_race
from tests.test_serve_fixtures import T0

RUNNERS = [
    Runner("1", "Ada", "Quick", "F", 30, "Boulder", "Go Ada!", vip=False),
    Runner("2", "Ben", "Steady", "M", 40, "Denver"),
    Runner("3", "Cleo", "Brisk", "F", 31, "Golden", "Sponsored by Acme Shoes"),
    Runner("4", "Dan", "Swift", "M", 41, "Lyons", vip=True),
    Runner("5", "Eve", "Calm", "F", 52, "Erie"),
]


def _crossings(conn: psycopg.Connection[Any], sid: int, **kw: Any) -> list[store.Crossing]:
    roster = store.run(conn, store.load_roster(sid))
    return store.run(conn, store.crossings(sid, roster, **kw))


def test_one_crossing_per_runner_per_point_with_names_place_and_pace(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = make_race(conn, tmp_path, RUNNERS)
    writer = Writer(db_url)
    # bib 1 is read four times inside a second at the finish; bib 2 twice, 3 s apart
    writer.commit([("finish", "1", 2400.10), ("finish", "1", 2400.35), ("finish", "1", 2400.60),
                   ("finish", "1", 2401.0), ("finish", "2", 2390.0), ("finish", "2", 2393.0),
                   ("finish", "77", 2500.0), ("5k", "1", 1200.0)])  # fmt: skip
    writer.close()
    found = _crossings(conn, race.session_id, points=["finish"])
    assert [(c.bib, c.name, c.place) for c in found] == [
        ("2", "Ben Steady", 1),
        ("1", "Ada Quick", 2),
        ("77", None, 3),  # an unknown tag still crosses: bib/tag only, no name
    ]
    ada = found[1]
    assert ada.at == T0 + timedelta(seconds=2400.10)  # the first read of the crossing
    assert ada.elapsed == timedelta(minutes=40, seconds=0.10)
    assert ada.pace == store_pace(timedelta(minutes=40, seconds=0.10), 10000)
    assert (ada.city, ada.division, ada.message, ada.vip) == ("Boulder", "F30-34", "Go Ada!", False)
    every = _crossings(conn, race.session_id)
    assert [(c.point, c.bib) for c in every] == [
        ("5k", "1"), ("finish", "2"), ("finish", "1"), ("finish", "77")
    ]  # fmt: skip
    assert every[0].pace is not None and every[0].distance_m == 5000
    only = _crossings(conn, race.session_id, points=["finish"], read_ids=[ada.read_id])
    assert [c.bib for c in only] == ["1"]


def store_pace(elapsed: timedelta, metres: int) -> timedelta:
    from p88 import units

    return units.pace(elapsed, metres)


def test_messages_import_edit_and_defaults(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = make_race(conn, tmp_path, RUNNERS)
    path = tmp_path / "messages.csv"
    path.write_text("bib,message,vip\n2,Go Dad!,yes\n9,Not entered yet,\n", encoding="utf-8")
    summary = store.import_messages(conn, path, race.race_id)
    assert (summary.rows, summary.vip, summary.not_entered) == (2, 1, ["9"])
    store.set_default_message(conn, race.race_id, "division", "F50-54", "Fifty and flying")
    store.set_default_message(conn, race.race_id, "point", "finish", "Welcome home")
    writer = Writer(db_url)
    writer.commit([("finish", t, 2400 + int(t)) for t in ("1", "2", "3", "4", "5")])
    writer.close()
    by_bib = {c.bib: c for c in _crossings(conn, race.session_id, points=["finish"])}
    assert by_bib["1"].message == "Go Ada!"  # from the participants file
    assert (by_bib["2"].message, by_bib["2"].vip) == ("Go Dad!", True)  # from the import
    assert by_bib["4"].vip and by_bib["4"].message == "Welcome home"  # VIP from the CSV
    assert by_bib["5"].message == "Fifty and flying"  # division before point
    # an edit (message only) keeps the VIP flag and shows on the next call
    path.write_text("bib,message\n2,Run Ben run\n", encoding="utf-8")
    store.import_messages(conn, path, race.race_id)
    again = {c.bib: c for c in _crossings(conn, race.session_id, points=["finish"])}
    assert (again["2"].message, again["2"].vip) == ("Run Ben run", True)


def test_a_bad_messages_file_imports_nothing(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    race = make_race(conn, tmp_path, RUNNERS)
    before = conn.execute(
        "SELECT bib, message, vip FROM ct_display_messages ORDER BY bib"
    ).fetchall()
    path = tmp_path / "bad.csv"
    path.write_text(f"bib,message,vip\n1,ok,\n,no bib,\n2,{'x' * 300},\n3,hi,maybe\n")
    with pytest.raises(InputError) as caught:
        store.import_messages(conn, path, race.race_id)
    text = str(caught.value)
    assert "3 bad row(s)" in text and "line 3" in text and "280" in text and "maybe" in text
    after = conn.execute(
        "SELECT bib, message, vip FROM ct_display_messages ORDER BY bib"
    ).fetchall()
    assert after == before and ("1", "Go Ada!", False) in after  # row 1 was good: not written
    path.write_text("number,city\n1,x\n")
    with pytest.raises(InputError, match="needs a bib column and a message"):
        store.import_messages(conn, path, race.race_id)
    with pytest.raises(InputError, match="no race 999"):
        store.import_messages(conn, path, 999)


def test_chip_check_assignments(conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    race = make_race(conn, tmp_path, RUNNERS)
    conn.execute("UPDATE ct_results SET tag_code = 'T2' WHERE bib IN ('2', '3')")
    who = store.run(conn, store.tag_assignments(race.session_id, ["1", "T2", "zzz"]))
    assert (who["1"].status, who["1"].name, who["1"].bib) == ("assigned", "Ada Quick", "1")
    assert who["1"].division == "F30-34" and who["1"].race == "10K"
    assert who["T2"].status == "ambiguous"
    assert who["zzz"].status == "unknown" and who["zzz"].name is None


def test_coming_up_projects_from_pace_hand_computed(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """10 km, gun 08:00:00, 5k split at 5,000 m: the projected finish doubles the split.

    Ada 5k 20:00 -> 40:00, due 08:40:00; Cleo 21:00 -> 42:00, 08:42:00; Ben 22:30 ->
    45:00, 08:45:00; Eve 25:00 -> 50:00, 08:50:00. Dan (5k 18:00) already finished.
    Division leaders at the 5k: Ada (F30-34, Cleo slower), Eve (alone in F50-54); Ben is
    not (Dan, M40-44, was faster there, finished or not)."""
    race = make_race(conn, tmp_path, RUNNERS)
    writer = Writer(db_url)
    writer.commit([("5k", "4", 1080), ("5k", "1", 1200), ("5k", "3", 1260), ("5k", "2", 1350),
                   ("5k", "5", 1500), ("finish", "4", 2160)])  # fmt: skip
    writer.close()
    roster = store.run(conn, store.load_roster(race.session_id))
    up = store.run(conn, store.coming_up(race.session_id, roster))
    assert [
        (u.crossing.bib, u.projected_at.time().isoformat(), u.projected_elapsed, u.division_leader)
        for u in up
    ] == [
        ("1", "08:40:00", timedelta(minutes=40), True),
        ("3", "08:42:00", timedelta(minutes=42), False),
        ("2", "08:45:00", timedelta(minutes=45), False),
        ("5", "08:50:00", timedelta(minutes=50), True),
    ]
    assert [
        u.crossing.bib for u in store.run(conn, store.coming_up(race.session_id, roster, limit=2))
    ] == ["1", "3"]
    # a runner whose projection is long past the session's latest crossing drops off
    writer = Writer(db_url)
    writer.commit([("finish", "1", 2400), ("finish", "3", 3500)])
    writer.close()
    roster = store.run(conn, store.load_roster(race.session_id))
    late = store.run(conn, store.coming_up(race.session_id, roster))
    assert [u.crossing.bib for u in late] == ["5"]  # Ben was due 08:45, now is 08:58:20


runner = CliRunner()


def test_cli_messages_import(p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path) -> None:
    race = make_race(conn, tmp_path, RUNNERS)
    path = tmp_path / "m.csv"
    path.write_text("Bib,Message\n1,Hello\n42,Later\n", encoding="utf-8")
    done = runner.invoke(
        app, ["display", "messages", "import", str(path), "--race", str(race.race_id), "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {
        "race_id": race.race_id, "rows": 2, "vip": 0, "not_entered": ["42"]
    }  # fmt: skip
    plain = runner.invoke(
        app, ["display", "messages", "import", str(path), "--race", str(race.race_id)]
    )
    assert plain.exit_code == 0 and "2 message(s)" in plain.stdout and "42" in plain.stdout
    missing = runner.invoke(app, ["display", "messages", "import", str(tmp_path / "nope.csv"),
                                  "--race", str(race.race_id)])  # fmt: skip
    assert missing.exit_code == 1
    assert missing.stderr.count("\n") == 1 and "no such file" in missing.stderr
    no_race = runner.invoke(app, ["display", "messages", "import", str(path), "--race", "999"])
    assert no_race.exit_code == 1 and "no race 999" in no_race.stderr
    default = runner.invoke(
        app,
        ["display", "messages", "default", "--race", str(race.race_id), "--point", "finish",
         "Welcome home"],
    )  # fmt: skip
    assert default.exit_code == 0, default.output
    assert conn.execute("SELECT message FROM ct_display_defaults").fetchone() == ("Welcome home",)


def test_a_kept_ranking_places_new_crossings_as_the_whole_point_does(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    """The live feed ranks each batch's new crossings into the standings it keeps; the
    places must be those of ranking the whole point again (including a runner faster than
    those already in, an unknown tag with no time, and a repeated read)."""
    race = make_race(conn, tmp_path, RUNNERS)
    roster = store.run(conn, store.load_roster(race.session_id))
    rankings: dict[str, store.Ranking] = {}
    writer = Writer(db_url)
    batches = [
        [("finish", "3", 2500.0)],
        [("finish", "1", 2400.0), ("finish", "3", 2500.5)],
        [("finish", "99", 2300.0), ("finish", "2", 2450.0)],
        [("finish", "5", 2390.0), ("finish", "1", 2400.2)],
    ]
    for reads in batches:
        first_id = writer.last_id + 1
        writer.commit(reads)
        ids = list(range(first_id, writer.last_id + 1))
        kept = store.run(
            conn,
            store.crossings(
                race.session_id, roster, points=["finish"], read_ids=ids, rankings=rankings
            ),
        )
        whole = store.run(
            conn, store.crossings(race.session_id, roster, points=["finish"], read_ids=ids)
        )
        assert [(c.bib, c.place, c.elapsed) for c in kept] == [
            (c.bib, c.place, c.elapsed) for c in whole
        ]
    assert rankings["finish"].ready
    final = {c.bib: c.place for c in _crossings(conn, race.session_id, points=["finish"])}
    assert final == {"5": 1, "1": 2, "2": 3, "3": 4, "99": 5}

"""The synthetic history: deterministic for a seed, the size asked for, plausible, loadable."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.history import HistoryOptions, IdBase, generate, load_history
from p88.history.arrays import group_rank, largest_remainder

runner = CliRunner()


def test_same_seed_gives_the_same_rows() -> None:
    a = generate(HistoryOptions(results=3000, seed=7))
    b = generate(HistoryOptions(results=3000, seed=7))
    for ta, tb in zip(a.tables(), b.tables(), strict=True):
        assert ta.rows() == tb.rows(), ta.table


def test_another_seed_gives_other_rows() -> None:
    a = generate(HistoryOptions(results=3000, seed=7))
    b = generate(HistoryOptions(results=3000, seed=8))
    assert a.results.rows() != b.results.rows()


@pytest.mark.parametrize("n", [1, 57, 5000])
def test_sizes_are_as_asked(n: int) -> None:
    h = generate(HistoryOptions(results=n, seed=1))
    assert len(h.results) == n
    assert len(h.events) > 100 and len(h.races) > 200  # the calendar does not depend on n
    if n == 5000:
        assert 900 < len(h.participants) < 1300  # about 4.6 results per person


def test_ids_follow_the_base() -> None:
    h = generate(HistoryOptions(results=100, seed=1), IdBase(partners=3, results=1000))
    assert h.partners.data["id"][0] == 4
    assert h.results.data["id"].tolist() == list(range(1001, 1101))


def test_nobody_runs_one_race_twice_and_repeat_runners_exist() -> None:
    h = generate(HistoryOptions(results=20_000, seed=42))
    races, people = h.results.data["race_id"].tolist(), h.results.data["participant_id"].tolist()
    pairs = set(zip(races, people, strict=True))
    assert len(pairs) == 20_000
    _, per_person = np.unique(h.results.data["participant_id"], return_counts=True)
    assert per_person.max() >= 10


def test_rank_matches_sql_rank_semantics() -> None:
    race = np.array([1, 1, 1, 1, 2, 2, 2], dtype=np.int64)
    time_ = np.array([30, 10, 10, 20, 5, 5, 1], dtype=np.int64)
    mask = np.array([True, True, True, True, True, False, True])
    assert group_rank([race], time_, mask).tolist() == [4, 1, 1, 3, 2, 0, 1]


def test_largest_remainder_sums_exactly() -> None:
    assert largest_remainder(np.array([1.0, 1.0, 1.0]), 10).tolist() == [4, 3, 3]
    assert largest_remainder(np.array([5.0, 1.0]), 1).tolist() == [1, 0]


def _dump(conn: psycopg.Connection[Any]) -> list[Any]:
    return [
        conn.execute(
            "SELECT id, partner_id, event_id, race_id, participant_id, bib, sex, age, age_group, "
            "chip_time, gun_time, pace, status, overall_place, sex_place, age_group_place "
            "FROM ct_results ORDER BY id"
        ).fetchall(),
        conn.execute(
            "SELECT id, first_name, last_name, sex, birth_year, city, state FROM ct_participants "
            "ORDER BY id"
        ).fetchall(),
        conn.execute(
            "SELECT id, name, event_date, city, state FROM ct_events ORDER BY id"
        ).fetchall(),
    ]


def _schema(conn: psycopg.Connection[Any]) -> set[tuple[str, ...]]:
    indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace"
    )
    return set(indexes.fetchall()) | set(constraints.fetchall())


def test_load_is_deterministic_and_replaces_itself(conn: psycopg.Connection[Any]) -> None:
    opts = HistoryOptions(results=12_000, seed=42)
    schema = _schema(conn)
    first = load_history(conn, opts)
    assert _schema(conn) == schema  # indexes and keys dropped for the bulk load are back
    rows = _dump(conn)
    again = load_history(conn, opts)
    assert again.replaced_results == 12_000
    assert _dump(conn) == rows
    assert rows[0][0][0] == 1  # ids start at 1 on a fresh database
    assert first.results == 12_000 and len(rows[0]) == 12_000
    # places agree with PostgreSQL's own rank() over gun time
    mismatched = conn.execute(
        """
        SELECT count(*) FROM (
            SELECT overall_place, sex_place, age_group_place,
                   rank() OVER (PARTITION BY race_id ORDER BY gun_time) AS o,
                   rank() OVER (PARTITION BY race_id, sex ORDER BY gun_time) AS s,
                   rank() OVER (PARTITION BY race_id, sex, age_group ORDER BY gun_time) AS a
            FROM ct_results WHERE status = 'finished') t
        WHERE (overall_place, sex_place, age_group_place) IS DISTINCT FROM (o, s, a)
        """
    ).fetchone()
    assert mismatched == (0,)


def test_loaded_history_answers_the_seed_questions(conn: psycopg.Connection[Any]) -> None:
    load_history(conn, HistoryOptions(results=30_000, seed=42))
    pr = conn.execute(
        """
        SELECT min(r.chip_time), count(*) FROM ct_results r
        JOIN ct_participants p ON p.id = r.participant_id
        JOIN ct_races ra ON ra.id = r.race_id
        WHERE p.first_name = 'Michael' AND p.last_name = 'Wardian' AND ra.distance_m = 42195
        """
    ).fetchone()
    assert pr is not None and pr[0] == timedelta(hours=2, minutes=24, seconds=37) and pr[1] >= 5
    where = conn.execute(
        """
        SELECT e.name FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id
        JOIN ct_events e ON e.id = r.event_id
        WHERE p.last_name = 'Wardian' ORDER BY r.chip_time LIMIT 1
        """
    ).fetchone()
    assert where == ("Hartford Marathon",)
    hartford_years = conn.execute(
        "SELECT count(DISTINCT extract(year FROM event_date)) FROM ct_events "
        "WHERE name = 'Hartford Marathon'"
    ).fetchone()
    assert hartford_years is not None and hartford_years[0] >= 6
    statuses = dict(conn.execute("SELECT status, count(*) FROM ct_results GROUP BY 1").fetchall())
    assert statuses["finished"] > 0.9 * 30_000 and statuses["DNF"] > 0
    median = conn.execute(
        """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r.chip_time)
        FROM ct_results r JOIN ct_races ra ON ra.id = r.race_id
        WHERE ra.distance_m = 42195 AND r.sex = 'M' AND r.status = 'finished'
        """
    ).fetchone()
    assert median is not None and timedelta(hours=3, minutes=45) < median[0] < timedelta(hours=5)


def test_cli_demo_history(p88_env: str) -> None:
    result = runner.invoke(app, ["demo", "history", "--results", "2000", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["results"] == 2000 and data["partners"] == 7
    with psycopg.connect(p88_env) as c:
        assert c.execute("SELECT count(*) FROM ct_results").fetchone() == (2000,)
    helped = runner.invoke(app, ["demo", "history", "--help"])
    assert helped.exit_code == 0 and "Example: p88 demo history" in helped.stdout

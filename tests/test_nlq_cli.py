"""``p88 ask`` in-process: answers, --sql, --json, --explain, pins, refusals and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.errors import EXIT_REFUSED, EXIT_USER
from tests.nlq_suite import catalog, history_conn, history_url

__all__ = ["catalog", "history_conn", "history_url"]
runner = CliRunner()
Q = "how many finished the Hartford Marathon under 3 hours in 2023"


@pytest.fixture
def env(history_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "P88_DATABASE_URL": history_url,
        "P88_CONFIG": str(tmp_path / "p88.toml"),
        "P88_PARTNER": "",
        "COLUMNS": "160",
    }


def test_answer_states_how_it_was_understood(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", Q, "--sql"], env=env)
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Counted finishers of Hartford Marathon 2023 (marathon) with chip")
    assert "chip time under 3:00:00: " in result.stdout.replace("\n", " ")
    assert "SELECT" in result.stdout and "LIMIT 100" in result.stdout


def test_json_output_is_data(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "average marathon time by sex in 2023", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["columns"] == ["sex", "avg_chip_time", "results"]
    assert [row[0] for row in data["rows"]] == ["F", "M", "X"]
    assert data["frame"]["metric"] == "avg" and data["model_assisted"] is False


def test_explain_prints_frame_and_sql_without_running(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", Q, "--explain"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "confidence: 0.95" in result.stdout  # the distance came from the event name
    assert "metric: count" in result.stdout
    assert "SELECT" in result.stdout


def test_ambiguous_question_names_the_flags_and_a_pin_settles_it(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "how many finished the Hartford Marathon"], env=env)
    assert result.exit_code == EXIT_USER
    assert "--year 2025" in result.stderr and "--year all" in result.stderr
    pinned = runner.invoke(
        app, ["ask", "how many finished the Hartford Marathon", "--year", "2023"], env=env
    )
    assert pinned.exit_code == 0 and "Hartford Marathon 2023" in pinned.stdout


def test_unknown_event_is_refused_with_the_closest_names(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "how many finished Portlnd in 2023"], env=env)
    assert result.exit_code == EXIT_USER
    assert result.stderr.strip().startswith(
        "Error: no event matches 'portlnd' (did you mean Portland Maine Marathon or "
        "Portland Rose Half"
    )


def test_a_misspelled_event_with_one_match_is_answered_and_says_so(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "how many finished Hartferd in 2023"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "read hartferd as Hartford Marathon" in " ".join(result.stdout.split())


def test_a_write_is_refused_as_read_only(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", "delete all the DNF results from 2019"], env=env)
    assert result.exit_code == EXIT_REFUSED and result.stdout == ""
    assert result.stderr.startswith("Error: p88 ask is read-only")


@pytest.mark.parametrize("blank", ["", "   ", "???"])
def test_a_blank_question_is_refused_not_answered(env: dict[str, str], blank: str) -> None:
    result = runner.invoke(app, ["ask", blank], env=env)
    assert result.exit_code == EXIT_USER and result.stdout == ""
    assert result.stderr.startswith("Error: no question to answer: ask one in English")


def test_a_partner_hears_not_among_your_events(env: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["ask", "how many finished the Boston Marathon in 2023", "--partner", "bigriver"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == EXIT_USER
    assert "not among your events" in result.stderr and "0" not in result.stdout


def test_partner_from_configuration(env: dict[str, str]) -> None:
    env = {**env, "P88_PARTNER": "bigriver"}
    result = runner.invoke(app, ["ask", "how many events did we time in 2023"], env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Counted events (yours) 2023: 5")


def test_bad_time_basis_is_a_usage_error(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["ask", Q, "--time", "wall"], env=env)
    assert result.exit_code == 2


def test_refusal_exit_code_comes_from_the_guard(env: dict[str, str], tmp_path: Path) -> None:
    from p88.errors import RefusedError
    from p88.nlq import POLICY, guard

    with pytest.raises(RefusedError) as info:
        guard("SELECT pg_sleep(1)", POLICY)
    assert info.value.exit_code == EXIT_REFUSED


def test_public_surface_is_complete() -> None:
    import types

    import p88.nlq as nlq

    public = {
        name
        for name, value in vars(nlq).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - {"annotations"} == set(nlq.__all__)
    for name in nlq.__all__:
        assert getattr(nlq, name).__doc__, name

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.config import load, mask_secret
from p88.errors import ConfigError

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "p88.toml"
    monkeypatch.setenv("P88_CONFIG", str(path))
    for name in ("P88_DATABASE_URL", "P88_LISTEN_PORT", "P88_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_precedence_flag_env_file_default(config_file: Path) -> None:
    config_file.write_text('listen_port = 7000\ntimezone = "Europe/Paris"\n')
    env = {"P88_LISTEN_PORT": "7001"}
    settings = load({"listen_port": "7002"}, env)
    assert settings.values["listen_port"].value == "7002"
    assert settings.values["listen_port"].source == "flag"
    settings = load({}, env)
    assert (settings.get("listen_port"), settings.values["listen_port"].source) == (
        "7001",
        "env P88_LISTEN_PORT",
    )
    settings = load({}, {})
    assert settings.get("listen_port") == "7000"
    assert settings.values["timezone"].source == f"file {config_file}"
    assert settings.values["serve_port"].source == "default"


def test_unknown_key_in_file_is_refused(config_file: Path) -> None:
    config_file.write_text("databse_url = 'x'\n")
    with pytest.raises(ConfigError, match="unknown setting 'databse_url'"):
        load({}, {})


def test_broken_file_is_one_line(config_file: Path) -> None:
    config_file.write_text("listen_port = \n")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot read {config_file}")


def test_not_a_number(config_file: Path) -> None:
    with pytest.raises(ConfigError, match="whole number"):
        load({}, {"P88_LISTEN_PORT": "sixty"}).get_int("listen_port")


def test_password_is_masked(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("P88_DATABASE_URL", "postgresql://timer:hunter2@db.example:5432/p88")
    result = runner.invoke(app, ["config", "--json"])
    assert result.exit_code == 0
    assert "hunter2" not in result.stdout
    rows = {r["name"]: r for r in json.loads(result.stdout)["settings"]}
    assert rows["database_url"]["value"] == "postgresql://timer:****@db.example:5432/p88"
    assert rows["database_url"]["source"] == "env P88_DATABASE_URL"


def test_mask_secret_forms() -> None:
    assert mask_secret("host=x password=abc dbname=y") == "host=x password=**** dbname=y"
    assert mask_secret("s3cret") == "****"
    assert mask_secret("postgresql://u@h/db?password=abc") == "postgresql://u@h/db?password=****"
    assert mask_secret("postgresql://u:p@h/db") == "postgresql://u:****@h/db"

"""Effective configuration: flags > environment (``P88_*``) > ``p88.toml`` > defaults.

Each setting is declared once in ``SETTINGS``; ``load()`` resolves every one of them
and remembers where its value came from, so ``p88 config`` can say so. Secrets never
leave this module unmasked except through ``Settings.get``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from p88.errors import ConfigError

APP_NAME = "p88"


@dataclass(frozen=True)
class Setting:
    """One configuration key: its name in p88.toml, its ``P88_`` variable and default."""

    name: str
    default: str | None
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return "P88_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        None,
        "PostgreSQL URL; unset means the embedded server in data_dir",
        secret=True,
    ),
    Setting("data_dir", None, "where the embedded PostgreSQL and the listener spool live"),
    Setting("timezone", None, "time zone of the timing system's wall clock (IANA name)"),
    Setting("listen_host", "127.0.0.1", "address p88 listen binds"),
    Setting("listen_port", "61611", "port p88 listen binds (ChronoTrack default 61611)"),
    Setting("serve_host", "127.0.0.1", "address p88 serve binds"),
    Setting("serve_port", "8088", "port p88 serve binds"),
    Setting("display_colors", None, "display pages' colours: bg=#RRGGBB fg=#RRGGBB accent=#RRGGBB"),
    Setting("display_logo", None, "image file the display pages show (served at /display/logo)"),
    Setting("partner", None, "timing partner (tenant) p88 ask answers for; unset = all"),
    Setting("runsignup_api_key", None, "RunSignUp API key (p88 sync runsignup)", secret=True),
    Setting("runsignup_api_secret", None, "RunSignUp API secret", secret=True),
    Setting("runsignup_url", "https://runsignup.com/Rest/", "RunSignUp REST base URL"),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Value:
    """A resolved setting: its value and where it came from."""

    setting: Setting
    value: str | None
    source: str

    def shown(self) -> str:
        """The value as it may be printed: passwords and secrets masked."""
        if self.value is None:
            return "(unset)"
        if self.setting.secret:
            return mask_secret(self.value)
        return self.value


@dataclass(frozen=True)
class Settings:
    """Every setting resolved; read one with ``get``."""

    values: dict[str, Value] = field(default_factory=dict)
    config_file: Path | None = None

    def get(self, name: str) -> str | None:
        return self.values[name].value

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ConfigError(f"{name} is not set", hint=f"set {_BY_NAME[name].env}")
        return value

    def get_int(self, name: str) -> int:
        raw = self.require(name)
        try:
            return int(raw)
        except ValueError:
            source = self.values[name].source
            raise ConfigError(
                f"{name} must be a whole number, got {raw!r} (from {source})"
            ) from None

    @property
    def data_dir(self) -> Path:
        return Path(self.require("data_dir"))


def config_path() -> Path:
    """Where p88.toml lives: ``P88_CONFIG`` or the user config directory."""
    explicit = os.environ.get("P88_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "p88.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {unknown[0]!r}",
            hint="known settings: " + ", ".join(_BY_NAME),
        )
    return data


def load(
    flags: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting from flags, environment, p88.toml and defaults, in that order."""
    env = os.environ if environ is None else environ
    flags = flags or {}
    path = config_path()
    file_values = _read_file(path)
    values: dict[str, Value] = {}
    for setting in SETTINGS:
        if flags.get(setting.name) is not None:
            values[setting.name] = Value(setting, flags[setting.name], "flag")
        elif env.get(setting.env):
            values[setting.name] = Value(setting, env[setting.env], f"env {setting.env}")
        elif setting.name in file_values:
            values[setting.name] = Value(setting, str(file_values[setting.name]), f"file {path}")
        elif setting.name == "data_dir":
            values[setting.name] = Value(setting, str(default_data_dir()), "default")
        else:
            values[setting.name] = Value(setting, setting.default, "default")
    return Settings(values=values, config_file=path)


_URL_PASSWORD = re.compile(r"(://[^:/@]*:)([^@]*)(@)")


def mask_secret(value: str) -> str:
    """Mask the password in a URL or key=value string (or the whole value otherwise)."""
    if "://" in value:
        masked = _URL_PASSWORD.sub(r"\1****\3", value)
        return re.sub(r"(password=)[^&\s]*", r"\1****", masked)
    if "=" in value:  # libpq key=value form
        return re.sub(r"(password\s*=\s*)\S+", r"\1****", value)
    return "****"

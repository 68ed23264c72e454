"""The exporter registry: built-in formats, plus any a plugin adds through entry points.

A format is an object with ``name``, ``description``, ``directory`` (writes a directory,
like the results site, rather than one file), ``whole_event`` (wants every race of the
event, not only the one asked for) and ``write(publication, path) -> rows``. A plugin
package adds one under the entry-point group ``p88.exporters``::

    [project.entry-points."p88.exporters"]
    myformat = "p88_myformat:EXPORTER"

(an instance, or a class p88 instantiates with no arguments). A built-in name cannot be
taken by a plugin, and a plugin that fails to load is left out with a reason
(:func:`plugin_problems`), never a traceback. docs/exports.md is the guide.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

from p88.errors import InputError
from p88.store import AwardRules, Awards, RaceSheet, compute_awards

__all__ = [
    "BUILTIN",
    "GROUP",
    "Exporter",
    "Publication",
    "exporters",
    "get_exporter",
    "plugin_problems",
]

GROUP = "p88.exporters"
#: Built-in formats: name -> "module:attribute", imported when first used.
BUILTIN: dict[str, str] = {
    "csv": "p88.exports.generic:EXPORTER",
    "runsignup": "p88.exports.runsignup:EXPORTER",
    "athlinks": "p88.exports.athlinks:EXPORTER",
    "ultrasignup": "p88.exports.ultrasignup:EXPORTER",
    "baa": "p88.exports.baa:EXPORTER",
    "json": "p88.exports.jsonfmt:EXPORTER",
    "site": "p88.exports.site:EXPORTER",
}


@dataclass(frozen=True, kw_only=True)
class Publication:
    """What an exporter writes from: the race's sheet first (then, for a whole-event
    format, the event's other races), and each race's award rules; the awards are
    computed when a format first asks for them (most never do)."""

    sheets: list[RaceSheet]
    rules: dict[int, AwardRules]
    _awards: dict[int, Awards] = field(default_factory=dict, repr=False, compare=False)

    @property
    def sheet(self) -> RaceSheet:
        """The race that was asked for."""
        return self.sheets[0]

    def awards(self, race_id: int) -> Awards:
        """The awards of one of the publication's races."""
        if race_id not in self._awards:
            sheet = next(s for s in self.sheets if s.race_id == race_id)
            self._awards[race_id] = compute_awards(sheet, self.rules[race_id])
        return self._awards[race_id]


@runtime_checkable
class Exporter(Protocol):
    """One export format."""

    name: str
    description: str
    directory: bool
    whole_event: bool

    def write(self, publication: Publication, path: Path) -> int:
        """Write the export at ``path`` (a new file, or a new empty directory); return
        how many result rows it holds."""
        ...


def _load(target: str) -> object:
    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module), attribute)
    return value() if isinstance(value, type) else value


@cache
def _plugins() -> tuple[dict[str, Exporter], tuple[str, ...]]:
    from importlib.metadata import entry_points

    found: dict[str, Exporter] = {}
    problems: list[str] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if ep.name in BUILTIN or ep.name in found:
            problems.append(f"export format {ep.name!r} ({ep.value}) left out: name taken")
            continue
        try:
            value = ep.load()
            exporter = value() if isinstance(value, type) else value
        except Exception as exc:  # a broken plugin must not break the built-in formats
            problems.append(f"export format {ep.name!r} ({ep.value}) left out: {exc}")
            continue
        if not isinstance(exporter, Exporter):
            problems.append(f"export format {ep.name!r} ({ep.value}) left out: not an exporter")
            continue
        found[ep.name] = exporter
    return found, tuple(problems)


def plugin_problems() -> tuple[str, ...]:
    """One line per plugin format that was left out, saying why."""
    return _plugins()[1]


def exporters() -> dict[str, str]:
    """Every known format name and its description (built-ins first)."""
    out = {name: get_exporter(name).description for name in BUILTIN}
    out.update({name: e.description for name, e in _plugins()[0].items()})
    return out


def known_names() -> list[str]:
    return [*BUILTIN, *_plugins()[0]]


def get_exporter(name: str) -> Exporter:
    """The format called ``name``; InputError listing the known ones otherwise."""
    if name in BUILTIN:
        exporter = _load(BUILTIN[name])
        assert isinstance(exporter, Exporter)
        return exporter
    plugin = _plugins()[0].get(name)
    if plugin is None:
        raise InputError(
            f"unknown export format {name!r} (known: {', '.join(known_names())})",
            what="format", where="--format",
        )  # fmt: skip
    return plugin

"""``site``: a static results website in one directory — no server, no network.

``index.html`` lists the event's races; ``race-N.html`` is a race's results (search by
name or bib, a division filter, and per runner a detail row with the splits, the pace at
each and the place there: texts made here, carried in a ``data-s`` attribute and laid
out by the script when a runner is opened, which keeps a 30,000-runner page small);
``awards-N.html`` the awards, one division per block, printable.
Pages are rendered from Jinja2 templates shipped in the package (``templates/``); the code
and style are two files beside them (``site.js``, ``site.css``), with no inline script or
style, so ``p88 serve`` can publish the same pages under ``/results/`` with a strict CSP.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from p88.exports._csv import clock, official, pace_cell
from p88.exports.registry import Publication
from p88.store import SEX_NAMES, Awards, RaceSheet, SheetRow

__all__ = ["ASSETS", "EXPORTER", "render_awards", "render_index", "render_race", "asset"]

ASSETS = ("site.css", "site.js")
_STATUS = {"DNF": "DNF", "DNS": "DNS", "DQ": "DQ", "review": "held"}


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("p88.exports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def asset(name: str) -> str:
    """The text of a shipped asset (``site.css``, ``site.js``)."""
    return resources.files("p88.exports").joinpath("templates", name).read_text("utf-8")


def _divisions(row: SheetRow) -> str:
    parts = [f"s-{row.sex}"] if row.sex else []
    if row.sex and row.age_group:
        parts.append(f"g-{row.division}")
    return " ".join(parts)


def _runner(sheet: RaceSheet, r: SheetRow) -> dict[str, Any]:
    status = _STATUS.get(r.status or "", "")
    return {
        "place": r.overall_place or "", "bib": r.bib, "name": r.name, "sex": r.sex or "",
        "age": "" if r.age is None else r.age, "division": r.division,
        "group_place": r.age_group_place or "", "time": clock(official(sheet, r)),
        "chip": clock(r.chip_time), "pace_mi": pace_cell(r.pace_mile),
        "pace_km": pace_cell(r.pace_km, "km"), "status": status,
        "grade": f"{r.grade.percent:.2f}%" if r.grade else "",
        "key": f"{r.bib} {r.name}".lower(), "divs": _divisions(r),
        "from": ", ".join(x for x in (r.city, r.state) if x),
        "splits": json.dumps([
            (p.name, p.distance_m or "", clock(s.elapsed), pace_cell(s.pace_km, "km"),
             pace_cell(s.pace_mile), s.place or "")
            for p in sheet.points if (s := r.splits.get(p.name)) is not None
        ], separators=(",", ":"), ensure_ascii=False),
    }  # fmt: skip


def _filters(sheet: RaceSheet) -> list[tuple[str, str]]:
    sexes = sorted({r.sex for r in sheet.rows if r.sex}, key="MFX".index)
    groups: dict[str, int] = {}
    for r in sheet.rows:
        if r.sex and r.age_group:
            groups[r.division] = min(groups.get(r.division, 999), r.age or 999)
    order = sorted(groups, key=lambda g: ("MFX".index(g[0]), groups[g], g))
    return [(f"s-{s}", SEX_NAMES[s]) for s in sexes] + [(f"g-{g}", g) for g in order]


def render_race(sheet: RaceSheet, *, base: str = "") -> str:
    """A race's results page."""
    return _env().get_template("race.html.j2").render(
        sheet=sheet, runners=[_runner(sheet, r) for r in sheet.rows],
        filters=_filters(sheet), base=base,
        finishers=sum(1 for r in sheet.rows if r.status == "finished"),
    )  # fmt: skip


def render_awards(awards: Awards, sheet: RaceSheet, *, standalone: bool = False) -> str:
    """The awards page: one division per block; ``standalone`` inlines the style (the
    printable file of ``p88 results awards --html``), otherwise it links ``site.css``."""
    return _env().get_template("awards.html.j2").render(
        awards=awards, sheet=sheet, css=asset("site.css") if standalone else None,
        basis={"gun": "gun time", "chip": "chip time"}[awards.basis],
        clock=clock,
    )  # fmt: skip


def render_index(title: str, sheets: Sequence[RaceSheet] | Sequence[dict[str, Any]]) -> str:
    """The index: one line per race (name, date, finishers, links)."""
    races = [s if isinstance(s, dict) else _race_line(s) for s in sheets]
    return _env().get_template("index.html.j2").render(title=title, races=races)


def _race_line(sheet: RaceSheet) -> dict[str, Any]:
    return {
        "id": sheet.race_id, "title": sheet.title, "date": sheet.event_date.isoformat(),
        "finishers": sum(1 for r in sheet.rows if r.status == "finished"),
    }  # fmt: skip


@dataclass(frozen=True)
class SiteExporter:
    name: str = "site"
    description: str = "static results website (a directory: index, race pages, awards)"
    directory: bool = True
    whole_event: bool = True

    def write(self, publication: Publication, path: Path) -> int:
        first = publication.sheet
        (path / "index.html").write_text(
            render_index(f"{first.event_name} — results", publication.sheets), "utf-8"
        )
        for sheet in publication.sheets:
            (path / f"race-{sheet.race_id}.html").write_text(render_race(sheet), "utf-8")
            awards = publication.awards(sheet.race_id)
            (path / f"awards-{sheet.race_id}.html").write_text(
                render_awards(awards, sheet), "utf-8"
            )
        for name in ASSETS:
            (path / name).write_text(asset(name), "utf-8")
        return sum(len(s.rows) for s in publication.sheets)


EXPORTER = SiteExporter()

"""``p88 results`` publishing commands: divisions, awards, age grades, exports.

Attached to the ``results`` typer app by :func:`register` (one line in results.py), so this
module and the race-day setup commands change apart. Each command parses its options,
calls one library function and prints the result; no SQL here.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from p88.cli._app import err, is_terminal, out, print_json, state

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from p88.store import Awards

RaceOpt = Annotated[int, typer.Option("--race", help="Race id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace PATH if it exists.")]


def _working(what: str, as_json: bool) -> AbstractContextManager[object]:
    """A spinner on a terminal while a big race is read and written (one step, no count)."""
    from contextlib import nullcontext

    return err.status(f"{what}…") if is_terminal() and not as_json else nullcontext()


class Policy(StrEnum):
    remove = "remove"
    keep = "keep"


class Basis(StrEnum):
    gun = "gun"
    chip = "chip"


def awards(
    ctx: typer.Context,
    race: RaceOpt,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a printable page to PATH.")
    ] = None,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The awards list an announcer reads: each division's winners, in order.

    Divisions and rules come from p88 results divisions (defaults: three deep overall
    and per age group, an overall winner left out of the age groups, by the race's place
    basis). A DQ'd or held runner never gets an award; ties share a place.

    Example: p88 results awards --race 1 --html awards.html
    """
    from p88.exports import race_awards
    from p88.exports._atomic import check_target, write_file
    from p88.exports.shapes import awards_json
    from p88.exports.site import render_awards
    from p88.store import connect, load_sheet, update_age_grades

    if html is not None:
        check_target(html, force=force, directory=False)
    with (
        connect(state(ctx).database_url(), autocommit=True) as conn,
        _working(f"awards of race {race}", as_json),
    ):
        update_age_grades(conn, race)
        result = race_awards(conn, race)
        sheet = load_sheet(conn, race, splits=False) if html is not None else None
    if html is not None and sheet is not None:
        page = render_awards(result, sheet, standalone=True)
        write_file(html, lambda p: p.write_text(page, "utf-8"), force=force)
    if as_json:
        print_json(awards_json(result))
        return
    _print_awards(result)
    if html is not None:
        out.print(f"Printable page: {html}", markup=False)


def _print_awards(result: Awards) -> None:
    from p88.units import elapsed_text

    basis = "gun time" if result.basis == "gun" else "chip time"
    out.print(f"{result.title}: awards by {basis}, double-dip {result.double_dip}", markup=False)
    if not result.divisions:
        out.print("No awards: nobody has finished.")
    for division in result.divisions:
        table = Table(title=division.label, title_justify="left")
        for column in ("place", "bib", "name", "age", "time"):
            table.add_column(column, justify="right" if column != "name" else "left")
        for a in division.awards:
            table.add_row(str(a.place), a.bib, a.name, "" if a.age is None else str(a.age),
                          elapsed_text(a.time))  # fmt: skip
        out.print(table)


def export(
    ctx: typer.Context,
    race: RaceOpt,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv, runsignup, athlinks, ultrasignup, "
            "baa, json, site, or a plugin's (p88 results formats).",
        ),
    ],
    dest: Annotated[Path, typer.Option("--out", help="File to write (a directory for site).")],
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Export a race's results: a file for a results service, or a static website.

    Written to a temporary file (or directory) and renamed into place, so a crash never
    leaves half an export; an existing PATH is refused unless --force.

    Example: p88 results export --race 1 --format athlinks --out athlinks.csv
    """
    from p88.exports import export_race, get_exporter
    from p88.exports._atomic import check_target
    from p88.store import connect, update_age_grades

    # an unknown format, or a target that exists, is refused before the database is touched
    check_target(dest, force=force, directory=get_exporter(fmt).directory)
    with (
        connect(state(ctx).database_url(), autocommit=True) as conn,
        _working(f"exporting race {race} as {fmt}", as_json),
    ):
        update_age_grades(conn, race)
        summary = export_race(conn, race, fmt, dest, force=force)
    if as_json:
        print_json({"format": summary.format, "path": str(summary.path), "rows": summary.rows,
                    "seconds": round(summary.seconds, 3)})  # fmt: skip
    else:
        out.print(f"Wrote {summary.rows} result(s) as {fmt} to {dest} in {summary.seconds:.2f} s.",
                  markup=False)  # fmt: skip


def formats(as_json: JsonOpt = False) -> None:
    """List the export formats: the built-in ones and any a plugin adds.

    Example: p88 results formats
    """
    from p88.exports import exporters, plugin_problems

    known = exporters()
    for problem in plugin_problems():
        err.print(f"Warning: {problem}", markup=False)
    if as_json:
        print_json(known)
        return
    for name, description in known.items():
        out.print(f"{name:12} {description}", markup=False)


def divisions(
    ctx: typer.Context,
    race: RaceOpt,
    overall_depth: Annotated[
        int | None,
        typer.Option(
            "--overall-depth", min=0, max=100, help="Overall places awarded per sex (0: none)."
        ),
    ] = None,
    age_group_depth: Annotated[
        int | None,
        typer.Option(
            "--age-group-depth", min=0, max=100, help="Places awarded per age group (0: none)."
        ),
    ] = None,
    double_dip: Annotated[
        Policy | None,
        typer.Option(
            "--double-dip", help="remove: one award per runner, overall first; keep: every one."
        ),
    ] = None,
    basis: Annotated[
        Basis | None,
        typer.Option("--awards-by", help="gun or chip time (default: the race's place basis)."),
    ] = None,
    division: Annotated[
        list[str] | None,
        typer.Option(
            "--division",
            help="CODE=age:MIN[-MAX][:DEPTH], CODE=field:COLUMN[=VALUE][:DEPTH] or "
            "CODE=age_graded[:DEPTH]; ',open' for all sexes together; '|Label'. Repeatable; "
            "replaces the stored divisions.",
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the extra divisions.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show or set a race's award divisions and rules.

    Age groups come from the race's settings (p88 results settings); here go the award
    depth, the double-dip policy, gun or chip time, and further divisions: masters and
    grand masters, a participant column (team, wheelchair), the age-graded division.

    Example: p88 results divisions --race 1 --division 'masters=age:40' --division 'grand=age:50|Grand Masters'
    """  # noqa: E501
    from dataclasses import replace

    from p88.store import connect, load_rules, parse_division, save_rules

    parsed = tuple(parse_division(spec) for spec in division or [])
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        rules = load_rules(conn, race)
        changes: dict[str, Any] = {
            k: v for k, v in {
                "overall_depth": overall_depth, "age_group_depth": age_group_depth,
                "double_dip": double_dip.value if double_dip else None,
                "time_basis": basis.value if basis else None,
                "divisions": parsed or (() if clear else None),
            }.items() if v is not None
        }  # fmt: skip
        if changes:
            rules = replace(rules, **changes)
            save_rules(conn, race, rules)
    if as_json:
        print_json(rules.describe())
        return
    out.print(
        f"Race {race}: overall {rules.overall_depth} deep, age groups {rules.age_group_depth} "
        f"deep, double-dip {rules.double_dip}, by {rules.time_basis or 'the race place basis'}",
        markup=False,
    )
    for d in rules.divisions:
        out.print(f"  {d.code}: {d.label} ({d.kind}, {d.depth} deep)", markup=False)


def agegrade(ctx: typer.Context, race: RaceOpt, as_json: JsonOpt = False) -> None:
    """Store every result's WMA road age grade (time and percentage) for p88 ask.

    Awards and exports do this too; run it after a correction to refresh p88 ask.

    Example: p88 results agegrade --race 1
    """
    from p88.store import AGE_GRADE_TABLES, connect, update_age_grades

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        changed = update_age_grades(conn, race)
    if as_json:
        print_json({"race_id": race, "changed": changed, "tables": AGE_GRADE_TABLES})
    else:
        out.print(
            f"Race {race}: {changed} age grade(s) changed ({AGE_GRADE_TABLES}).", markup=False
        )


def fields(
    ctx: typer.Context,
    race: RaceOpt,
    file: Annotated[Path, typer.Argument(help="CSV with a bib column and the fields.")],
    column: Annotated[list[str], typer.Option("--column", help="Column to keep (repeatable).")],
    as_json: JsonOpt = False,
) -> None:
    """Load registration columns (team, wheelchair, military) for field divisions.

    The file is a CSV with a bib column; every row or none: an unknown bib refuses it.

    Example: p88 results fields --race 1 entries.csv --column Team --column Wheelchair
    """
    from p88.store import connect, load_entry_fields

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        count = load_entry_fields(conn, race, file, column)
    if as_json:
        print_json({"race_id": race, "entries": count})
    else:
        out.print(f"Race {race}: fields stored for {count} entr(y/ies).", markup=False)


def register(app: typer.Typer) -> None:
    """Attach these commands to the ``results`` app."""
    app.command("divisions")(divisions)
    app.command("awards")(awards)
    app.command("agegrade")(agegrade)
    app.command("fields")(fields)
    app.command("export")(export)
    app.command("formats")(formats)

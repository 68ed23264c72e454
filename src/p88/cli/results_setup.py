"""``p88 results new-race``, ``points`` and ``settings``: a race's set-up, stored with it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from p88.cli._app import out, print_json, state
from p88.errors import InputError, UnknownRace

if TYPE_CHECKING:
    from p88.store import PointRule


def _point_rows(rules: list[PointRule]) -> list[dict[str, object]]:
    return [
        {"name": r.location, "role": r.kind, "order": i, "distance_m": r.distance_m,
         "dead_time_s": r.dead_time.total_seconds(), "min_elapsed_s": r.min_elapsed.total_seconds(),
         "read": r.choice}
        for i, r in enumerate(rules)
    ]  # fmt: skip


def _seconds_for(values: list[str], where: str) -> tuple[float | None, dict[str, float]]:
    """``10`` for every point, ``FINISH=30`` for one."""
    every: float | None = None
    per: dict[str, float] = {}
    for value in values:
        name, sep, number = value.rpartition("=")
        try:
            seconds = float(number)
        except ValueError:
            raise InputError(
                f"{where} {value!r}: use SECONDS or POINT=SECONDS", what=where, where=where
            ) from None
        if seconds < 0:
            raise InputError(f"{where} {value!r} must not be negative", what=where, where=where)
        if sep:
            per[name.strip()] = seconds
        else:
            every = seconds
    return every, per


def new_race(
    ctx: typer.Context,
    partner: str = typer.Option(..., "--partner", help="Timing partner (tenant) name."),
    event: str = typer.Option(..., "--event", help="Event name."),
    on: str = typer.Option(..., "--date", help="Event date, YYYY-MM-DD."),
    race: str = typer.Option(..., "--race", help="Race name, e.g. 10K."),
    distance: str = typer.Option(
        ..., "--distance", help="10K, 5000m, 10M or 10 mi (miles), half, marathon; needs a unit."
    ),
    start: Optional[str] = typer.Option(None, "--start", help="Gun time HH:MM[:SS]."),  # noqa: UP045
    city: Optional[str] = typer.Option(None, "--city"),  # noqa: UP045
    st: Optional[str] = typer.Option(None, "--state"),  # noqa: UP045
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Create a race (and its partner and event when new); prints the race id.

    Example: p88 results new-race --partner 'Big River' --event 'Hartford 10K' --date 2025-06-01 --race 10K --distance 10K --start 08:00
    """  # noqa: E501
    from p88.store import connect, ensure_race
    from p88.units import parse_clock, parse_distance, whole_metres

    distance_m = whole_metres(parse_distance(distance, where="--distance"))
    gun = parse_clock(start, where="--start") if start else None
    try:
        day = date.fromisoformat(on)
    except ValueError as exc:
        raise InputError(
            f"bad date: {exc}", hint="--date YYYY-MM-DD", what="date", where="--date"
        ) from None
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        race_id = ensure_race(
            conn,
            partner=partner,
            event=event,
            event_date=day,
            race=race,
            distance_m=distance_m,
            start=gun,
            city=city,
            state=st,
        )
    if as_json:
        print_json({"race_id": race_id})
    else:
        out.print(f"Race {race_id}: {event} {race} on {day}.")


def _dead(seconds: float | None, current: timedelta) -> timedelta:
    return current if seconds is None else timedelta(seconds=seconds)


def points_cmd(
    ctx: typer.Context,
    race: int = typer.Option(..., "--race", help="Race id."),
    start: Optional[str] = typer.Option(None, "--start", help="Start-mat location."),  # noqa: UP045
    split: list[str] = typer.Option(  # noqa: B008
        [], "--split", help="Split location, LOC or LOC=DISTANCE (repeatable, in course order)."
    ),
    finish: Optional[str] = typer.Option(None, "--finish", help="Finish location."),  # noqa: UP045
    dead_time: list[str] = typer.Option(  # noqa: B008
        [], "--dead-time", help="Seconds of reads that make one crossing: N, or POINT=N."
    ),
    min_elapsed: Optional[float] = typer.Option(  # noqa: UP045
        None, "--min-elapsed", min=0, help="Seconds after the start before a finish counts."
    ),
    propose: bool = typer.Option(
        False, "--propose", help="Set the points the session's reads show (only if unambiguous)."
    ),
    session: Optional[str] = typer.Option(  # noqa: UP045
        None, "--session", help="Session whose locations to check against (default: the race's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show or set a race's timing points: name, role (start/split/finish), order, distance.

    Names are checked against the session's real locations (those with reads, and those
    its clients announced); the start can never also be the finish. --session also makes
    that session the race's own, when it has none. --propose sets what
    the session's reads show, only when that is unambiguous and the finish has reads.

    Example: p88 results points --race 1 --start START --split 5K=5km --finish FINISH
    """
    from dataclasses import replace

    from p88.store import PointRule, connect, resolve_session, session_label
    from p88.store import race_points as pts
    from p88.units import parse_distance, whole_metres

    every_dead, per_dead = _seconds_for(dead_time, "--dead-time")
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT distance_m, session_id FROM ct_races WHERE id = %s", (race,)
        ).fetchone()
        if row is None:
            raise UnknownRace(race)
        distance, race_session = row
        sid = resolve_session(conn, session) if session else race_session
        if sid is not None and race_session is None:
            conn.execute("UPDATE ct_races SET session_id = %s WHERE id = %s", (sid, race))
        rules = pts.load(conn, race)
        changing = bool(start or split or finish or propose or dead_time or min_elapsed is not None)
        if propose:
            if sid is None:
                raise InputError("--propose needs a session: pass --session", where="--session")
            rules = pts.propose(conn, sid, distance)
        elif start or split or finish:
            if not finish:
                raise InputError("a race's points need --finish", where="--finish")
            rules = [PointRule(finish, "finish", distance_m=distance)]
            if start:
                rules.append(PointRule(start, "start", distance_m=0))
            for i, spec in enumerate(split):
                name, sep, far = spec.partition("=")
                metres = (
                    whole_metres(parse_distance(far, where="--split"))
                    if sep
                    else pts.distance_in(name, distance)
                )
                rules.append(PointRule(name.strip(), "split", seq=i + 1, distance_m=metres))
            rules = pts.validate(rules)
            if sid is not None:
                pts.check_names(rules, pts.known_locations(conn, sid), session_label(conn, sid))
        if changing:
            if not rules:
                raise InputError(f"race {race} has no points yet: give --finish", where="--finish")
            unknown = sorted(set(per_dead) - {r.location for r in rules})
            if unknown:
                raise InputError(
                    f"--dead-time names {', '.join(unknown)}, not a point of race {race}",
                    where="--dead-time",
                )
            rules = [
                replace(
                    r,
                    dead_time=_dead(per_dead.get(r.location, every_dead), r.dead_time),
                    min_elapsed=timedelta(seconds=min_elapsed)
                    if min_elapsed is not None and r.kind == "finish"
                    else r.min_elapsed,
                )  # fmt: skip
                for r in rules
            ]
            pts.save(conn, race, rules)
            rules = pts.load(conn, race)
    if as_json:
        print_json({"race_id": race, "points": _point_rows(rules)})
        return
    if not rules:
        out.print(f"Race {race} has no points set: p88 results points --race {race} --finish LOC")
        return
    table = Table(title=f"race {race} timing points")
    for c in ("order", "name", "role", "distance", "dead time", "min elapsed", "read"):
        table.add_column(c)
    for p in _point_rows(rules):
        table.add_row(
            str(p["order"]), str(p["name"]), str(p["role"]),
            "" if p["distance_m"] is None else f"{p['distance_m']} m",
            f"{p['dead_time_s']:g} s", f"{p['min_elapsed_s']:g} s", str(p["read"]),
        )  # fmt: skip
    out.print(table)


def settings_cmd(
    ctx: typer.Context,
    race: int = typer.Option(..., "--race", help="Race id."),
    age_groups: list[str] = typer.Option(  # noqa: B008
        [], "--age-groups", help="WIDTH:FIRST:LAST for all, or SEX=WIDTH:FIRST:LAST (repeatable)."
    ),
    age_label: list[str] = typer.Option(  # noqa: B008
        [], "--age-label", help="Rename a group: GROUP=LABEL, e.g. 0-19=Junior (repeatable)."
    ),
    masters: Optional[int] = typer.Option(  # noqa: UP045
        None, "--masters", min=0, max=120, help="Masters from this age (0: no masters places)."
    ),
    place_by: Optional[str] = typer.Option(  # noqa: UP045
        None, "--place-by", help="gun (the trade's rule for awards) or chip."
    ),
    start_rule: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--start-rule",
        help="last-before (default: last start crossing before the "
        "runner's first later point) or first.",
    ),
    cutoff: Optional[str] = typer.Option(  # noqa: UP045
        None, "--cutoff", help="Course closes H:MM:SS after the gun; later finishes are held."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show or change a race's scoring settings; every later scoring run uses them.

    Age groups per sex, custom labels, masters, place by gun or chip, the start rule and
    the course cutoff are stored with the race, so incremental and full runs agree; a
    change makes the next run rescore every read. Dead time per point: p88 results points.

    Example: p88 results settings --race 1 --age-groups 10:20:70 --age-groups F=5:20:80 --masters 40
    """  # noqa: E501
    from dataclasses import replace

    from p88.store import connect, load_settings, race_settings, result_columns, save_settings

    if place_by is not None and place_by not in ("gun", "chip"):
        raise InputError(f"--place-by {place_by!r}: use gun or chip", where="--place-by")
    rule = None if start_rule is None else start_rule.replace("-", "_")
    if rule is not None and rule not in ("last_before", "first"):
        raise InputError(
            f"--start-rule {start_rule!r}: use last-before or first", where="--start-rule"
        )
    try:
        closes = result_columns.parse_duration(cutoff) if cutoff else None
    except result_columns.CellError as exc:
        raise InputError(f"--cutoff: {exc}", where="--cutoff") from None
    every, per_sex = race_settings.parse_age_groups(age_groups)
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        current = load_settings(conn, race)
        new = race_settings.with_changes(
            current, age_groups=every, place_by=place_by, start_rule=rule, cutoff=closes,
            by_sex={**current.by_sex, **per_sex} if per_sex else None,
        )  # fmt: skip
        if masters is not None:  # 0 turns masters places off
            new = replace(new, masters_age=masters or None)
        if age_label:
            new = race_settings.with_changes(
                new, labels={**new.labels, **race_settings.parse_labels(age_label, new)}
            )
        changed = save_settings(conn, race, new) if new != current else False
    if as_json:
        print_json({"race_id": race, "changed": changed, **new.describe()})
        return
    for key, value in new.describe().items():
        out.print(f"{key}: {value}")
    if changed:
        out.print("Changed: the next scoring run rescores every read.")

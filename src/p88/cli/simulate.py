"""``p88 simulate``: make a race that never happened, as capture files or live over CTP01."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from p88.cli._app import is_terminal, out, print_json
from p88.errors import InputError


def simulate(
    runners: int = typer.Option(3000, "--runners", help="Entrants (some will not start)."),
    points: str = typer.Option(
        "START,5K,FINISH", "--points", help="Timing points: NAME or NAME@DISTANCE, comma-separated."
    ),
    distance: str = typer.Option("10K", "--distance", help="Race distance: 5K, 10K, HALF, ..."),
    waves: str = typer.Option("1", "--waves", help="Wave count (5 min apart) or gun times."),
    gun: str = typer.Option("07:30:00", "--gun", help="First gun, time of day."),
    day: str = typer.Option("2026-06-07", "--date", help="Race day (YYYY-MM-DD)."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same files."),
    out_dir: Optional[Path] = typer.Option(  # noqa: UP045, B008
        None, "--out", help="Write <POINT>.ct33 files, participants.csv and runners.csv here."
    ),
    time_format: str = typer.Option(
        "normal", "--time-format", help="normal (HH:MM:SS.hh) or iso in the files."
    ),
    to: Optional[str] = typer.Option(  # noqa: UP045
        None, "--to", help="Also stream the race live to this CTP01 server (HOST:PORT)."
    ),
    speed: str = typer.Option("max", "--speed", help="With --to: 1, 10, any factor, or max."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
) -> None:
    """Simulate a race: runners, waves, messy reads per timing point, a gun time line.

    Finish times follow a distribution for the distance; each crossing is read several
    times on several antennas, some crossings are missed, some runners stop (DNF), a few
    tags camp on the mat, and read times run out of sequence order as real ones do.

    Example: p88 simulate --runners 3000 --points START,5K,FINISH --waves 3 --seed 7 --out race/
    """
    from p88.sim import all_stats, build_course, write_race
    from p88.sim import simulate as draw

    if runners < 1:
        raise InputError(f"--runners {runners}: give at least 1 entrant", what="runners",
                         where="--runners")  # fmt: skip
    if out_dir is None and to is None:
        raise InputError(
            "say where the race goes: --out DIR, --to HOST:PORT, or both",
            what="destination",
            where="--out/--to",
        )
    if time_format not in ("normal", "iso"):
        raise InputError(
            f"--time-format {time_format!r}: use normal or iso",
            what="time format",
            where="--time-format",
        )
    try:
        race_day = date.fromisoformat(day)
    except ValueError:
        raise InputError(f"--date {day!r}: use YYYY-MM-DD", what="date", where="--date") from None
    course = build_course(points, distance, waves, race_day, gun)
    race = draw(course, runners, seed)
    if out_dir is not None:
        write_race(race, out_dir, time_format)
    feeds = race.feeds(time_format)
    stats = all_stats(feeds)
    if to is not None:
        _stream(race, to, speed, as_json)
    if as_json:
        print_json(
            {
                "seed": seed,
                "runners": runners,
                "out": str(out_dir) if out_dir else None,
                "points": [
                    {
                        "location": s.location,
                        "lines": s.lines,
                        "tags": s.tags,
                        "reads_per_tag": round(s.reads_per_tag, 2),
                        "out_of_order_share": round(s.out_of_order_share, 3),
                        "max_reads_one_tag": s.max_reads_one_tag,
                        "gun_times": s.gun_times,
                    }
                    for s in stats
                ],  # fmt: skip
            }
        )
        return
    table = Table(title=f"Simulated {runners:,} runners, seed {seed}")
    for col in ("point", "lines", "tags", "reads/tag", "out of order", "most reads", "gun"):
        table.add_column(col, justify="left" if col == "point" else "right")
    for s in stats:
        table.add_row(
            s.location, f"{s.lines:,}", f"{s.tags:,}", f"{s.reads_per_tag:.2f}",
            f"{s.out_of_order_share:.0%}", str(s.max_reads_one_tag), str(s.gun_times),
        )  # fmt: skip
    out.print(table)
    if out_dir is not None:
        out.print(
            f"Wrote {len(stats)} capture files, participants.csv and runners.csv to {out_dir}"
        )
        out.print(f"Next: p88 replay {out_dir}/*.ct33 --to 127.0.0.1:61611 --speed 10")


def _stream(race: object, to: str, speed: str, quiet: bool) -> None:
    import asyncio

    from p88.cli.replay import parse_target, run_with_progress, summary_table
    from p88.protocol.client import ClientOptions
    from p88.protocol.replay import ReplayConfig
    from p88.sim.files import SimulatedRace
    from p88.sim.plan import new_connection_id, parse_speed

    assert isinstance(race, SimulatedRace)
    host, port = parse_target(to)
    options = ClientOptions(
        new_connection_id(),
        event_name=f"Simulated race {race.seed}",
        event_description=f"p88 simulate, {len(race.runners)} runners",
    )
    config = ReplayConfig(host, port, speed=parse_speed(speed))
    clients = [(race.feeds("iso"), options)]
    summary = asyncio.run(run_with_progress(clients, config, is_terminal() and not quiet))
    if not quiet:
        out.print(summary_table(summary))


def show_demo(ctx: typer.Context, *, runners: int, speed: str, as_json: bool) -> None:
    """Bare ``p88 demo``: run :func:`p88.sim.demo.run_demo` with a progress bar and say
    what was stored and what to try next."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from p88.cli._app import err, state
    from p88.sim.demo import run_demo
    from p88.sim.plan import parse_speed
    from p88.store import describe

    pace = parse_speed(speed)
    url = state(ctx).database_url()
    if is_terminal() and not as_json:
        out.print(f"p88 demo on {describe(url)}: a {runners:,}-runner 10K, START/5K/FINISH, ")
        out.print("replayed over CTP01/TCP into a listener on loopback…")
        with Progress(
            "replaying", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as bar:
            task = bar.add_task("replay", total=None)
            result = run_demo(
                url, runners=runners, speed=pace,
                progress=lambda sent, total: bar.update(task, completed=sent, total=total),
            )  # fmt: skip
    else:
        result = run_demo(url, runners=runners, speed=pace)
    ask = f"how many reads in session {result.session_id}"
    if as_json:
        print_json(
            {"database": describe(url), "session": result.session,
             "session_id": result.session_id, "runners": result.runners,
             "lines_sent": result.lines_sent, "reads_stored": result.reads_stored,
             "gun_events": result.gun_events, "finishers": result.finishers,
             "replay_s": round(result.replay_s, 2), "total_s": round(result.total_s, 2),
             "by_location": [{"location": loc, "reads": n, "tags": t}
                             for loc, n, t in result.by_location]}
        )  # fmt: skip
        return
    table = Table(title=f"Session {result.session!r} (id {result.session_id})")
    for col in ("timing point", "reads stored", "distinct tags"):
        table.add_column(col, justify="left" if col == "timing point" else "right")
    for loc, n, tags in result.by_location:
        table.add_row(loc, f"{n:,}", f"{tags:,}")
    out.print(table)
    out.print(
        f"{result.lines_sent:,} lines went over CTP01 to 127.0.0.1:{result.port} in "
        f"{result.replay_s:.1f} s ({result.rate:,.0f}/s); {result.reads_stored:,} reads and "
        f"{result.gun_events} gun times stored exactly once; {result.finishers:,} runners "
        f"reached the finish. Total {result.total_s:.1f} s."
    )
    out.print("\nNext, try:")
    steps = Table.grid(padding=(0, 3))
    steps.add_row(f"p88 tui --session {result.session_id}", "live leaderboard of this race")
    steps.add_row("p88 serve", "HTTP API + display, 127.0.0.1:8088")
    steps.add_row(f'p88 ask "{ask}"', "English in, SQL answers out")
    steps.add_row("p88 demo history", "results history to ask about")
    steps.add_row("p88 simulate --out race/", "your own race, as capture files")
    steps.add_row("p88 listen", "then, in a second terminal:")
    steps.add_row("p88 replay race/*.ct33 --speed 10", "a rehearsal")
    out.print(steps)

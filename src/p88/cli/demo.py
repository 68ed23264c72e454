"""``p88 demo``: p88 working on a fresh machine; ``demo history`` fills the results store."""

from __future__ import annotations

import typer

from p88.cli._app import err, is_terminal, out, print_json, state

app = typer.Typer(
    help="Show p88 working on this machine: a simulated race replayed into a listener over "
    "real TCP (bare `p88 demo`), or a synthetic results history to ask about "
    "(`p88 demo history`).\n\n"
    "Example: p88 demo",
    invoke_without_command=True,
)


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    runners: int = typer.Option(
        3000, "--runners", min=10, max=50_000, help="Runners in the simulated race."
    ),
    speed: str = typer.Option("max", "--speed", help="Replay speed: max, or a factor (100)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show p88 working on this machine: a race simulated, replayed and stored.

    With no subcommand: migrate the database (the embedded one unless configured),
    start a listener on a free loopback port, simulate a 10K of a few thousand runners
    and replay it into the listener over real CTP01/TCP at full speed, then show what
    was stored and the commands to try next. Each run is its own session.

    Example: p88 demo
    """
    if ctx.invoked_subcommand is None:
        from p88.cli.simulate import show_demo

        show_demo(ctx, runners=runners, speed=speed, as_json=as_json)


@app.command()
def history(
    ctx: typer.Context,
    results: int = typer.Option(
        100_000, "--results", min=1, max=50_000_000, help="How many results (race entries)."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same rows."),
    first_year: int = typer.Option(2018, "--first-year", help="Earliest event year."),
    last_year: int = typer.Option(2025, "--last-year", help="Latest event year."),
    per_person: float = typer.Option(
        4.6, "--results-per-person", min=1.0, help="Results per participant on average."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Load a synthetic results history: partners, events, races, runners, results.

    Recurring events (the Hartford Marathon every October, ...) in US cities over the
    years, marathon, half, 10K and 5K fields with realistic finish times by distance,
    sex and age, DNFs, and runners who race many times (Michael Wardian among them).
    Replaces an earlier synthetic history; real partners' data is never touched.
    Migrates the database first.

    Example: p88 demo history --results 1000000 --seed 42
    """
    from rich.progress import Progress, TaskID

    from p88.history import HistoryOptions, load_history
    from p88.store import connect, describe, migrate

    opts = HistoryOptions(
        results=results,
        seed=seed,
        first_year=first_year,
        last_year=last_year,
        results_per_person=per_person,
    )
    url = state(ctx).database_url()
    with connect(url, autocommit=True) as conn:
        migrate(conn)
        if is_terminal() and not as_json:
            with Progress(console=err, transient=True) as bar:
                tasks: dict[str, TaskID] = {}

                def step(table: str, done: int, total: int) -> None:
                    if table not in tasks:
                        tasks[table] = bar.add_task(f"loading {table}", total=total)
                    bar.update(tasks[table], completed=done)

                summary = load_history(conn, opts, progress=step)
        else:
            summary = load_history(conn, opts)
    figures = {
        "database": describe(url),
        "seed": seed,
        "partners": summary.partners,
        "events": summary.events,
        "races": summary.races,
        "participants": summary.participants,
        "results": summary.results,
        "replaced_results": summary.replaced_results,
        "generate_s": round(summary.generate_s, 2),
        "load_s": round(summary.load_s, 2),
        "rows_per_s": round(summary.rows_per_s),
    }
    if as_json:
        print_json(figures)
    else:
        out.print(
            f"Loaded {summary.results:,} results of {summary.participants:,} runners in "
            f"{summary.races:,} races at {summary.events:,} events for {summary.partners} "
            f"partners into {describe(url)} in {summary.generate_s + summary.load_s:.1f} s."
        )

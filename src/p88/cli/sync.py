"""``p88 sync``: participants in from RunSignUp and Race Roster, results out to them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from p88.cli._app import err, is_terminal, out, print_json, state
from p88.errors import ConfigError

if TYPE_CHECKING:
    from p88.config import Settings
    from p88.sync import PullSummary, PushSummary, RunSignUp

app = typer.Typer(
    help="Sync with registration systems: RunSignUp (REST API) and Race Roster (CSV files).\n\n"
    "Example: p88 sync runsignup pull --race 1 --race-id 123 --event-id 456",
    no_args_is_help=True,
)
runsignup = typer.Typer(
    help="RunSignUp: pull participants, push results. Needs P88_RUNSIGNUP_API_KEY and "
    "P88_RUNSIGNUP_API_SECRET.\n\nExample: p88 sync runsignup push --race 1 --every 30",
    no_args_is_help=True,
)
raceroster = typer.Typer(
    help="Race Roster: import its participants export, export the bib upload and results.\n\n"
    "Example: p88 sync raceroster import participants.csv --race 1",
    no_args_is_help=True,
)
app.add_typer(runsignup, name="runsignup")
app.add_typer(raceroster, name="raceroster")

Race = Annotated[int, typer.Option("--race", help="p88 race id (p88 results new-race prints it).")]
RemoteRace = Annotated[
    int | None,
    typer.Option("--race-id", help="RunSignUp race id (remembered after a run)."),
]
RemoteEvent = Annotated[
    int | None, typer.Option("--event-id", help="RunSignUp event id (remembered likewise).")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send nothing.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def client(settings: Settings) -> RunSignUp:
    """A RunSignUp client from the configured URL and credentials (one clear line if unset)."""
    from p88.sync import Credentials, RunSignUp

    key, secret = settings.get("runsignup_api_key"), settings.get("runsignup_api_secret")
    if not key or not secret:
        raise ConfigError(
            "RunSignUp credentials are not set",
            hint="set P88_RUNSIGNUP_API_KEY and P88_RUNSIGNUP_API_SECRET, or "
            "runsignup_api_key / runsignup_api_secret in p88.toml",
        )
    return RunSignUp(settings.require("runsignup_url"), Credentials(key, secret))


@contextmanager
def _bar(what: str, quiet: bool) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr when it is a terminal (and not --json); else a no-op."""
    if quiet or not is_terminal():
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(what, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@runsignup.command()
def pull(
    ctx: typer.Context,
    race: Race,
    race_id: RemoteRace = None,
    event_id: RemoteEvent = None,
    per_page: Annotated[
        int, typer.Option("--per-page", min=1, max=2500, help="Participants per request.")
    ] = 1000,
    full: Annotated[
        bool, typer.Option("--full", help="Fetch everyone, not only what changed since last time.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and show what would change; write nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Pull a RunSignUp event's participants into a race: names, bibs, chips.

    Run it as often as you like: after the first run only registrations changed since
    the last one are fetched, and a run with nothing new writes nothing. A bib or chip
    changed in RunSignUp is applied to the runner's entry and recorded.

    Example: p88 sync runsignup pull --race 1 --race-id 123456 --event-id 654321
    """
    from p88.store import connect
    from p88.sync import pull_runsignup

    with connect(state(ctx).database_url(), autocommit=True) as conn, client(
        state(ctx).settings()
    ) as rsu, _bar("pulling participants", as_json) as bar:  # fmt: skip
        s = pull_runsignup(
            conn, rsu, race_id=race, remote_race=race_id, remote_event=event_id,
            per_page=per_page, full=full, dry_run=dry_run,
            progress=lambda n: bar(n, None),
        )  # fmt: skip
    _pull_report(s, as_json)


def _pull_report(s: PullSummary, as_json: bool) -> None:
    if as_json:
        print_json(asdict(s))
        return
    verb = "Would write" if s.dry_run else "Wrote"
    kind = "changes since the last pull" if s.incremental else "every participant"
    out.print(
        f"Race {s.race_id} <- RunSignUp race {s.remote_race_id} event {s.remote_event_id} "
        f"({kind}): {s.fetched} fetched in {s.pages} page(s); {verb.lower()} {s.new} new and "
        f"{s.changed} changed, {s.unchanged} unchanged, {s.no_bib} without a bib yet "
        f"({s.seconds:.2f} s).",
        markup=False,
        soft_wrap=True,
    )
    for c in s.changes:
        out.print(f"  changed: {c}", markup=False, soft_wrap=True)
    if any(c.get("field") == "chip" for c in s.changes):
        out.print(
            "Chips changed: rescore with p88 results score --full.", markup=False, soft_wrap=True
        )


@runsignup.command()
def push(
    ctx: typer.Context,
    race: Race,
    race_id: RemoteRace = None,
    event_id: RemoteEvent = None,
    every: Annotated[
        float, typer.Option("--every", min=0, help="Push again every N seconds until Ctrl-C.")
    ] = 0,
    runs: Annotated[int, typer.Option("--runs", min=0, help="With --every: stop after N.")] = 0,
    final: Annotated[
        bool, typer.Option("--final", help="Official results: a final result set.")
    ] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=5000, help="Rows per request.")
    ] = 1000,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Push a race's results to RunSignUp: preliminary during the race, final after.

    The first push creates a result set and declares the race's splits; later pushes
    send only the rows that changed. With --final the results go to a final result set
    and the preliminary one is emptied. With --every, a push the network loses is
    reported and tried again at the next interval.

    Example: p88 sync runsignup push --race 1 --race-id 123456 --event-id 654321 --every 30
    """
    from p88.cli._app import error_line
    from p88.store import connect
    from p88.sync import RemoteUnavailable, push_runsignup

    done = 0
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        rsu = None if dry_run else client(state(ctx).settings())
        try:
            while True:
                try:
                    with _bar("pushing results", as_json) as bar:
                        s = push_runsignup(
                            conn, rsu, race_id=race, remote_race=race_id, remote_event=event_id,
                            final=final, dry_run=dry_run, batch=batch, progress=bar,
                        )  # fmt: skip
                    _push_report(s, as_json)
                except RemoteUnavailable as exc:
                    if not every:
                        raise
                    err.print(error_line(exc) + "; trying again", markup=False, soft_wrap=True)
                done += 1
                if not every or dry_run or (runs and done >= runs):
                    break
                time.sleep(every)
        except KeyboardInterrupt:
            pass  # --every ends with Ctrl-C; every batch sent so far is recorded
        finally:
            if rsu is not None:
                rsu.close()


def _push_report(s: PushSummary, as_json: bool) -> None:
    if as_json:
        data: dict[str, Any] = asdict(s)
        data["requests"] = [asdict(r) for r in s.requests]
        print_json(data)
        return
    if s.dry_run:
        out.print(
            f"Dry run: {s.sent} row(s) would be sent in these requests:",
            markup=False,
            soft_wrap=True,
        )
        for r in s.requests:
            body = (
                r.body
                if not isinstance(r.body, dict) or "results" not in r.body
                else {"results": f"[{len(r.body['results'])} rows, first: {r.body['results'][:1]}]"}
            )
            out.print(f"  {r.method} {r.path} {r.params} {body}", markup=False, soft_wrap=True)
        return
    kind = "final" if s.final else "preliminary"
    made = " (created)" if s.created_set else ""
    out.print(
        f"Race {s.race_id} -> RunSignUp result set {s.result_set_id}{made} ({kind}): "
        f"{s.sent} of {s.rows} row(s) sent in {s.batches} request(s)"
        f"{', splits declared' if s.splits_declared else ''} ({s.seconds:.2f} s).",
        markup=False,
        soft_wrap=True,
    )
    if s.cleared_preliminary is not None:
        out.print(
            f"Preliminary result set {s.cleared_preliminary} emptied.", markup=False, soft_wrap=True
        )


@raceroster.command("import")
def roster_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Race Roster participants (or results) export.")],
    race: Race,
    map_: Annotated[
        str | None, typer.Option("--map", help="Other column names: 'Column=field, ...'.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Import a Race Roster participants export into a race (all rows or none).

    Participant ID, bib, chip and the usual name columns are understood; a bib or chip
    changed since the last import is applied to the runner's entry and recorded.

    Example: p88 sync raceroster import participants.csv --race 1
    """
    from p88.store import connect, parse_map
    from p88.sync import import_export

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        result = import_export(conn, file, race, parse_map(map_))
    s = result.summary
    if as_json:
        print_json({**s.__dict__, "changes": result.changes})
        return
    out.print(
        f"Imported {s.rows} {s.kind} row(s) into race {race}: {s.participants_created} new "
        f"participant(s), {s.participants_matched} known, {len(result.changes)} bib/chip "
        "change(s).",
        markup=False,
        soft_wrap=True,
    )


@raceroster.command("export")
def roster_export(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="bibs (the bib upload) or results.")],
    race: Race,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    as_json: AsJson = False,
) -> None:
    """Write Race Roster's bib upload (Participant ID, Bib Number) or a results CSV.

    Example: p88 sync raceroster export results --race 1 -o results.csv
    """
    from p88.errors import InputError
    from p88.store import connect
    from p88.sync import write_bibs, write_results

    writers = {"bibs": write_bibs, "results": write_results}
    if what not in writers:
        raise InputError(f"cannot export {what!r}", what="export", where="WHAT",
                         hint="bibs or results")  # fmt: skip
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        n = writers[what](conn, race, output)
    if as_json:
        print_json({"race_id": race, "what": what, "rows": n, "file": str(output)})
    else:
        out.print(f"Wrote {n} row(s) to {output}.", markup=False, soft_wrap=True)

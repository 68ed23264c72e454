"""``p88 db``: migrations, status and archival."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.table import Table

from p88.cli._app import err, is_terminal, out, print_json, state
from p88.errors import ConfigError

app = typer.Typer(
    help="Database: apply migrations, show their status, archive old reads.\n\n"
    "Example: p88 db migrate && p88 db status",
    no_args_is_help=True,
)


@app.command()
def migrate(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Apply pending migrations, each in its own transaction.

    Safe to run twice, or twice at once: each file is applied once. Refuses to run
    if a file that was already applied has changed.

    Example: p88 db migrate
    """
    from p88.store import connect, describe, migrate

    url = state(ctx).database_url()
    with connect(url, autocommit=True) as conn:
        done = migrate(
            conn,
            on_apply=None if as_json else lambda m: err.print(f"applying {m.version:03d}_{m.name}"),
        )
    if as_json:
        print_json(
            {"database": describe(url), "applied": [f"{m.version:03d}_{m.name}" for m in done]}
        )
    elif done:
        out.print(f"Applied {len(done)} migration(s) to {describe(url)}.")
    else:
        out.print(f"{describe(url)} is up to date.")


@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List applied and pending migrations.

    Exits 1 when a migration is pending or an applied file has changed, so a
    deployment script can check it.

    Example: p88 db status --json
    """
    from p88.store import connect, describe
    from p88.store import status as migration_status

    url = state(ctx).database_url()
    with connect(url, autocommit=True) as conn:
        st = migration_status(conn)
    rows = [
        {
            "migration": f"{a.version:03d}_{a.name}",
            "state": "applied",
            "at": a.applied_at.isoformat(),
        }
        for a in st.applied
    ]
    changed = {m.version for m in st.changed}
    for row, a in zip(rows, st.applied, strict=True):
        if a.version in changed:
            row["state"] = "CHANGED since applied"
    rows += [
        {"migration": f"{m.version:03d}_{m.name}", "state": "pending", "at": ""} for m in st.pending
    ]
    if as_json:
        print_json({"database": describe(url), "migrations": rows})
    else:
        table = Table(title=f"migrations on {describe(url)}")
        for column in ("migration", "state", "applied at"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["migration"], row["state"], row["at"])
        out.print(table)
    if st.pending or st.changed:
        raise typer.Exit(1)


def _now_in(timezone: str | None) -> datetime:
    if not timezone:
        return datetime.now()
    try:
        return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {timezone!r}", hint="use an IANA name such as America/New_York"
        ) from None


@app.command()
def archive(
    ctx: typer.Context,
    older_than: str = typer.Option("30d", "--older-than", help="Age cut-off: 30d, 12h, 2w, 90m."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would move; move nothing."),
    batch_size: int = typer.Option(
        5000, "--batch-size", min=1, max=1_000_000, help="Reads per transaction."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Move reads older than the cut-off into timing_reads_archive.

    Reads move in small transactions, so the listener keeps writing meanwhile. Safe to
    run twice. Quiet unless on a terminal: fit for cron.

    Example: p88 db archive --older-than 30d --json
    """
    from rich.progress import Progress

    from p88.store import archive_reads, connect, parse_age

    age = parse_age(older_than)
    settings = state(ctx).settings()
    cutoff = _now_in(settings.get("timezone")) - age
    url = state(ctx).database_url()
    with connect(url, autocommit=True) as conn:
        if is_terminal() and not as_json and not dry_run:
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("archiving", total=None)
                result = archive_reads(
                    conn,
                    cutoff,
                    batch_size=batch_size,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        else:
            result = archive_reads(conn, cutoff, batch_size=batch_size, dry_run=dry_run)
    if as_json:
        print_json(
            {
                "cutoff": result.cutoff.isoformat(),
                "dry_run": result.dry_run,
                "eligible": result.eligible,
                "archived": result.moved,
                "already_archived": result.already_archived,
                "batches": result.batches,
            }
        )
    elif dry_run:
        out.print(
            f"{result.eligible} read(s) older than {result.cutoff:%Y-%m-%d %H:%M:%S} would move."
        )
    elif is_terminal():
        out.print(f"Archived {result.moved} read(s) older than {result.cutoff:%Y-%m-%d %H:%M:%S}.")

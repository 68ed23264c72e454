"""``p88 results correct / history / check / final``: from scored results to official ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from p88.cli._app import err, out, print_json, state
from p88.errors import EXIT_REFUSED, InputError

if TYPE_CHECKING:
    from p88.store import CheckReport, ScoreSummary

Race = Annotated[int, typer.Option("--race", help="Race id.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
By = Annotated[str | None, typer.Option("--by", help="Who makes it (default: your login name).")]


def _who(by: str | None) -> str:
    import getpass

    if by:
        return by
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise InputError("cannot tell who you are: pass --by NAME", where="--by") from None


def _rescored(race: int, s: ScoreSummary | None) -> str:
    if s is None:
        return (
            f"Race {race} has no timing session, so nothing was rescored: the correction "
            f"applies at the next p88 results score --race {race} --session S."
        )
    return (
        f"Rescored race {race}: {s.results_changed} result(s) changed, {s.finished} finished"
        + (f", {s.held} held for review" if s.held else "")
        + "."
    )


def correct_cmd(
    ctx: typer.Context,
    race: Race,
    bib: Annotated[str, typer.Option("--bib", help="The runner's bib.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the trail).")] = None,
    dq: Annotated[bool, typer.Option("--dq", help="Disqualify.")] = False,
    dnf: Annotated[bool, typer.Option("--dnf", help="Did not finish, by hand.")] = False,
    dns: Annotated[bool, typer.Option("--dns", help="Did not start, by hand.")] = False,
    penalty: Annotated[
        str | None,
        typer.Option("--penalty", help="Add to chip and gun time: 30s, 2m, 0:01:00; -30s = bonus."),
    ] = None,
    time: Annotated[
        str | None,
        typer.Option("--time", help="Hand time for a missed read: POINT=HH:MM:SS.hh."),
    ] = None,
    swap: Annotated[
        str | None, typer.Option("--swap", help="Bib of the runner who wore this runner's bib.")
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="The tag (chip) the runner wears from --from.")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--from", help="With --tag: from this time (HH:MM:SS).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Publish a held (review) result.")] = False,
    undo: Annotated[
        int | None, typer.Option("--undo", help="Take back correction ID (see history).")
    ] = None,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Correct one runner's result: one action, a reason; kept in the race's trail.

    Nothing is edited in place: each correction is a row (who, when, why, what) and
    scoring applies every correction not undone. The race is rescored at once.

    Example: p88 results correct --race 1 --bib 104 --penalty 2m --reason "cut the cone"
    """
    from p88.store import CorrectionFlags, connect, correct_result, request_from_flags

    flags = CorrectionFlags(
        bib=bib, reason=reason, made_by=_who(by), dq=dq, dnf=dnf, dns=dns, clear=clear,
        penalty=penalty, time=time, swap=swap, tag=tag, valid_from=valid_from, undo=undo,
    )  # fmt: skip
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        done = correct_result(conn, race, request_from_flags(conn, race, flags))
    c = done.correction
    if done.rescore_error is not None:
        out.print(f"Correction #{c.id} recorded: bib {c.bib} {c.what()}.", markup=False)
        err.print(
            f"Error: not rescored: {done.rescore_error.message}; the correction applies at "
            f"the next p88 results score --race {race} that succeeds",
            markup=False, soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(done.rescore_error.exit_code)
    if as_json:
        s = done.scoring
        rescored = None if s is None else {"full": s.full, "results_changed": s.results_changed,
                                           "finished": s.finished, "held": s.held}  # fmt: skip
        print_json({"correction": c.as_json(), "rescored": rescored})
        return
    out.print(
        f"Correction #{c.id}: bib {c.bib} {c.what()} ({c.made_by}: {c.reason}).", markup=False
    )
    out.print(_rescored(race, done.scoring), markup=False)


def history_cmd(ctx: typer.Context, race: Race, as_json: Json = False) -> None:
    """Show a race's corrections, oldest first: who, when, why, what, and what undid it.

    Example: p88 results history --race 1 --json
    """
    from p88.store import connect, correction_history

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        rows = correction_history(conn, race)
    if as_json:
        print_json([c.as_json() for c in rows])
        return
    if not rows:
        out.print(f"Race {race} has no corrections.")
        return
    table = Table(title=f"race {race} corrections")
    for col in ("#", "when", "who", "bib", "what", "why", "undone by"):
        table.add_column(col)
    for c in rows:
        table.add_row(
            str(c.id), f"{c.made_at:%Y-%m-%d %H:%M:%S}", c.made_by, c.bib, c.what(), c.reason,
            f"#{c.undone_by}" if c.undone_by else "",
        )  # fmt: skip
    out.print(table)


def _print_report(report: CheckReport) -> None:
    for c in report.checks:
        mark = "ok" if not c.found else f"{c.count} to look at"
        out.print(f"{c.title}: {mark}", markup=False)
        for f in c.found[:50]:
            who = " ".join(p for p in (f"bib {f.bib}" if f.bib else "", f.name or "",
                                       f"tag {f.tag}" if f.tag else "") if p)  # fmt: skip
            out.print(f"  {who}: {f.detail}", markup=False)
        if c.count > 50:
            out.print(f"  ... and {c.count - 50} more (--json lists all)", markup=False)
        if c.found:
            out.print(f"  → {c.advice}", markup=False)


def check_cmd(
    ctx: typer.Context,
    race: Race,
    many_reads: Annotated[
        int, typer.Option("--many-reads", min=1, help="Unknown tags read this often are listed.")
    ] = 10,
    top: Annotated[
        int, typer.Option("--top", min=1, help="Top places compared by gun and chip time.")
    ] = 3,
    as_json: Json = False,
) -> None:
    """Check a race before it is official; exit 0 when clean, 4 when a person must look.

    Lists, with counts and runners: missing splits, impossible pace between points, reads
    after the finish window, runners with reads but no result, unknown tags with many
    reads, duplicate bibs, gun and chip top finishers that disagree, held results.

    Example: p88 results check --race 1 --json
    """
    from p88.store import connect, run_checks

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        report = run_checks(conn, race, many_reads=many_reads, top=top)
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
        opened = len(report.open)
        out.print(f"Race {race}: " + (f"{opened} check(s) open." if opened else "clean."))
    if report.open:
        raise typer.Exit(EXIT_REFUSED)


def final_cmd(
    ctx: typer.Context,
    race: Race,
    accept: Annotated[
        bool, typer.Option("--accept", help="Make it official although checks are open.")
    ] = False,
    by: By = None,
    as_json: Json = False,
) -> None:
    """Make a race's results official: close the course (DNF/DNS), check, stamp.

    Refused (exit 4, nothing written) while a check is open (p88 results check), unless
    --accept: the open checks are then recorded with the stamp.

    Example: p88 results final --race 1
    """
    from p88.store import connect, make_official

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        done = make_official(conn, race, by=_who(by), accept=accept)
    if as_json:
        print_json({
            "race_id": race, "official_at": done.official_at.isoformat(),
            "official_by": done.official_by, "accepted": done.accepted,
            "finished": done.scoring.finished if done.scoring else None,
        })  # fmt: skip
        return
    accepted = ", ".join(f"{k} ({v})" for k, v in done.accepted.items())
    out.print(
        f"Race {race} is official since {done.official_at:%Y-%m-%d %H:%M:%S} "
        f"({done.official_by})"
        + (f", accepting open checks: {accepted}" if accepted else "")
        + ".",
        markup=False,
    )

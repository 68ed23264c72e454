"""``p88 ask``: a question in English, answered from the results and live reads."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.table import Table

from p88.cli._app import err, is_terminal, out, print_json, state

if TYPE_CHECKING:
    from p88.nlq import Answer, Explanation


def _opt(help_text: str, *names: str) -> Any:
    return typer.Option(None, *names, help=help_text, show_default=False)


def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="The question, in quotes."),
    partner: Optional[str] = _opt(  # noqa: UP045 - typer needs Optional here
        "Answer for this timing partner only (code, name or id; default: setting 'partner').",
        "--partner",
    ),
    event: Optional[str] = _opt("Pin the event (series) name.", "--event"),  # noqa: UP045
    year: Optional[str] = _opt("Pin the year (or 'all').", "--year"),  # noqa: UP045
    time_basis: Optional[str] = _opt("Pin the time basis: gun or chip.", "--time"),  # noqa: UP045
    show_sql: bool = typer.Option(False, "--sql", help="Print the SQL that ran."),
    explain_only: bool = typer.Option(
        False, "--explain", help="Print the frame, SQL and confidence; do not run."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    llm: Optional[str] = _opt(  # noqa: UP045
        "Ollama-compatible URL of a local model, asked only when p88 does not understand.",
        "--llm",
    ),
) -> None:
    """Answer a question about results (or live reads) in English.

    The question becomes a typed frame, then SQL built with sqlglot, checked by a guard
    (read-only, allow-listed tables, your partner's rows only) and run in a READ ONLY
    transaction. The answer states how the question was understood. Defaults: chip time
    for thresholds and PRs, gun time for placings, "under" strict, "or better" inclusive,
    finishers exclude DNF/DNS/DQ. An ambiguous question lists its readings and the flag
    that pins each; a question p88 does not understand is refused with what it did not know.

    Example: p88 ask "how many finished the Hartford Marathon under 3 hours in 2023"
    """
    from p88.nlq import Ambiguous, explain
    from p88.nlq import ask as run_ask
    from p88.store import connect

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    if time_basis not in (None, "gun", "chip"):
        raise typer.BadParameter("must be gun or chip", param_hint="--time")
    partner = partner or state(ctx).settings().get("partner")
    with connect(state(ctx).database_url(), autocommit=True, application_name="p88 ask") as conn:
        try:
            if explain_only:
                _print_explanation(
                    explain(
                        question, conn, partner=partner, event=event, year=year,
                        time_basis=time_basis,
                    ),
                    as_json,
                )  # fmt: skip
                return
            answer = run_ask(
                question, conn, partner=partner, event=event, year=year,
                time_basis=time_basis, llm_url=llm,
            )  # fmt: skip
        except Ambiguous as exc:
            if is_terminal() and not as_json:
                err.print(f"[bold]Ambiguous:[/] {exc.message}")
                for n, interp in enumerate(exc.interpretations, 1):
                    err.print(f"  {n}. {interp.description}   [dim]{interp.flags}[/]")
            raise
    _print_answer(answer, as_json, show_sql)


def _print_answer(answer: Answer, as_json: bool, show_sql: bool) -> None:
    from p88.nlq.answer import plain

    if as_json:
        print_json(answer.as_json())
        return
    out.print(answer.understood, markup=False)
    if answer.rows and (len(answer.rows) > 1 or len(answer.columns) > 1 or answer.frame.group_by):
        table = Table(show_edge=False, header_style="bold")
        for name in answer.columns:
            table.add_column(name)
        for row in answer.rows:
            table.add_row(*("" if v is None else str(plain(v)) for v in row))
        out.print(table)
    if show_sql:
        _print_sql(answer.sql)


def _print_sql(sql: str) -> None:
    import sqlglot

    pretty = sqlglot.transpile(sql, read="postgres", write="postgres", pretty=True)[0]
    # id lists (race ids the catalog resolved) on one line rather than one id per line
    pretty = re.sub(
        r"\(\n(?:\s+-?\d+,\n)*\s+-?\d+\n\s*\)",
        lambda m: "(" + ", ".join(re.findall(r"-?\d+", m.group(0))) + ")",
        pretty,
    )
    out.print(pretty, markup=False, highlight=False)


def _print_explanation(ex: Explanation, as_json: bool) -> None:
    if as_json:
        print_json(ex.as_json())
        return
    out.print(ex.understood, markup=False)
    out.print(f"confidence: {ex.confidence:.2f}")
    for key, value in ex.frame.as_dict().items():
        if value not in (None, [], (), False, "") and key != "notes":
            out.print(f"  {key}: {value}", markup=False)
    _print_sql(ex.sql)

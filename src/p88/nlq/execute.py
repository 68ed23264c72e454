"""Running guarded SQL: read-only, time-boxed, as the SELECT-only role when there is one.

Only a ``Guarded`` (the guard's output, re-emitted from the checked tree) can be run; the
running itself is the store's (``p88.store.queries.ask.run_guarded``): one READ ONLY
transaction with a statement timeout, a client-side cancel, ``SET LOCAL ROLE p88_ask``
and a planner-cost check before the query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from p88.nlq.guard import Guarded
from p88.store import ASK_ROLE, DEFAULT_TIMEOUT_S, MAX_COST, run_guarded
from p88.store import AskRows as Rows

if TYPE_CHECKING:
    import psycopg

__all__ = ["ASK_ROLE", "DEFAULT_TIMEOUT_S", "MAX_COST", "Rows", "run"]


def run(
    conn: psycopg.Connection[Any],
    guarded: Guarded,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_cost: float = MAX_COST,
    role: str | None = ASK_ROLE,
    server_timeout: bool = True,
) -> Rows:
    """Run ``guarded`` in a READ ONLY transaction and return its rows.

    ``server_timeout=False`` leaves only the client-side cancel (tests use it to prove the
    cancel works on its own).
    """
    if not isinstance(guarded, Guarded):
        raise TypeError("run() takes the guard's output, never raw SQL")
    return run_guarded(
        conn,
        guarded.sql,
        timeout_s=timeout_s,
        max_cost=max_cost,
        role=role,
        server_timeout=server_timeout,
    )

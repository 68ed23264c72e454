"""Compiling comparisons inside one population: "how many more men than women".

The two counts and their difference come from one pass over the results (``count(*)
FILTER (WHERE ...)``), so both sides share every other condition of the question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from p88.nlq.nodes import R, alias, col, num, text

if TYPE_CHECKING:
    from p88.nlq.compile import Builder

__all__ = ["difference_query"]

_NAMES = {"M": "men", "F": "women", "X": "non_binary"}


def _count_where(cond: exp.Expr) -> exp.Expr:
    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=cond))


def difference_query(b: Builder, sexes: tuple[str, str], limit: int) -> exp.Select:
    """The first sex's count, the second's, and the first minus the second."""
    first, second = (_count_where(col(R, "sex").eq(text(s))) for s in sexes)
    select = b.source(
        exp.select(
            alias(first.copy(), _NAMES[sexes[0]]),
            alias(second.copy(), _NAMES[sexes[1]]),
            alias(exp.Sub(this=first, expression=second), "difference"),
        )
    )
    conds = b.where()
    if conds:
        select = select.where(exp.and_(*conds, copy=False), copy=False)
    return select.limit(num(min(1, limit)), copy=False)

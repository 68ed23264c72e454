"""Compiling comparisons inside one population: "how many more men than women", "within
10 minutes of the winner".

The two counts and their difference come from one pass over the results (``count(*)
FILTER (WHERE ...)``), so both sides share every other condition of the question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from p88.nlq.nodes import RA, E, P, R, alias, col, interval, num, table, text, year_of

if TYPE_CHECKING:
    from p88.nlq.compile import Builder

__all__ = ["behind_winner", "both_query", "difference_query"]

_NAMES = {"M": "men", "F": "women", "X": "non_binary"}


def _count_where(cond: exp.Expr) -> exp.Expr:
    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=cond))


def difference_query(b: Builder, limit: int) -> exp.Select:
    """The first side's count (a sex, or a year), the second's, and the first minus the
    second."""
    sides: list[tuple[exp.Expr, str]]
    if b.frame.more_than is not None:
        sides = [(col(R, "sex").eq(text(s)), _NAMES[s]) for s in b.frame.more_than]
    else:
        b.need(E)
        years = b.frame.more_years or ()
        sides = [(year_of().eq(num(y)), f"in_{y}") for y in years]
    first, second = (_count_where(cond) for cond, _ in sides)
    select = b.source(
        exp.select(
            alias(exp.Sub(this=first.copy(), expression=second.copy()), "difference"),
            alias(first, sides[0][1]),
            alias(second, sides[1][1]),
        )
    )
    conds = b.where()
    if conds:
        select = select.where(exp.and_(*conds, copy=False), copy=False)
    return select.limit(num(min(1, limit)), copy=False)


def behind_winner(seconds: float, sex: str | None) -> exp.Expr:
    """Gun time at most ``seconds`` behind the winner of the same race (of ``sex`` when
    given): the winner's time is the race's fastest finishing gun time."""
    conds: list[exp.Expr] = [
        col("rw", "race_id").eq(col(R, "race_id")),
        col("rw", "status").eq(text("finished")),
    ]
    if sex:
        conds.append(col("rw", "sex").eq(text(sex)))
    winning = (
        exp.select(exp.Min(this=col("rw", "gun_time")))
        .from_(table("ct_results", "rw"))
        .where(exp.and_(*conds, copy=False), copy=False)
    )
    limit = exp.Add(this=exp.Subquery(this=winning), expression=interval(seconds))
    return exp.LTE(this=col(R, "gun_time"), expression=limit)


def both_query(b: Builder, limit: int) -> exp.Select:
    """People with a finish at each of two distances (or in each of two years) in the
    population: counted, or listed by name."""
    sides: list[exp.Expr]
    if b.frame.both_distances is not None:
        b.need(RA)
        sides = [col(RA, "distance_m").eq(num(d)) for d in b.frame.both_distances]
    else:
        b.need(E)
        sides = [year_of().eq(num(y)) for y in b.frame.years]
    at_each = [exp.GT(this=_count_where(side), expression=num(0)) for side in sides]
    inner = b.source(exp.select(col(R, "participant_id")))
    conds = b.where()
    if conds:
        inner = inner.where(exp.and_(*conds, copy=False), copy=False)
    inner = inner.group_by(col(R, "participant_id"), copy=False).having(
        exp.and_(*at_each, copy=False), copy=False
    )
    if b.frame.metric == "count":
        return (
            exp.select(alias(exp.Count(this=exp.Star()), "people"))
            .from_(inner.subquery("t"), copy=False)
            .limit(num(1), copy=False)
        )
    person = exp.column("participant_id", table="t")
    return (
        exp.select(
            alias(col(P, "first_name"), "first_name"), alias(col(P, "last_name"), "last_name")
        )
        .from_(inner.subquery("t"), copy=False)
        .join(table("ct_participants", P), on=col(P, "id").eq(person), copy=False)
        .order_by(col(P, "last_name"), col(P, "first_name"), col(P, "id"), copy=False)
        .limit(num(limit), copy=False)
    )

"""Compiling frames whose answer is rows of results rather than a figure: top N, lists,
personal bests of a runner, Boston qualifiers listed, and repeat runners (counted or
listed with how many results each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from p88.nlq.nodes import MEASURE_COLUMN, RA, E, P, R, alias, col, num, table

if TYPE_CHECKING:
    from p88.nlq.compile import Builder

__all__ = ["repeat_query", "rows_query"]


def rows_query(b: Builder, limit: int) -> exp.Select:
    """Rows of results (top N, lists, PRs), named and placed.

    The results are filtered, ordered and limited first, in a subquery that the results
    index serves; only those rows are then joined to participants, events and races, so a
    top 10 never hashes the whole participants table.
    """
    frame = b.frame
    measure_name = MEASURE_COLUMN[frame.measure]
    conds = b.where()
    if frame.metric == "bq":
        conds.append(b.qualified())
    keep = ["id", "participant_id", "event_id", "race_id", "sex", "age"]
    keep += ["overall_place", "sex_place", "age_group_place", measure_name]
    inner = b.source(exp.select(*(col(R, c) for c in dict.fromkeys(keep))))
    if conds:
        inner = inner.where(exp.and_(*conds, copy=False), copy=False)
    measure = b.measure()
    extreme = frame.metric == "top" and frame.measure == "age"
    if extreme:  # the oldest (youngest) runner: everyone at that age, not one of them
        agg = exp.Max if frame.slowest else exp.Min
        at = b.source(exp.select(agg(this=col(R, "age"))))
        if conds:
            at = at.where(exp.and_(*(c.copy() for c in conds), copy=False), copy=False)
        inner = inner.where(col(R, "age").eq(exp.Subquery(this=at)), copy=False)
    top_n = None if extreme else frame.top_n
    if frame.metric != "pr":
        order = [
            exp.Ordered(this=measure.copy(), desc=frame.slowest, nulls_first=False),
            exp.Ordered(this=col(R, "id")),
        ]
        top = min(top_n or limit, limit)
        inner = inner.order_by(*order, copy=False).limit(num(top), copy=False)
    fields: list[exp.Expr] = [
        alias(col(P, "first_name"), "first_name"),
        alias(col(P, "last_name"), "last_name"),
        alias(col(R, "sex"), "sex"),
        alias(col(R, "age"), "age"),
        alias(col(E, "name"), "event"),
        alias(col(E, "event_date"), "date"),
        alias(col(RA, "name"), "race"),
        alias(col(R, measure_name), measure_name),
    ]
    if frame.show_place:
        for place in ("age_group_place", "sex_place", "overall_place"):
            fields.insert(0, alias(col(R, place), place))
    elif frame.metric == "top":
        place = "sex_place" if frame.sex else "overall_place"
        fields.insert(0, alias(col(R, place), place))
    rank: exp.Expr | None = None
    if frame.metric == "pr":
        rank = exp.Window(
            this=exp.RowNumber(),
            partition_by=[col(R, "participant_id"), col(RA, "distance_m")],
            order=exp.Order(expressions=[exp.Ordered(this=measure.copy()), col(R, "id")]),
        )
        fields += [alias(col(RA, "distance_m"), "distance_m"), alias(rank, "n")]
    select = (
        exp.select(*fields)
        .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(R))))
        .join(table("ct_participants", P), on=col(P, "id").eq(col(R, "participant_id")))
        .join(table("ct_events", E), on=col(E, "id").eq(col(R, "event_id")))
        .join(table("ct_races", RA), on=col(RA, "id").eq(col(R, "race_id")))
    )
    if frame.metric == "pr":
        outer = [exp.column(a.alias) for a in fields if a.alias not in ("n", "distance_m")]
        return (
            exp.select(*outer)
            .from_(select.subquery("t"), copy=False)
            .where(exp.column("n").eq(num(1)), copy=False)
            .order_by(exp.column("distance_m", table="t"), exp.column("last_name"), copy=False)
            .limit(num(limit), copy=False)
        )
    order = [
        exp.Ordered(this=col(R, measure_name), desc=frame.slowest, nulls_first=False),
        exp.Ordered(this=col(R, "id")),
    ]
    return select.order_by(*order, copy=False).limit(num(min(top_n or limit, limit)))


def repeat_query(b: Builder, limit: int) -> exp.Select:
    """People with at least ``min_results`` results in the population: counted, or listed
    (with how many) most first."""
    inner = exp.select(col(R, "participant_id"), alias(exp.Count(this=exp.Star()), "results"))
    conds = b.where()
    inner = b.source(inner)
    if conds:
        inner = inner.where(exp.and_(*conds, copy=False), copy=False)
    inner = inner.group_by(col(R, "participant_id"), copy=False).having(
        exp.GTE(this=exp.Count(this=exp.Star()), expression=num(b.frame.min_results))
    )
    if b.frame.top_n is not None:
        t = exp.column
        return (
            exp.select(
                alias(col(P, "first_name"), "first_name"),
                alias(col(P, "last_name"), "last_name"),
                t("results", table="t"),
            )
            .from_(inner.subquery("t"), copy=False)
            .join(table("ct_participants", P), on=col(P, "id").eq(t("participant_id", table="t")))
            .order_by(
                exp.Ordered(this=t("results", table="t"), desc=True),
                col(P, "last_name"),
                col(P, "first_name"),
                col(P, "id"),
                copy=False,
            )
            .limit(num(min(b.frame.top_n, limit)), copy=False)
        )
    return (
        exp.select(alias(exp.Count(this=exp.Star()), "repeat_runners"))
        .from_(inner.subquery("t"), copy=False)
        .limit(num(1), copy=False)
    )

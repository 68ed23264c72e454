"""Compiling the frames that need more than one pass over the results: the top N within
each group, personal bests set at a race, and one person's improvement between two years.

Each is one SELECT over the same join graph as ``compile``; the extra passes are a window
(ROW_NUMBER over the group), correlated EXISTS over the person's earlier results, and a
self-join of results by person. Values enter only as literals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from p88.nlq.nodes import MEASURE_COLUMN, RA, E, P, R, alias, col, num, table, text, year_of

if TYPE_CHECKING:
    from p88.nlq.compile import Builder


def _and(conds: list[exp.Expr]) -> exp.Expr:
    return exp.and_(*conds, copy=False)


def top_per_group(b: Builder, limit: int) -> exp.Select:
    """The top N of every group (winners of each age group): ranked by gun time within
    the group, and within one race when the question names an event; an age group is a
    division only with a sex, so it is ranked per sex unless the question fixed one."""
    frame = b.frame
    groups = b.group_columns()
    partition: list[exp.Expr] = [g.copy() for g, _ in groups]
    names = [name for _, name in groups]
    if "age_group" in frame.group_by and not frame.sex and "sex" not in frame.group_by:
        partition.insert(0, col(R, "sex"))
        names.insert(0, "sex")
    if frame.series:
        partition.insert(0, col(R, "race_id"))
    measure = b.measure()
    name = MEASURE_COLUMN[frame.measure]
    order = exp.Order(
        expressions=[
            exp.Ordered(this=measure.copy(), desc=frame.slowest, nulls_first=False),
            exp.Ordered(this=col(R, "id")),
        ]
    )
    rank = exp.Window(this=exp.RowNumber(), partition_by=partition, order=order)
    fields: dict[str, exp.Expr] = {
        "participant_id": col(R, "participant_id"),
        "sex": col(R, "sex"),
        "age": col(R, "age"),
        "age_group": col(R, "age_group"),
        name: measure,
    }
    for g, gname in groups:
        fields.setdefault(gname, g)
    fields["place"] = rank
    conds = b.where()
    inner = b.source(exp.select(*(alias(v, k) for k, v in fields.items())))
    if conds:
        inner = inner.where(_and(conds), copy=False)
    t = "t"
    outer_fields: list[exp.Expr] = [exp.column(n, table=t) for n in dict.fromkeys(names)]
    outer_fields += [
        exp.column("place", table=t),
        alias(col(P, "first_name"), "first_name"),
        alias(col(P, "last_name"), "last_name"),
        exp.column("age", table=t),
        exp.column(name, table=t),
    ]
    return (
        exp.select(*outer_fields)
        .from_(inner.subquery(t), copy=False)
        .join(
            table("ct_participants", P), on=col(P, "id").eq(exp.column("participant_id", table=t))
        )
        .where(exp.LTE(this=exp.column("place", table=t), expression=num(frame.top_n or 1)))
        .order_by(*(exp.column(n, table=t) for n in dict.fromkeys(names)), "t.place", copy=False)
        .limit(num(limit), copy=False)
    )


def _earlier_select(
    select: exp.Expr, distance: int | None, extra: exp.Expr | None = None
) -> exp.Select:
    """``select`` over the same person's earlier finishes at the same distance (a literal
    when the question fixed one: the planner then uses it for every row)."""
    same = num(distance) if distance else col(RA, "distance_m")
    conds: list[exp.Expr] = [
        col("r2", "participant_id").eq(col(R, "participant_id")),
        col("ra2", "distance_m").eq(same),
        col("r2", "status").eq(text("finished")),
        exp.LT(this=col("e2", "event_date"), expression=col(E, "event_date")),
    ]
    if extra is not None:
        conds.append(extra)
    return (
        exp.select(select)
        .from_(table("ct_results", "r2"))
        .join(table("ct_races", "ra2"), on=col("ra2", "id").eq(col("r2", "race_id")))
        .join(table("ct_events", "e2"), on=col("e2", "id").eq(col("r2", "event_id")))
        .where(_and(conds))
    )


def earlier_finish(distance: int | None) -> exp.Exists:
    """EXISTS an earlier finish of the same person at the same distance."""
    return exp.Exists(this=_earlier_select(num(1), distance))


def personal_best(distance: int | None) -> exp.Expr:
    """Faster than the person's best earlier finish at the distance (NULL, so false, when
    there is none: a first race beats nothing)."""
    best = _earlier_select(exp.Min(this=col("r2", "chip_time")), distance)
    return exp.LT(this=col(R, "chip_time"), expression=exp.Subquery(this=best))


def _grouped(select: exp.Select, groups: list[tuple[exp.Expr, str]], limit: int) -> exp.Select:
    if groups:
        select = select.group_by(*(g.copy() for g, _ in groups), copy=False)
        select = select.order_by(*(exp.column(name) for _, name in groups), copy=False)
    return select.limit(num(limit if groups else 1), copy=False)


def pb_set_query(b: Builder, limit: int) -> exp.Select:
    """Results that were personal bests when run: faster (chip) than every earlier finish
    of the person at that distance, with at least one earlier finish to beat."""
    frame = b.frame
    b.need(RA)
    b.need(E)
    finished = col(R, "status").eq(text("finished"))
    if frame.bq_percent:  # the share of finishers who set one
        pb = personal_best(frame.distance)
        hits = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=pb))
        ratio = exp.Div(
            this=exp.Mul(this=num(100.0), expression=hits.copy()),
            expression=exp.Nullif(this=exp.Count(this=exp.Star()), expression=num(0)),
        )
        groups = b.group_columns()
        select = b.source(
            exp.select(
                *(alias(g, name) for g, name in groups),
                alias(exp.Round(this=ratio, decimals=num(1)), "percent"),
                alias(hits, "personal_bests"),
                alias(exp.Count(this=exp.Star()), "finishers"),
            )
        ).where(_and([*b.where(), finished]), copy=False)
        return _grouped(select, groups, limit)
    conds = [*b.where(), finished, personal_best(frame.distance)]
    if frame.top_n is None:
        groups = b.group_columns()
        counted = alias(exp.Count(this=exp.Star()), "personal_bests")
        select = b.source(exp.select(*(alias(g, name) for g, name in groups), counted))
        return _grouped(select.where(_and(conds), copy=False), groups, limit)
    b.need(P)
    fields = [
        alias(col(P, "first_name"), "first_name"),
        alias(col(P, "last_name"), "last_name"),
        alias(col(R, "sex"), "sex"),
        alias(col(R, "age"), "age"),
        alias(col(E, "name"), "event"),
        alias(col(E, "event_date"), "date"),
        alias(col(RA, "name"), "race"),
        alias(col(R, "chip_time"), "chip_time"),
    ]
    select = b.source(exp.select(*fields)).where(_and(conds), copy=False)
    order = [exp.Ordered(this=col(R, "chip_time")), exp.Ordered(this=col(R, "id"))]
    return select.order_by(*order, copy=False).limit(num(min(frame.top_n, limit)), copy=False)


def improved_query(b: Builder, limit: int) -> exp.Select:
    """People who finished the population in both years and were faster (chip) in the later:
    counted, or listed by improvement, most first."""
    frame = b.frame
    first, last = frame.years[0], frame.years[-1]
    b.need(RA)
    b.need(E)
    conds = [*b.where(), col(R, "status").eq(text("finished")), year_of().eq(num(last))]
    earlier: list[exp.Expr] = [
        col("a", "status").eq(text("finished")),
        year_of("ea").eq(num(first)),
        col("raa", "distance_m").eq(col(RA, "distance_m")),
        (exp.GT if frame.got_slower else exp.LT)(
            this=col(R, "chip_time"), expression=col("a", "chip_time")
        ),
    ]
    if b.race_ids is not None:
        earlier.append(col("a", "race_id").isin(*(num(i) for i in b.race_ids or [-1])))
    if frame.series:
        earlier.append(col("ea", "name").eq(col(E, "name")))
    people = exp.Count(this=exp.Distinct(expressions=[col(R, "participant_id")]))
    gain = exp.Sub(this=col("a", "chip_time"), expression=col(R, "chip_time"))
    if frame.got_slower:
        gain = exp.Sub(this=col(R, "chip_time"), expression=col("a", "chip_time"))
    fields = [alias(people, "slower" if frame.got_slower else "improved")]
    if frame.top_n is not None:
        b.need(P)
        fields = [
            alias(col(P, "first_name"), "first_name"),
            alias(col(P, "last_name"), "last_name"),
            alias(col("a", "chip_time"), f"chip_time_{first}"),
            alias(col(R, "chip_time"), f"chip_time_{last}"),
            alias(gain, "slowed_by" if frame.got_slower else "improvement"),
        ]
    select = (
        b.source(exp.select(*fields))
        .join(table("ct_results", "a"), on=col("a", "participant_id").eq(col(R, "participant_id")))
        .join(table("ct_events", "ea"), on=col("ea", "id").eq(col("a", "event_id")))
        .join(table("ct_races", "raa"), on=col("raa", "id").eq(col("a", "race_id")))
    )
    select = select.where(_and(conds + earlier), copy=False)
    if frame.top_n is None:
        return select.limit(num(1), copy=False)
    order = [exp.Ordered(this=gain.copy(), desc=True), exp.Ordered(this=col(R, "id"))]
    return select.order_by(*order, copy=False).limit(num(min(frame.top_n, limit)), copy=False)

"""Frame -> sqlglot expression tree over the fixed join graph, rendered as PostgreSQL.

The graph is partners -> events -> races -> results -> participants; every join goes from
results to one row of its parent (many-to-one), so no join can fan out and double count.
Event, year, distance, partner and place filters are resolved through the catalog into the
list of race ids they mean (``r.race_id IN (...)``), which the results index serves
directly. Values enter the tree only as ``exp.Literal`` nodes: nothing is pasted as text.
"""

from __future__ import annotations

from sqlglot import exp

from p88.nlq.compile_compare import behind_winner, both_query, difference_query
from p88.nlq.compile_events import events_query, reads_query
from p88.nlq.compile_rows import repeat_query, rows_query
from p88.nlq.compile_shapes import earlier_finish, improved_query, pb_set_query, top_per_group
from p88.nlq.frame import Frame
from p88.nlq.nodes import (
    BUCKET_S,
    MEASURE_COLUMN,
    OPS,
    RA,
    B,
    E,
    P,
    R,
    alias,
    col,
    interval,
    measure_of,
    num,
    table,
    text,
    year_of,
)
from p88.nlq.standards import standards_query

STARTED = ("finished", "DNF", "DQ")


class Builder:
    """Collects the joins and conditions one results query needs."""

    def __init__(self, frame: Frame, race_ids: list[int] | None) -> None:
        self.frame = frame
        self.race_ids = race_ids
        self.joins: list[str] = []

    def need(self, short: str) -> None:
        if short not in self.joins:
            self.joins.append(short)

    def measure(self) -> exp.Expr:
        return measure_of(self.frame.measure)

    def status_in_numerator(self) -> bool:
        """A share of DNFs (DNS, DQs) is out of every entry, not out of the DNFs."""
        return self.frame.metric == "percent" and self.frame.status in ("DNF", "DNS", "DQ")

    def population(self) -> list[exp.Expr]:
        """What a share is of, beyond its event, status and runner (see frame.py)."""
        f = self.frame
        who, conds = self.who(), self.conditions()
        return (who if f.who_in_population else []) + (conds if f.conds_in_population else [])

    def where(self, *, numerator: bool = True) -> list[exp.Expr]:
        f = self.frame
        conds: list[exp.Expr] = []
        if self.race_ids is not None:
            conds.append(
                col(R, "race_id").isin(*(num(i) for i in self.race_ids or [-1]), copy=False)
            )
        if f.status == "started":  # everyone who crossed the start: all but the DNS
            conds.append(col(R, "status").isin(*(text(s) for s in STARTED), copy=False))
        elif f.status != "entered" and not self.status_in_numerator():
            conds.append(col(R, "status").eq(text(f.status)))
        if f.participant_ids:
            conds.append(
                col(R, "participant_id").isin(*(num(i) for i in f.participant_ids), copy=False)
            )
        if numerator:
            conds.extend(self.who() + self.conditions())
        else:
            conds.extend(self.population())
        return conds

    def numerator(self) -> list[exp.Expr]:
        """The condition a share counts (the rest of the question is its population)."""
        f = self.frame
        conds: list[exp.Expr] = []
        if self.status_in_numerator():
            conds.append(col(R, "status").eq(text(f.status)))
        if f.share_finished:
            conds.append(col(R, "status").eq(text("finished")))
        if f.metric == "bq" and f.bq_percent:
            conds.append(self.qualified())
        if not f.who_in_population:
            conds.extend(self.who())
        if not f.conds_in_population:
            conds.extend(self.conditions())
        return conds

    def conditions(self) -> list[exp.Expr]:
        conds: list[exp.Expr] = [
            OPS[c.op](this=measure_of(c.measure), expression=interval(c.seconds))
            for c in self.frame.conditions
        ]
        if self.frame.behind_winner is not None:
            conds.append(behind_winner(self.frame.behind_winner, self.frame.winner_sex))
        return conds

    def who(self) -> list[exp.Expr]:
        f = self.frame
        conds: list[exp.Expr] = []
        if f.sex:
            conds.append(col(R, "sex").eq(text(f.sex)))
        if f.age_min is not None:
            conds.append(exp.GTE(this=col(R, "age"), expression=num(f.age_min)))
        if f.age_max is not None:
            conds.append(exp.LTE(this=col(R, "age"), expression=num(f.age_max)))
        home: list[exp.Expr] = []
        if f.home_state:
            same_state = exp.column("state").eq(text(f.home_state))
            home.append(
                exp.NEQ(this=exp.column("state"), expression=text(f.home_state))
                if f.home_state_not
                else same_state
            )
        if f.home_city:
            home.append(exp.column("city").eq(text(f.home_city)))
        if home:
            people = exp.select("id").from_(exp.table_("ct_participants"), copy=False)
            conds.append(
                col(R, "participant_id").isin(
                    query=people.where(exp.and_(*home, copy=False), copy=False), copy=False
                )
            )
        if f.out_of_state is not None:
            self.need(E)
            self.need(P)
            same = col(P, "state").eq(col(E, "state"))
            conds.append(exp.Not(this=exp.Paren(this=same)) if f.out_of_state else same)
        if f.debut:
            self.need(RA)
            self.need(E)
            conds.append(exp.Not(this=earlier_finish(f.distance)))
        return conds

    def qualified(self) -> exp.Expr:
        """Chip time at or under the Boston standard (less a margin, when one was asked)."""
        standard: exp.Expr = col(B, "standard")
        margin = self.frame.bq_margin
        if margin is None:
            return exp.LTE(this=col(R, "chip_time"), expression=standard)
        op, seconds = margin
        standard = exp.Sub(this=standard, expression=interval(seconds))
        cls = exp.LT if op == ">" else exp.LTE
        return cls(this=col(R, "chip_time"), expression=standard)

    def group_columns(self) -> list[tuple[exp.Expr, str]]:
        out: list[tuple[exp.Expr, str]] = []
        for g in self.frame.group_by:
            if g == "sex":
                out.append((col(R, "sex"), "sex"))
            elif g == "age_group":
                out.append((col(R, "age_group"), "age_group"))
            elif g == "year":
                self.need(E)
                out.append((year_of(), "year"))
            elif g == "event":
                self.need(E)
                out.append((col(E, "name"), "event"))
            elif g == "state":
                self.need(P)
                out.append((col(P, "state"), "state"))
            elif g == "distance":
                self.need(RA)
                out.append((col(RA, "name"), "race"))
        return out

    def source(self, select: exp.Select) -> exp.Select:
        select = select.from_(table("ct_results", R), copy=False)
        targets = {
            RA: ("ct_races", col(RA, "id").eq(col(R, "race_id"))),
            E: ("ct_events", col(E, "id").eq(col(R, "event_id"))),
            P: ("ct_participants", col(P, "id").eq(col(R, "participant_id"))),
        }
        for short in (RA, E, P):
            if short in self.joins:
                name, on = targets[short]
                select = select.join(table(name, short), on=on, copy=False)
        if B in self.joins:
            kind = "LEFT" if self.frame.bq_percent else None
            select = select.join(table("bq_standards", B), on=bq_join(), join_type=kind, copy=False)
        return select


def boston_offset() -> exp.Expr:
    """Years from a race to the Boston Marathon it qualifies for: the B.A.A. window for
    Boston Y opens in September of Y-2, so a race from September on counts two years on."""
    month = exp.Extract(this=exp.var("MONTH"), expression=col(E, "event_date"))
    return exp.Case(ifs=[exp.If(this=exp.GTE(this=month, expression=num(9)), true=num(2))],
                    default=num(1))  # fmt: skip


def bq_join() -> exp.Expr:
    """The standard of the race's Boston year, by sex and age on Boston race day."""
    division = exp.Case(
        ifs=[exp.If(this=col(R, "sex").eq(text("M")), true=text("M"))], default=text("F")
    )
    age_then = exp.Add(this=col(R, "age"), expression=boston_offset())
    return exp.and_(
        col(B, "boston_year").eq(exp.Add(this=year_of(), expression=boston_offset())),
        col(B, "sex").eq(division),
        exp.Between(this=age_then, low=col(B, "age_min"), high=col(B, "age_max")),
    )


def compile_frame(frame: Frame, race_ids: list[int] | None, limit: int = 100) -> exp.Select:
    """The SELECT that answers ``frame``; ``race_ids`` is the catalog's resolution of its
    event/year/distance/partner filters (None: no such filter)."""
    if frame.subject == "reads":
        return reads_query(frame, limit)
    if frame.subject == "events":
        return events_query(frame, limit)
    if frame.subject == "standards":
        return standards_query(frame, limit)
    b = Builder(frame, race_ids)
    m = frame.metric
    if m == "bq":
        b.need(E)
        b.need(B)
    if frame.both_distances is not None or frame.both_years:
        return both_query(b, limit)
    if m == "top" and frame.group_by:
        return top_per_group(b, limit)
    if m == "pb_set":
        return pb_set_query(b, limit)
    if m == "improved":
        return improved_query(b, limit)
    if m in ("list", "top", "pr") or (m == "bq" and frame.top_n is not None):
        return rows_query(b, limit)
    if m == "repeat":
        return repeat_query(b, limit)
    if frame.more_than is not None or frame.more_years is not None:
        return difference_query(b, limit)
    groups = b.group_columns()
    selects: list[exp.Expr] = [alias(g, name) for g, name in groups]
    conds = b.where(numerator=m != "percent" and not frame.bq_percent)
    if m == "bq" and not frame.bq_percent:
        conds.append(b.qualified())
    measure = b.measure()
    value: exp.Expr = exp.Count(this=exp.Star())
    if m in ("count", "bq") and not frame.bq_percent:
        counted = (
            exp.Count(this=exp.Distinct(expressions=[col(R, "participant_id")]))
            if frame.people
            else exp.Count(this=exp.Star())
        )
        name = "people" if frame.people else ("qualifiers" if m == "bq" else "results")
        selects.append(alias(counted, name))
        value = counted
    elif (m == "percent" and not frame.bq_percent) and groups and not b.numerator():
        # "percentage of finishers by age group": each group's share of them all
        total = exp.Window(this=exp.Sum(this=exp.Count(this=exp.Star())))
        ratio = exp.Div(
            this=exp.Mul(this=num(100.0), expression=exp.Count(this=exp.Star())),
            expression=total,
        )
        value = exp.Round(this=ratio, decimals=num(1))
        selects += [alias(value.copy(), "percent"), alias(exp.Count(this=exp.Star()), "results")]
    elif m == "percent" or frame.bq_percent:
        num_cond = exp.and_(*b.numerator(), copy=False) if b.numerator() else exp.true()
        matching = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=num_cond))
        ratio = exp.Div(
            this=exp.Mul(this=num(100.0), expression=matching.copy()),
            expression=exp.Nullif(this=exp.Count(this=exp.Star()), expression=num(0)),
        )
        value = exp.Round(this=ratio, decimals=num(1))
        selects += [
            alias(value.copy(), "percent"),
            alias(matching, "matching"),
            alias(exp.Count(this=exp.Star()), "total"),
        ]
    elif m == "distribution":
        width = BUCKET_S.get(frame.distance or 0, 600)
        epoch = exp.Extract(this=exp.var("EPOCH"), expression=measure)
        bucket = exp.Mul(
            this=exp.Floor(this=exp.Div(this=epoch, expression=num(width))),
            expression=interval(width),
        )
        selects = [alias(bucket, "from_time"), alias(exp.Count(this=exp.Star()), "results")]
        groups = [(bucket, "from_time")]
    elif m == "percentile":
        for p in frame.percentiles:
            pct = exp.WithinGroup(
                this=exp.PercentileCont(this=num(p)), expression=exp.Order(expressions=[measure])
            )
            selects.append(alias(pct, f"p{round(p * 100)}_{MEASURE_COLUMN[frame.measure]}"))
            value = pct
        selects.append(alias(exp.Count(this=exp.Star()), "results"))
    else:
        agg: exp.Expr
        if m == "avg":
            agg = exp.Avg(this=measure)
        elif m == "median":
            agg = exp.WithinGroup(
                this=exp.PercentileCont(this=num(0.5)), expression=exp.Order(expressions=[measure])
            )
        elif m == "min":
            agg = exp.Min(this=measure)
        elif m == "stddev":  # PostgreSQL has no stddev(interval): over seconds, back
            seconds = exp.Extract(this=exp.var("EPOCH"), expression=measure)
            agg = exp.Mul(this=exp.Stddev(this=seconds), expression=interval(1))
        else:
            agg = exp.Max(this=measure)
        selects.append(alias(agg, f"{m}_{MEASURE_COLUMN[frame.measure]}"))
        selects.append(alias(exp.Count(this=exp.Star()), "results"))
        value = agg
    select = b.source(exp.select(*selects))
    if conds:
        select = select.where(exp.and_(*conds, copy=False), copy=False)
    if groups:
        select = select.group_by(*(g for g, _ in groups), copy=False)
        if frame.min_group:
            size = exp.GTE(this=exp.Count(this=exp.Star()), expression=num(frame.min_group))
            select = select.having(size, copy=False)
        order: list[exp.Expr] = [exp.column(name) for _, name in groups]
        if frame.ranked_by is not None:
            desc = frame.rank_desc
            if desc is None:  # "rank by": counts and shares most first, times fastest first
                desc = m in ("count", "bq", "percent") or frame.bq_percent
            ranked = exp.Ordered(this=value.copy(), desc=desc, nulls_first=False)
            if frame.rank_limit:
                return _top_groups(select, selects, ranked, frame.rank_limit, limit)
            order = [ranked, *order]
        select = select.order_by(*order, copy=False)
    return select.limit(num(limit), copy=False)


def _top_groups(
    grouped: exp.Select, selects: list[exp.Expr], ranked: exp.Ordered, n: int, limit: int
) -> exp.Select:
    """The first ``n`` groups by the measure, ties included (two states with the same
    count both are "the state with the most")."""
    rank = exp.Window(this=exp.Rank(), order=exp.Order(expressions=[ranked]))
    inner = grouped.select(alias(rank, "rank"), copy=False)
    names = [s.alias for s in selects]
    return (
        exp.select(*(exp.column(name, table="t") for name in names))
        .from_(inner.subquery("t"), copy=False)
        .where(exp.LTE(this=exp.column("rank", table="t"), expression=num(n)), copy=False)
        .order_by(exp.column("rank", table="t"), *(exp.column(nm, table="t") for nm in names[:1]))
        .limit(num(limit), copy=False)
    )


def render(tree: exp.Expr, *, pretty: bool = False) -> str:
    return tree.sql(dialect="postgres", pretty=pretty, copy=False)

"""Compiling frames about events and live reads (not results): one table each.

Events: ``ct_events`` filtered to the ids the catalog resolved. Reads: ``timing_reads``
by session, location and recency, counted (reads, distinct tags, latest) or listed.
"""

from __future__ import annotations

from sqlglot import exp

from p88.nlq.frame import Frame
from p88.nlq.nodes import E, T, alias, col, interval, num, table, text


def events_query(frame: Frame, limit: int) -> exp.Select:
    conds: list[exp.Expr] = []
    if frame.event_ids:
        conds.append(col(E, "id").isin(*(num(i) for i in frame.event_ids), copy=False))
    if frame.metric == "count":
        select = exp.select(alias(exp.Count(this=exp.Star()), "events"))
        select = select.from_(table("ct_events", E), copy=False)
        if conds:
            select = select.where(exp.and_(*conds, copy=False), copy=False)
        return select.limit(num(1), copy=False)
    select = exp.select(
        alias(col(E, "name"), "event"),
        alias(col(E, "event_date"), "date"),
        alias(col(E, "city"), "city"),
        alias(col(E, "state"), "state"),
    ).from_(table("ct_events", E), copy=False)
    if conds:
        select = select.where(exp.and_(*conds, copy=False), copy=False)
    select = select.order_by(col(E, "event_date"), col(E, "id"), copy=False)
    return select.limit(num(limit), copy=False)


def reads_query(frame: Frame, limit: int) -> exp.Select:
    conds: list[exp.Expr] = []
    if frame.session_id is not None:
        conds.append(col(T, "session_id").eq(num(frame.session_id)))
    if frame.location:
        conds.append(col(T, "location_name").eq(text(frame.location)))
    if frame.minutes_back is not None:
        now = exp.cast(exp.CurrentTimestamp(), exp.DataType.build("timestamp"))
        since = exp.Sub(this=now, expression=interval(frame.minutes_back * 60))
        conds.append(exp.GTE(this=col(T, "read_timestamp"), expression=since))
    source = table("timing_reads", T)
    if frame.metric == "list":
        select = exp.select(
            *(col(T, c) for c in ("read_timestamp", "location_name", "tag_code", "reader_id"))
        ).from_(source, copy=False)
        select = select.where(exp.and_(*conds, copy=False), copy=False) if conds else select
        order = exp.Ordered(this=col(T, "read_timestamp"), desc=True)
        select = select.order_by(order, exp.Ordered(this=col(T, "id"), desc=True), copy=False)
        return select.limit(num(min(frame.top_n or limit, limit)), copy=False)
    fields: list[exp.Expr] = []
    if "location" in frame.group_by:
        fields.append(alias(col(T, "location_name"), "location"))
    reads = alias(exp.Count(this=exp.Star()), "reads")
    tags = alias(exp.Count(this=exp.Distinct(expressions=[col(T, "tag_code")])), "tags")
    # the figure asked about first: "how many tags crossed" is distinct tags, not reads
    fields += [tags, reads] if frame.unique_tags else [reads, tags]
    fields.append(alias(exp.Max(this=col(T, "read_timestamp")), "latest_read"))
    select = exp.select(*fields).from_(source, copy=False)
    select = select.where(exp.and_(*conds, copy=False), copy=False) if conds else select
    if "location" in frame.group_by:
        select = select.group_by(col(T, "location_name"), copy=False)
        select = select.order_by(exp.column("location"), copy=False)
    return select.limit(num(limit), copy=False)

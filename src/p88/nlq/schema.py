"""p88's schema as ``p88 ask`` may see it: the allow-list and the tenant filters.

Pinned here, not read from the database, so a table added by a later migration is
invisible to questions until someone decides it should be. Columns a question never needs
and a tenant must not see (``ct_participants.email``, raw bytes, client addresses) are
left out; the guard refuses them by name, projects every table reference to its allowed
columns, and ``p88_ask`` is granted only those columns (``p88.nlq.grants``). Every table
that holds a partner's rows has a filter: with a partner set, each reference becomes
``(SELECT <allowed columns> FROM t WHERE <filter>)``.
"""

from __future__ import annotations

from sqlglot import exp

from p88.nlq.guard import Policy, TenantFilter

SCHEMA = "public"

TABLES: dict[str, frozenset[str]] = {
    "timing_partners": frozenset({"id", "name", "code", "city", "state", "country"}),
    "ct_events": frozenset(
        {"id", "partner_id", "name", "event_date", "city", "state", "country", "external_id"}
    ),
    "ct_races": frozenset(
        {"id", "partner_id", "event_id", "name", "distance_m", "start_time", "place_by"}
        | {"session_id"}
    ),
    "ct_race_waves": frozenset({"race_id", "event_id", "partner_id", "wave", "start_time"}),
    "ct_participants": frozenset(
        {"id", "first_name", "last_name", "sex", "birth_year", "city", "state", "country"}
    ),
    "ct_results": frozenset(
        {"id", "partner_id", "event_id", "race_id", "participant_id", "bib", "tag_code"}
        | {"wave", "sex", "age", "age_group", "start_time", "finish_time", "chip_time"}
        | {"gun_time", "pace", "status", "overall_place", "sex_place", "age_group_place"}
        | {"masters_place", "age_graded_time", "age_grade"}
    ),
    "ct_splits": frozenset(
        {"result_id", "race_id", "partner_id", "point", "distance_m", "crossing_time", "elapsed"}
    ),
    "bq_standards": frozenset({"boston_year", "sex", "age_min", "age_max", "standard"}),
    "timing_sessions": frozenset(
        {"id", "session_name", "event_name", "start_time", "end_time", "status", "session_date"}
        | {"partner_id"}
    ),
    "timing_locations": frozenset({"id", "session_id", "location_name", "description"}),
    "timing_reads": frozenset(
        {"id", "session_id", "location_id", "location_name", "tag_code", "read_time"}
        | {"read_date", "read_timestamp", "lap_count", "reader_id", "gator_number"}
    ),
}

# Columns the tables have that the allow-list leaves out (the guard names them when it
# refuses one; a test checks TABLES and HIDDEN together list every column of the database).
HIDDEN: dict[str, tuple[str, ...]] = {
    "ct_participants": ("email", "external_id", "birth_date", "created_at"),
    "timing_partners": ("is_demo", "created_at"),
    "timing_reads": ("raw_data", "connection_id", "sequence_number", "received_at")
    + ("processed_at",),
    "timing_sessions": ("event_id", "event_description", "timezone", "created_at")
    + ("updated_at",),
    "timing_locations": ("reader_id", "created_at"),
    "ct_events": ("created_at",),
    "ct_races": ("external_id", "created_at", "official_at", "official_by", "official_open"),
    "ct_results": ("source", "note", "updated_at", "entry_fields"),
    "ct_splits": ("read_id",),
}


def _own(partner_id: int) -> exp.Expr:
    return exp.column("partner_id").eq(exp.Literal.number(partner_id))


def _in_select(column: str, table: str, key: str, where: exp.Expr) -> exp.Expr:
    inner = exp.select(key).from_(exp.table_(table, db=SCHEMA)).where(where)
    return exp.column(column).isin(inner)


def _sessions_of(partner_id: int) -> exp.Expr:
    return _in_select("session_id", "timing_sessions", "id", _own(partner_id))


TENANT_FILTERS: dict[str, TenantFilter] = {
    "timing_partners": lambda p: exp.column("id").eq(exp.Literal.number(p)),
    "ct_events": _own,
    "ct_races": _own,
    "ct_race_waves": _own,
    "ct_results": _own,
    "ct_splits": _own,
    "timing_sessions": _own,
    "ct_participants": lambda p: _in_select("id", "ct_results", "participant_id", _own(p)),
    "timing_locations": _sessions_of,
    "timing_reads": _sessions_of,
}

POLICY = Policy(
    tables=TABLES,
    tenant_filters=TENANT_FILTERS,
    schema=SCHEMA,
    hidden=HIDDEN,
)

"""Small builders of sqlglot nodes the compiler uses: columns, literals, intervals.

Values from a question enter a tree only through ``num`` and ``text`` (``exp.Literal``),
never as SQL text.
"""

from __future__ import annotations

from sqlglot import exp

from p88.units import KM_M, MILE_M, STANDARD_DISTANCES, elapsed_text, whole_metres

R, RA, E, P, B, T = "r", "ra", "e", "p", "b", "tr"
MEASURE_COLUMN = {
    "chip": "chip_time", "gun": "gun_time", "pace": "pace", "pace_km": "pace_per_km",
    "gap": "gun_minus_chip", "age": "age",
}  # fmt: skip
KM_PER_MILE = MILE_M / KM_M  # a pace per mile over this is the pace per km
BUCKET_S = dict(zip(map(whole_metres, STANDARD_DISTANCES), (1800, 900, 300, 300), strict=True))
OPS = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


def col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def measure_of(measure: str) -> exp.Expr:
    """The value a measure names, per result: a column, or a column computed from two."""
    if measure == "pace_km":
        return exp.Div(this=col(R, "pace"), expression=num(KM_PER_MILE), typed=True)
    if measure == "gap":
        return exp.Paren(this=exp.Sub(this=col(R, "gun_time"), expression=col(R, "chip_time")))
    return col(R, {"chip": "chip_time", "gun": "gun_time", "pace": "pace"}.get(measure, measure))


def num(value: float) -> exp.Expr:
    return exp.Literal.number(int(value) if float(value).is_integer() else value)


def text(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def interval(seconds: float) -> exp.Expr:
    """``CAST('3:30:00' AS INTERVAL)``: the duration as ``p88.units`` writes it."""
    body = elapsed_text(seconds, trim=True)
    return exp.cast(text(body), exp.DataType.build("interval"), copy=False)


def alias(node: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(node, name, copy=False)


def year_of(table: str = E) -> exp.Expr:
    year = exp.Extract(this=exp.var("YEAR"), expression=col(table, "event_date"))
    return exp.cast(year, exp.DataType.build("int"), copy=False)


def table(name: str, short: str) -> exp.Table:
    return exp.table_(name, alias=short)

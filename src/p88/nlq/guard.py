"""The guard: every SQL that reaches the database passes here, whatever produced it.

``guard(sql, policy, partner_id=...)`` parses the text with sqlglot, refuses anything that
could write, leak or run away, rewrites what must be rewritten (tenant filters, a LIMIT,
schema-qualified table names) and returns ``Guarded``, whose ``sql`` is re-emitted from
the checked tree: the input text itself is never executed.

Each refusal is a ``RefusedError`` whose ``rule`` is one of ``RULES``. The sqlglot traps
this closes, and how:

* ``parse_one`` takes ``SELECT 1; DROP ...`` as one block: ``parse`` and exactly one statement.
* a data-modifying CTE hides under a SELECT root: the whole tree is walked for DML, DDL,
  commands, COPY, SET, ``SELECT INTO`` and row locks.
* ``find_all(Table)`` mixes CTE names with tables: a table reference is resolved against
  the CTEs visible from where it stands; every other one must be an allow-listed table of
  p88's schema (never ``pg_catalog`` or ``information_schema``).
* ``pg_sleep``, ``dblink``, ``set_config`` parse as ``Anonymous`` functions: function node
  classes are allow-listed, and ``Anonymous`` never is.
* ``LIMIT ALL``/``NULL``/``(subquery)`` remove a cap: every LIMIT must be a literal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.schema import MappingSchema

from p88.nlq.guard_lists import ALLOWED_FUNCTIONS, ALLOWED_TYPES, FORBIDDEN_NODES, RULES, refuse
from p88.nlq.guard_scope import allowed_schema, check_columns

__all__ = ["RULES", "Guarded", "Policy", "TenantFilter", "guard", "refuse", "visible_ctes"]

TenantFilter = Callable[[int], exp.Expr]
"""Builds the condition, over a table's own unqualified columns, that keeps one partner's rows."""


@dataclass(frozen=True)
class Policy:
    """What the guard allows: tables (with their allowed columns), tenant filters and caps.

    ``hidden`` names, per table, the columns the table has that ``tables`` leaves out; it
    only words the refusal ("column email of ct_participants is hidden"): a column is
    refused whenever it is not in ``tables``, listed in ``hidden`` or not.
    """

    tables: Mapping[str, frozenset[str]]
    tenant_filters: Mapping[str, TenantFilter] = field(default_factory=dict)
    schema: str = "public"
    hidden: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_limit: int = 1000
    default_limit: int = 100
    max_tables: int = 12

    @functools.cached_property
    def sqlglot_schema(self) -> MappingSchema:
        """The allow-list as sqlglot's schema (built once per policy)."""
        return allowed_schema(self.tables, self.schema)


@dataclass(frozen=True)
class Guarded:
    """SQL that passed the guard: re-emitted from the checked tree."""

    sql: str
    tables: frozenset[str]
    partner_id: int | None
    limit: int


def guard(sql: str, policy: Policy, *, partner_id: int | None = None) -> Guarded:
    """Check ``sql`` against ``policy`` and return the SQL that may run, or raise."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise refuse("parse", first[:200]) from None
    if len(statements) != 1:
        raise refuse("one-statement", f"found {len(statements)} statements")
    root = statements[0]
    while isinstance(root, (exp.Subquery, exp.Paren)) and not root.alias:
        root = root.this
    _check_forbidden(root)
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise refuse("select-only", f"the statement is {type(root).__name__.upper()}")
    _check_functions_and_types(root)
    tables = _check_tables(root, policy)
    check_columns(root, policy)
    _check_joins(root)
    limit = _check_limits(root, policy)
    _rewrite_tables(root, policy, partner_id)
    text = root.sql(dialect="postgres", comments=False, copy=False)
    return Guarded(sql=text, tables=frozenset(tables), partner_id=partner_id, limit=limit)


def _check_forbidden(root: exp.Expr) -> None:
    for node in root.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise refuse("read-only", f"{type(node).__name__.upper()} is not allowed")
        if isinstance(node, exp.Select) and node.args.get("into"):
            raise refuse("read-only", "SELECT INTO writes a table")
        if isinstance(node, (exp.Placeholder, exp.Parameter)):
            raise refuse("parameters", node.sql(dialect="postgres"))
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise refuse("recursive", "WITH RECURSIVE can run without end")


def _check_functions_and_types(root: exp.Expr) -> None:
    for node in root.walk():
        if isinstance(node, exp.Func) and not isinstance(node, ALLOWED_FUNCTIONS):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            raise refuse("functions", f"function {name.lower()}() is not allowed")
        if isinstance(node, exp.DataType) and node.this not in ALLOWED_TYPES:
            raise refuse("types", f"type {node.sql(dialect='postgres')} is not allowed")


def visible_ctes(table: exp.Table) -> set[str]:
    """Names of the CTEs a table reference can see from where it stands in the tree."""
    names: set[str] = set()
    prev: exp.Expr = table
    node: exp.Expr | None
    node = table.parent
    while node is not None:
        if isinstance(node, exp.With):
            index = next((i for i, cte in enumerate(node.expressions) if cte is prev), 0)
            names.update(cte.alias_or_name for cte in node.expressions[:index])
        else:
            with_ = node.args.get("with_")
            if isinstance(with_, exp.With) and with_ is not prev:
                names.update(cte.alias_or_name for cte in with_.expressions)
        prev, node = node, node.parent
    return names


def _table_name(table: exp.Table) -> str:
    ident = table.this
    if not isinstance(ident, exp.Identifier):
        raise refuse("tables", f"{table.sql(dialect='postgres')} is not a table")
    text = str(ident.this)
    return text if ident.quoted else text.lower()


def _check_tables(root: exp.Expr, policy: Policy) -> set[str]:
    used: set[str] = set()
    count = 0
    for table in list(root.find_all(exp.Table)):
        name = _table_name(table)
        extra = [k for k, v in table.args.items() if v and k not in ("this", "db", "alias")]
        if extra:
            raise refuse("tables", f"table clause {extra[0]!r} on {name} is not allowed")
        schema = table.text("db")
        if not schema and name in visible_ctes(table):
            continue
        alias = table.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.columns:
            raise refuse("columns", f"a column list on {name} renames its columns by position")
        if schema and schema.lower() != policy.schema:
            raise refuse("tables", f"{schema}.{name} is outside p88's schema")
        if name not in policy.tables:
            raise refuse("tables", f"table {name} is not allowed")
        count += 1
        used.add(name)
        table.set("db", exp.to_identifier(policy.schema))
        table.set("this", exp.to_identifier(name))
    if count > policy.max_tables:
        raise refuse("size", f"{count} table references (at most {policy.max_tables})")
    return used


def _check_joins(root: exp.Expr) -> None:
    for join in root.find_all(exp.Join):
        if join.args.get("method") or not (join.args.get("on") or join.args.get("using")):
            if isinstance(join.this, exp.Lateral) or isinstance(join.this, exp.Unnest):
                raise refuse("cross-join", "LATERAL and UNNEST joins are not allowed")
            raise refuse("cross-join", f"join to {join.this.sql(dialect='postgres')} has no ON")


def _literal_int(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def _check_limits(root: exp.Query, policy: Policy) -> int:
    if root.find(exp.Fetch) is not None:
        raise refuse("limit", "FETCH FIRST is not allowed; use LIMIT n")
    for node in list(root.find_all(exp.Limit, exp.Offset)):
        if _literal_int(node.expression) is None:
            what = "LIMIT" if isinstance(node, exp.Limit) else "OFFSET"
            raise refuse("limit", f"{what} {node.expression.sql(dialect='postgres')}")
    limit = root.args.get("limit")
    if limit is None:
        root.set("limit", exp.Limit(expression=exp.Literal.number(policy.default_limit)))
        return policy.default_limit
    value = _literal_int(limit.expression)
    assert value is not None
    if value > policy.max_limit:
        raise refuse("limit", f"LIMIT {value} is above {policy.max_limit}")
    return value


def _rewrite_tables(root: exp.Expr, policy: Policy, partner_id: int | None) -> None:
    """Replace every table reference by a subquery of its allowed columns, tenant-filtered
    when a partner is set: ``ct_participants p`` becomes ``(SELECT birth_year, city, ...
    FROM public.ct_participants WHERE id IN (...)) AS p``.

    The column check resolved names against the allowed columns only; with every table
    projected the same way, PostgreSQL's own resolution (a ``*``, a correlated name, a
    ``USING``) cannot find another column either. PostgreSQL pulls such simple subqueries
    up into the outer query, so the plan is the same. Runs after every check, over every
    scope and UNION branch; the subqueries it inserts are built here and never revisited.
    """
    for column in root.find_all(exp.Column):  # public.t.c: t is now the subquery's alias
        column.set("db", None)
        column.set("catalog", None)
    for table in list(root.find_all(exp.Table)):
        name = _table_name(table)
        if not table.text("db"):
            continue  # a CTE reference
        tenant = policy.tenant_filters.get(name) if partner_id is not None else None
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name))
        inner = exp.Table(this=exp.to_identifier(name), db=exp.to_identifier(policy.schema))
        columns = [exp.column(c) for c in sorted(policy.tables[name])]
        select = exp.Select(expressions=columns, from_=exp.From(this=inner))
        if tenant is not None and partner_id is not None:
            select.set("where", exp.Where(this=tenant(partner_id)))
        table.replace(exp.Subquery(this=select, alias=alias))

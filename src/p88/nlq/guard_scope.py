"""The guard's column rule, applied per scope: every column a query reads resolves to an
allow-listed column of one table, through every alias, CTE, subquery and join.

Checking one set of names over the whole query (the old rule) let an alias vouch for a
hidden column: ``SELECT p.email AS email FROM ct_participants p`` passed because *some*
``email`` was defined. Here sqlglot's ``qualify`` resolves each column to its source in
its own scope (CTE column lists, derived tables, ``*``/``t.*`` expansion, ``USING``,
LATERAL, correlated subqueries, ORDER BY/GROUP BY ordinals and aliases) against a schema
that holds **only the allowed columns**, and then each resolved column is checked against
the table (or the derived table's outputs) it resolved to:

* a column of a p88 table must be one of that table's allowed columns (a hidden one is
  refused by name: ``column email of ct_participants is hidden``);
* a column of a CTE or derived table must be one of its outputs, which were themselves
  checked in their own scope;
* whole-row references (``SELECT p``, ``concat(p)``, ``(p).email``), ``t.*`` or ``*``
  anywhere but the select list (where it is expanded to the allowed columns) or
  ``count(*)``, and a column that resolves nowhere are refused.

The check runs on a copy: the emitted SQL keeps the query's own column names, and the
guard then replaces every table reference by a projection of its allowed columns
(``guard._rewrite_tables``), so PostgreSQL's own name resolution can only find the
columns this check resolved against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.qualify_columns import validate_qualify_columns
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from p88.nlq.guard_lists import refuse

if TYPE_CHECKING:
    from p88.nlq.guard import Policy


def allowed_schema(tables: Mapping[str, frozenset[str]], schema: str) -> MappingSchema:
    """The sqlglot schema of the allow-list: the only columns ``qualify`` may resolve to."""
    mapping: dict[str, object] = {
        schema: {t: dict.fromkeys(sorted(cols), "text") for t, cols in tables.items()}
    }
    return MappingSchema(mapping, dialect="postgres")


def check_columns(root: exp.Query, policy: Policy) -> None:
    """Refuse (rule ``columns``) any column ``root`` reads that is not allow-listed where it
    resolves. ``root``'s tables must already carry p88's schema name (``_check_tables``)."""
    _refuse_row_references(root)
    tree = root.copy()
    try:
        qualify(
            tree,
            schema=policy.sqlglot_schema,
            db=policy.schema,
            dialect="postgres",
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
    except OptimizeError as exc:
        raise refuse("columns", _describe(exc, root, policy)) from None
    except SqlglotError as exc:
        raise refuse("parse", _first_line(exc)) from None
    _refuse_row_references(tree)  # qualify turns a bare source name into a TableColumn
    checked: set[int] = set()
    for scope in traverse_scope(tree):
        for column in scope.columns:
            checked.add(id(column))
            _check_column(column, scope, policy)
    for node in tree.walk():
        if isinstance(node, exp.Star) and not isinstance(node.parent, (exp.Column, exp.Count)):
            raise refuse("columns", "* is allowed only in the select list and in count(*)")
        if isinstance(node, exp.Column) and id(node) not in checked:
            if not _is_output_reference(node):
                raise refuse("columns", f"column {node.sql(dialect='postgres')} is not known")
    try:
        validate_qualify_columns(tree)
    except OptimizeError as exc:  # a case the walk above did not name: still refused
        raise refuse("columns", _describe(exc, root, policy)) from None


def _refuse_row_references(tree: exp.Expr) -> None:
    for node in tree.walk():
        if isinstance(node, exp.TableColumn):
            raise refuse("columns", f"whole-row reference {node.name} is not allowed")
        if isinstance(node, exp.Dot):
            raise refuse("columns", f"field access {node.sql(dialect='postgres')} is not allowed")


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _describe(exc: OptimizeError, root: exp.Expr, policy: Policy) -> str:
    """sqlglot's reason, naming the hidden column when one of the query's is."""
    reason = _first_line(exc)
    tables = [t.name for t in root.find_all(exp.Table)]
    for column in root.find_all(exp.Column):
        hidden = _hidden_in(column.name, tables, policy)
        if hidden and column.name in reason:
            return f"column {column.name} of {hidden} is hidden"
    return reason


def _source(scope: Scope, table: str) -> exp.Table | Scope | None:
    """What ``table`` names from ``scope``: its own sources first, then the enclosing ones
    (a correlated reference)."""
    current: Scope | None = scope
    while current is not None:
        source = current.sources.get(table)
        if isinstance(source, (exp.Table, Scope)):
            return source
        current = current.parent
    return None


def _physical(scope: Scope) -> list[str]:
    """The p88 tables visible from ``scope`` (for naming a hidden column)."""
    names: list[str] = []
    current: Scope | None = scope
    while current is not None:
        names += [s.name for s in current.sources.values() if isinstance(s, exp.Table)]
        current = current.parent
    return names


def _hidden_in(name: str, tables: list[str], policy: Policy) -> str | None:
    return next((t for t in tables if name in policy.hidden.get(t, ())), None)


def _check_column(column: exp.Column, scope: Scope, policy: Policy) -> None:
    if isinstance(column.this, exp.Star):
        if isinstance(column.parent, exp.Count):
            raise refuse("columns", f"count({column.sql(dialect='postgres')}) is not allowed")
        raise refuse("columns", f"{column.sql(dialect='postgres')} could not be expanded")
    name = column.name
    if not column.table:
        if _is_output_reference(column):
            return
        hidden = _hidden_in(name, _physical(scope), policy)
        if hidden:
            raise refuse("columns", f"column {name} of {hidden} is hidden")
        if name in scope.sources or name in {t.name for t in scope.tables}:
            raise refuse("columns", f"whole-row reference {name} is not allowed")
        raise refuse("columns", f"column {name} is not known")
    source = _source(scope, column.table)
    if isinstance(source, exp.Table):
        table = source.name
        if name in policy.tables.get(table, frozenset()):
            return
        state = "hidden" if name in policy.hidden.get(table, ()) else "not known"
        raise refuse("columns", f"column {name} of {table} is {state}")
    if isinstance(source, Scope):
        query = source.expression
        if not isinstance(query, exp.Query) or name not in query.named_selects:
            raise refuse("columns", f"column {name} is not an output of {column.table}")
        return
    raise refuse("columns", f"column {column.table}.{name}: {column.table} is not in scope")


def _is_output_reference(column: exp.Column) -> bool:
    """An unqualified ORDER BY name of one of its query's outputs (``ORDER BY k`` after
    ``SELECT id AS k``, or after a UNION), which ``qualify`` leaves as it is."""
    order = column.find_ancestor(exp.Order, exp.Window, exp.Query)
    if column.table or not isinstance(order, exp.Order):
        return False
    query = order.parent
    return isinstance(query, exp.Query) and column.name in query.named_selects

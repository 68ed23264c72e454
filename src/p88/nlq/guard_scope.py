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

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from p88.nlq.guard_lists import refuse

if TYPE_CHECKING:
    from p88.nlq.guard import Policy

_BARE = "p88_bare"
"""Marks a column written without a table: PostgreSQL would resolve it over the real tables,
so a hidden column of the same name in any table it can see makes it a refusal."""


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
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.meta[_BARE] = True
    try:
        qualify(
            tree,
            schema=policy.sqlglot_schema,
            db=policy.schema,
            dialect="postgres",
            validate_qualify_columns=False,
            expand_alias_refs=False,  # PostgreSQL's WHERE and HAVING never see output names
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
            if not _is_output_reference(node, policy):
                raise refuse("columns", f"column {node.sql(dialect='postgres')} is not known")


def _refuse_row_references(tree: exp.Expr) -> None:
    """A whole row (``p``, ``concat(p)``) or a field of one (``(p).email``) carries every
    column of the table, hidden ones included."""
    for node in tree.walk():
        if isinstance(node, exp.TableColumn):
            raise refuse("columns", f"whole-row reference {node.name} is not allowed")
        if isinstance(node, exp.Dot):
            raise refuse("columns", f"field access {node.sql(dialect='postgres')} is not allowed")


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _describe(exc: OptimizeError, root: exp.Expr, policy: Policy) -> str:
    """sqlglot's reason, naming the column and its table when the reason is one of the
    query's columns."""
    reason = _first_line(exc)
    aliases = {t.alias_or_name: t.name for t in root.find_all(exp.Table) if t.text("db")}
    for column in root.find_all(exp.Column):
        if not re.search(rf"\b{re.escape(column.name)}\b", reason):
            continue
        hidden = _hidden_in(column.name, list(aliases.values()), policy)
        if hidden:
            return f"column {column.name} of {hidden} is hidden"
        if column.table in aliases:
            return f"column {column.name} of {aliases[column.table]} is not known"
    return reason


def _source(scope: Scope, table: str) -> tuple[exp.Table | Scope | None, list[str]]:
    """What ``table`` names from ``scope`` (its own sources first, then the enclosing ones:
    a correlated reference), and the p88 tables seen on the way, where it was found
    included."""
    seen: list[str] = []
    current: Scope | None = scope
    while current is not None:
        seen += [s.name for s in current.sources.values() if isinstance(s, exp.Table)]
        source = current.sources.get(table)
        if isinstance(source, (exp.Table, Scope)):
            return source, seen
        current = current.parent
    return None, seen


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
        if _is_output_reference(column, policy):
            return
        hidden = _hidden_in(name, _physical(scope), policy)
        if hidden:
            raise refuse("columns", f"column {name} of {hidden} is hidden")
        if name in scope.sources or name in {t.name for t in scope.tables}:
            raise refuse("columns", f"whole-row reference {name} is not allowed")
        raise refuse("columns", f"column {name} is not known")
    source, seen = _source(scope, column.table)
    hidden = _hidden_in(name, seen, policy) if column.meta.get(_BARE) else None
    if hidden:  # over the real tables PostgreSQL could pick the hidden one
        raise refuse("columns", f"column {name} of {hidden} is hidden")
    if isinstance(source, exp.Table):
        table = source.name
        if name in policy.tables.get(table, frozenset()):
            return
        state = "hidden" if name in policy.hidden.get(table, ()) else "not known"
        raise refuse("columns", f"column {name} of {table} is {state}")
    if isinstance(source, Scope):
        query = source.expression
        while isinstance(query, (exp.Lateral, exp.Subquery)):
            query = query.this
        if isinstance(query, exp.Values):
            outputs = query.alias_column_names
        else:
            outputs = query.named_selects if isinstance(query, exp.Query) else []
        if name not in outputs:
            raise refuse("columns", f"column {name} is not an output of {column.table}")
        return
    raise refuse("columns", f"column {column.table}.{name}: {column.table} is not in scope")


def _is_output_reference(column: exp.Column, policy: Policy) -> bool:
    """A bare ORDER BY or GROUP BY item naming one of its query's outputs (``ORDER BY k``
    after ``SELECT id AS k``, or after a UNION), which ``qualify`` leaves as it is.

    PostgreSQL reads such a name as an output only there and only standing alone: inside
    an expression, in WHERE or HAVING, it reads input columns. In GROUP BY an input column
    of that name wins, so a name some table of the query hides is refused there.
    """
    if column.table:
        return False
    parent = column.parent
    if isinstance(parent, exp.Ordered) and isinstance(parent.parent, exp.Order):
        query = parent.parent.parent
    elif isinstance(parent, exp.Group):
        query = parent.parent
        tables = [t.name for t in query.find_all(exp.Table)] if query else []
        if _hidden_in(column.name, tables, policy):
            return False
    else:
        return False
    return isinstance(query, exp.Query) and column.name in query.named_selects

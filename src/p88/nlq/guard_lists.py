"""The guard's lists: node classes that may never appear, functions and types that may.

Allow-lists, not deny-lists, wherever sqlglot gives a class: a function sqlglot does not
know parses as ``exp.Anonymous`` (``pg_sleep``, ``dblink``, ``set_config``,
``current_setting``, ``query_to_xml``, ``lo_import``...) and is never in the list, and a
known one that reveals the server (``version()`` is ``CurrentVersion``) is left out.
"""

from __future__ import annotations

from sqlglot import exp

from p88.errors import RefusedError

RULES: dict[str, str] = {
    "parse": "the SQL must parse as PostgreSQL",
    "one-statement": "exactly one statement",
    "select-only": "the statement must be a SELECT (or UNION/INTERSECT/EXCEPT of SELECTs)",
    "read-only": "no writes, DDL, commands, COPY, SET, SELECT INTO or row locks anywhere",
    "tables": "only p88's allow-listed tables, in p88's schema",
    "columns": "each column must resolve, in its own scope, to an allowed column of one table",
    "functions": "only allow-listed functions",
    "types": "only allow-listed types in casts",
    "limit": "LIMIT/OFFSET must be small integer literals",
    "recursive": "no recursive CTEs",
    "cross-join": "every join needs an ON or USING condition",
    "size": "too many table references",
    "parameters": "no bind parameters or placeholders",
}


def refuse(rule: str, message: str) -> RefusedError:
    return RefusedError(f"refused by rule '{rule}': {message}", rule=rule, hint=RULES[rule])


FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Copy,
    exp.Set,
    exp.SetItem,
    exp.Into,
    exp.Lock,
    exp.Grant,
    exp.Revoke,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Use,
    exp.Pragma,
    exp.Analyze,
    exp.Describe,
    exp.Show,
    exp.Kill,
    exp.Comment,
    exp.LoadData,
    exp.Refresh,
    exp.Cache,
    exp.Uncache,
    exp.Execute,
    exp.Declare,
    exp.Summarize,
    exp.Returning,
    exp.Attach,
    exp.Detach,
    exp.Export,
    exp.Install,
)

ALLOWED_FUNCTIONS: tuple[type[exp.Expr], ...] = (
    exp.Connector,  # AND, OR parse as Func subclasses
    exp.Exists,
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Min,
    exp.Max,
    exp.Stddev,
    exp.StddevSamp,
    exp.StddevPop,
    exp.Variance,
    exp.PercentileCont,
    exp.PercentileDisc,
    exp.Median,
    exp.Mode,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Abs,
    exp.Sign,
    exp.Sqrt,
    exp.Pow,
    exp.WidthBucket,
    exp.Coalesce,
    exp.Nullif,
    exp.Greatest,
    exp.Least,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.Extract,
    exp.TimestampTrunc,
    exp.DateTrunc,
    exp.CurrentDate,
    exp.CurrentTimestamp,
    exp.CurrentTime,
    exp.MakeInterval,
    exp.JustifyInterval,
    exp.TimeToStr,
    exp.Lower,
    exp.Upper,
    exp.Initcap,
    exp.Length,
    exp.Substring,
    exp.Trim,
    exp.Concat,
    exp.ConcatWs,
    exp.SplitPart,
    exp.StrPosition,
    exp.Pad,
    exp.Left,
    exp.Right,
    exp.Replace,
    exp.GroupConcat,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.PercentRank,
    exp.CumeDist,
    exp.Ntile,
    exp.Lag,
    exp.Lead,
    exp.FirstValue,
    exp.LastValue,
)

ALLOWED_TYPES: frozenset[object] = frozenset(
    {
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.INTERVAL,
        exp.DataType.Type.BOOLEAN,
    }
)

"""A model's Q or expression as the SQL text Django would write for it on the
current connection, for statements written by hand (the warning sweep's).

Compiled as Django compiles an index's condition and expressions (columns
unqualified, values inlined): a hand-written query that repeats a partial
index's condition compiled from the same Q repeats it term by term, as SQLite
needs before it uses the index. Compile once and keep the text: it depends only
on the database's vendor.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import BaseExpression
from django.db.models.sql import Query


def where_sql(model, condition: Q) -> str:
    """`condition` on `model`'s table as SQL, ready to go into a statement with
    parameters (a literal % doubled)."""
    query = Query(model=model, alias_cols=False)
    where = query.build_where(condition)
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return _inline(sql, params)


def expression_sql(model, expression: BaseExpression) -> str:
    """`expression` (F, Greatest, …) over `model`'s columns as SQL, as `where_sql`."""
    query = Query(model=model, alias_cols=False)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(expression.resolve_expression(query))
    return _inline(sql, params)


def _inline(sql: str, params) -> str:
    if params:
        quote = connection.schema_editor().quote_value  # as Index._get_condition_sql does
        sql = sql % tuple(quote(p) for p in params)
    return sql.replace("%", "%%")

"""Row-value comparison for keyset pagination: `(priority, id) > (3, 1234)`.

The equivalent `priority > 3 OR (priority = 3 AND id > 1234)` means the same
rows, but PostgreSQL can only apply it as a filter while it walks an index from
its start, so the cost of a page grows with its depth (bench/README.md: the
queue page). A row comparison is an index bound on an index whose columns
follow the row's, in order, after any equality columns: page 100 costs what
page 1 does. SQLite has row values since 3.15 (Django 5.2 needs 3.31).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import BooleanField, Expression, F

OPERATORS = frozenset({"<", "<=", ">", ">="})


class RowCompare(Expression):
    """`(field_1, …, field_n) <op> (value_1, …, value_n)`, a condition for `filter()`.

    Values are prepared by their field (a datetime, a foreign key …) as in an
    ordinary lookup. One field is a plain comparison.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: Sequence[str], op: str, values: Sequence):
        if op not in OPERATORS:
            raise ValueError(f"unsupported row comparison {op!r}")
        if not fields or len(fields) != len(values):
            raise ValueError("a row comparison needs as many values as fields")
        super().__init__()
        self.fields = [F(f) if isinstance(f, str) else f for f in fields]
        self.op = op
        self.values = list(values)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.fields!r}, {self.op!r}, {self.values!r})"

    def get_source_expressions(self):
        return self.fields

    def set_source_expressions(self, exprs):
        self.fields = list(exprs)

    def as_sql(self, compiler, connection):
        columns, params = [], []
        for expr in self.fields:
            sql, p = compiler.compile(expr)
            columns.append(sql)
            params.extend(p)
        marks = []
        for expr, value in zip(self.fields, self.values, strict=True):
            field = expr.output_field
            params.append(field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True))
            marks.append("%s")
        if len(columns) == 1:
            return f"{columns[0]} {self.op} {marks[0]}", params
        return f"({', '.join(columns)}) {self.op} ({', '.join(marks)})", params

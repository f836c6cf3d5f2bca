"""Date arithmetic in SQL that reads the same on SQLite (dates kept as ISO text) and PostgreSQL
(date columns): a date some days later, and the days between a date and a timestamp's day."""

from __future__ import annotations

from sqlalchemy import Date, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class add_days(FunctionElement):  # noqa: N801 (an SQL function's name)
    """`day` plus `days` (a constant, negative for earlier)."""

    type = Date()
    inherit_cache = True

    def __init__(self, day: ColumnElement, days: int):
        self.days = int(days)
        super().__init__(day)


@compiles(add_days, "sqlite")
def _add_days_sqlite(element, compiler, **kw):
    (day,) = element.clauses
    return f"date({compiler.process(day, **kw)}, '{element.days:+d} days')"


@compiles(add_days)
def _add_days_default(element, compiler, **kw):
    (day,) = element.clauses
    return f"(CAST({compiler.process(day, **kw)} AS DATE) + {element.days:d})"


class days_after(FunctionElement):  # noqa: N801 (an SQL function's name)
    """Whole days from the day of `instant` (a UTC timestamp: its UTC day) to `day`."""

    type = Integer()
    inherit_cache = True


@compiles(days_after, "sqlite")
def _days_after_sqlite(element, compiler, **kw):
    day, instant = element.clauses
    return (
        f"CAST(julianday({compiler.process(day, **kw)}) - "
        f"julianday(date({compiler.process(instant, **kw)})) AS INTEGER)"
    )


@compiles(days_after)
def _days_after_default(element, compiler, **kw):
    day, instant = element.clauses
    later, earlier = compiler.process(day, **kw), compiler.process(instant, **kw)
    return f"(CAST({later} AS DATE) - CAST({earlier} AS DATE))"

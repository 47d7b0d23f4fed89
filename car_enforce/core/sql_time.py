"""Time arithmetic done by the database, for figures over tens of thousands of rows that must not be read
into Python one instant at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnExpressionArgument, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

DAY_S = 86_400


class _SecondsBetween(FunctionElement[float]):
    type = Float()
    inherit_cache = True


@compiles(_SecondsBetween, "sqlite")
def _sqlite(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(_SecondsBetween, "postgresql")
def _postgresql(element: _SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def seconds_between(
    later: ColumnExpressionArgument[Any], earlier: ColumnExpressionArgument[Any]
) -> ColumnElement[float]:
    """The seconds from ``earlier`` to ``later`` (two instants of ``UTCDateTime`` columns or expressions),
    NULL where either is NULL."""
    return _SecondsBetween(later, earlier)


def days_between(
    later: ColumnExpressionArgument[Any], earlier: ColumnExpressionArgument[Any]
) -> ColumnElement[float]:
    """The days, fractional, from ``earlier`` to ``later``; NULL where either is NULL."""
    return seconds_between(later, earlier) / float(DAY_S)

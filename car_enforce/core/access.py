"""Who may see what: one rule per kind of record, giving both the SQL ``where`` clause a list uses and
the Python check a load uses, so the two can never disagree.

A rule is written once, per role, from column conditions:

    CAPTURES = Scope(Capture, "capture", {
        Role.OFFICER: [own(Capture.court_id)],
        Role.CENTER_STAFF: [own(Capture.destination_center_id), is_not(Capture.status, "held")],
    })

``own(column)`` holds when the column names the caller's organisation; every condition of the role must
hold. An admin sees everything; a role without a rule sees nothing. A record the caller may not see is
"not found" (404), so its existence is not told.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from car_enforce.core.errors import NotFound
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal

M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition on a record, as SQL and as Python."""

    sql: Callable[[Principal], ColumnElement[bool]]
    holds: Callable[[Session | None, Principal, Any], bool]


def own(*columns: InstrumentedAttribute[Any]) -> Condition:
    """One of ``columns`` names the caller's organisation."""

    def holds(session: Session | None, who: Principal, row: Any) -> bool:
        org = who.organisation_id
        return org is not None and any(getattr(row, c.key) == org for c in columns)

    return Condition(sql=lambda who: or_(*(c == who.organisation_id for c in columns)), holds=holds)


def is_not(column: InstrumentedAttribute[Any], value: object) -> Condition:
    """The column does not hold ``value`` (a held capture is not shown to the center)."""

    def holds(session: Session | None, who: Principal, row: Any) -> bool:
        return bool(getattr(row, column.key) != value)

    return Condition(sql=lambda who: column != value, holds=holds)


def owned_through(link: InstrumentedAttribute[Any], owner: InstrumentedAttribute[Any]) -> Condition:
    """The record points (``link``, a foreign key) at a row whose ``owner`` column names the caller's
    organisation: an alert belongs to its watch's court."""
    parent: Any = owner.class_

    def holds(session: Session | None, who: Principal, row: Any) -> bool:
        if session is None:
            raise ValueError("a rule that follows a link to another row needs the session")
        linked = session.get(parent, getattr(row, link.key))
        org = who.organisation_id
        return linked is not None and org is not None and getattr(linked, owner.key) == org

    return Condition(
        sql=lambda who: link.in_(select(parent.id).where(owner == who.organisation_id)), holds=holds
    )


class Scope(Generic[M]):
    def __init__(
        self,
        model: type[M],
        noun: str,
        rules: Mapping[Role, Sequence[Condition]],
        *,
        noun_zh: str | None = None,
    ) -> None:
        self.model = model
        self.noun = noun  # "capture": used in the 404's message
        self.noun_zh = noun_zh  # 扣押: the same in the Chinese one
        self.rules = rules

    def where(self, who: Principal) -> ColumnElement[bool]:
        """The SQL clause for the records ``who`` may see."""
        if who.role == Role.ADMIN:
            return true()
        conditions = self.rules.get(who.role) if who.role is not None else None
        if not conditions:
            return false()
        return and_(*(c.sql(who) for c in conditions))

    def allows(self, who: Principal, row: M, session: Session | None = None) -> bool:
        """Whether ``who`` may see the loaded ``row``: the same rule as ``where`` (a rule that follows a
        link to another row needs the ``session``)."""
        if who.role == Role.ADMIN:
            return True
        conditions = self.rules.get(who.role) if who.role is not None else None
        return bool(conditions) and all(c.holds(session, who, row) for c in conditions or ())

    def select(self, who: Principal) -> Select[Any]:
        """``select(model)`` narrowed to what ``who`` may see; add filters, order and paging to it."""
        return select(self.model).where(self.where(who))

    def load(self, session: Session, who: Principal, row_id: int) -> M:
        """The record if ``who`` may see it; NotFound otherwise, worded as if it did not exist."""
        row = session.get(self.model, row_id)
        if row is None or not self.allows(who, row, session):
            raise NotFound(
                f"{self.noun} {row_id} does not exist",
                zh=f"没有找到此{self.noun_zh}" if self.noun_zh else "没有找到此记录",
            )
        return row

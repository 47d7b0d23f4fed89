"""Jurisdiction queries: by code, up the tree, and which scopes overlap a unit's area.

Everything rests on the materialised ``path`` ("/330000/330300/330326/"): a unit's ancestors are the
codes on its path, its descendants the rows whose path starts with its own.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from car_enforce.core.errors import NotFound
from car_enforce.core.geo.models import Jurisdiction


def get_by_code(session: Session, code: str) -> Jurisdiction:
    found = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if found is None:
        raise NotFound(f"jurisdiction {code} does not exist", zh=f"行政区划代码 {code} 不存在")
    return found


def get(session: Session, jurisdiction_id: int) -> Jurisdiction:
    found = session.get(Jurisdiction, jurisdiction_id)
    if found is None:
        raise NotFound(f"jurisdiction {jurisdiction_id} does not exist", zh="此行政区划不存在")
    return found


def directory(session: Session) -> list[tuple[str, str]]:
    """Every unit's code and name, each parent before its children (without the boundaries)."""
    rows = session.execute(select(Jurisdiction.path, Jurisdiction.code, Jurisdiction.name)).all()
    return [(code, name) for _, code, name in sorted(rows)]


def _path_codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def ancestors_and_self(session: Session, jurisdiction_id: int) -> list[Jurisdiction]:
    """The unit and the units above it, root (province) first, the unit itself last."""
    unit = get(session, jurisdiction_id)
    codes = _path_codes(unit.path)
    rows = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes)))}
    # A code on the path with no row (a parent deleted by hand) is skipped, not an error: the chain
    # above it still holds.
    return [rows[code] for code in codes if code in rows]


def descendants(session: Session, jurisdiction_id: int) -> list[Jurisdiction]:
    """The units below this one, in path order (each parent before its children)."""
    unit = get(session, jurisdiction_id)
    rows = session.scalars(
        select(Jurisdiction).where(
            Jurisdiction.path.startswith(unit.path, autoescape=True), Jurisdiction.id != unit.id
        )
    )
    # Sorted here, not in SQL: PostgreSQL's locale collation may ignore the "/" separators.
    return sorted(rows, key=lambda j: j.path)


def overlapping_jurisdiction_ids(session: Session, jurisdiction_id: int) -> list[int]:
    """The unit, its ancestors and its descendants: every scope whose area overlaps the unit's.

    A police unit of area J sees the watches scoped to any of these: a watch on the whole province
    covers J, and so does a watch on one county inside J. Siblings do not overlap (their areas only
    touch). Ordered by path, so ancestors come before the unit and the unit before its descendants.
    """
    unit = get(session, jurisdiction_id)
    ancestor_codes = _path_codes(unit.path)
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.path).where(
            or_(
                Jurisdiction.code.in_(ancestor_codes),
                Jurisdiction.path.startswith(unit.path, autoescape=True),
            )
        )
    )
    return [row.id for row in sorted(rows, key=lambda r: r.path)]


def all_jurisdictions(session: Session) -> list[Jurisdiction]:
    """Every unit, each parent before its children."""
    return sorted(session.scalars(select(Jurisdiction)), key=lambda j: j.path)

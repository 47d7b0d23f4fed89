"""The custody chain: every move of the car inside the center and every hand its keys pass through.

Links are numbered per custody under the custody's row lock, so the order is the order they happened
in. A retried request carrying the same key is answered with the link it made the first time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.instants import reported_instant
from car_enforce.custody.models import Custody, CustodyEvent, CustodyEventKind, CustodyStatus
from car_enforce.custody.schemas import KeysIn, MoveIn
from car_enforce.custody.service import append_link, lock_custody


def _guard(actor: Principal, custody: Custody) -> None:
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(f"only the staff of {custody.center.name} record what happens to the car there")
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(f"custody {custody.id} is {custody.status}: the car has left the center")


def _begin(session: Session, actor: Principal, custody: Custody) -> None:
    """Take the custody's lock. A retry is answered by the request's ``Idempotency-Key`` before this."""
    _guard(actor, custody)
    lock_custody(session, custody)
    _guard(actor, custody)  # re-checked under the lock: a release may have just committed


def _when(at: datetime | None, custody: Custody) -> datetime:
    when = reported_instant(at, "at") if at is not None else clock.now()
    last = custody.taken_in_at
    if when < last:
        raise InvalidInput("at", f"{when.isoformat()} is before the car was taken in ({last.isoformat()})")
    return when


def move_car(session: Session, *, actor: Principal, custody: Custody, data: MoveIn) -> CustodyEvent:
    """The car moves to another place in the center (a bay, the inspection lane, the wash bay)."""
    _begin(session, actor, custody)
    to_place = data.to_place.strip()
    if to_place == custody.bay:
        raise Conflict(f"the car is at {to_place} already")
    link = append_link(
        session,
        custody,
        CustodyEventKind.MOVE,
        actor=actor,
        at=_when(data.at, custody),
        from_place=custody.bay,
        to_place=to_place,
        notes=data.notes.strip(),
    )
    custody.bay = to_place
    session.flush()
    return link


def pass_keys(session: Session, *, actor: Principal, custody: Custody, data: KeysIn) -> CustodyEvent:
    """The keys pass from whoever holds them now to another hand (an inspector, back to the key safe)."""
    _begin(session, actor, custody)
    if custody.keys_received == 0:
        raise Conflict(f"no keys came with {custody.vehicle.plate}")
    if data.count > custody.keys_received:
        raise InvalidInput("count", f"{data.count} keys; only {custody.keys_received} came with the car")
    to = data.to.strip()
    if to == custody.keys_held_by:
        raise Conflict(f"{to} holds the keys already")
    link = append_link(
        session,
        custody,
        CustodyEventKind.KEYS,
        actor=actor,
        at=_when(data.at, custody),
        keys_from=custody.keys_held_by,
        keys_to=to,
        keys_count=data.count,
        notes=data.notes.strip(),
    )
    custody.keys_held_by = to
    session.flush()
    return link


def chain_of(session: Session, custody: Custody) -> list[CustodyEvent]:
    return list(
        session.scalars(
            select(CustodyEvent).where(CustodyEvent.custody_id == custody.id).order_by(CustodyEvent.seq)
        )
    )

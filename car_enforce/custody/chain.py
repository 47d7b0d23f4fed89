"""The custody chain: every move of the car inside the center and every hand each of its keys passes
through.

Links are numbered per custody under the custody's row lock, so the order is the order they happened
in. Each key is tracked on its own: a link that passes keys names which keys, and each key's own
holder before it. A retried request carrying the same key is answered with the link it made the first
time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, Rule
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.instants import reported_instant
from car_enforce.custody.models import Custody, CustodyEvent, CustodyEventKind, CustodyKey, CustodyStatus
from car_enforce.custody.schemas import KeysIn, MoveIn
from car_enforce.custody.service import (
    append_link,
    hand_keys,
    holders_text,
    key_safe,
    keys_of,
    lock_custody,
)

RULE_KEYS = Rule(
    "查封规定 Art. 6, 10: the court controls the seized car through its custodian; "
    "a key passes only from the hand that holds it",
    "《查封规定》第六条、第十条：人民法院通过保管人控制扣押的车辆，保管人不得使用；钥匙只能由持有人交出",
)
KEY_SAFE_WORDS = ("钥匙柜", "key safe")


class KeyRefused(Conflict):
    """A key cannot pass as asked (not in the hand said to give it, or in the taker's hand already)."""


def _guard(actor: Principal, custody: Custody) -> None:
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(
            f"only the staff of {custody.center.name} record what happens to the car there",
            zh=f"只有{custody.center.name}的工作人员才能登记这辆车的保管情况",
        )
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(
            f"custody {custody.id} is {custody.status}: the car has left the center", zh="车辆已出库"
        )


def _begin(session: Session, actor: Principal, custody: Custody) -> None:
    """Take the custody's lock. A retry is answered by the request's ``Idempotency-Key`` before this."""
    _guard(actor, custody)
    lock_custody(session, custody)
    _guard(actor, custody)  # re-checked under the lock: a release may have just committed


def _when(at: datetime | None, custody: Custody) -> datetime:
    when = reported_instant(at, "at") if at is not None else clock.now()
    last = custody.taken_in_at
    if when < last:
        raise InvalidInput(
            "at",
            f"{when.isoformat()} is before the car was taken in ({last.isoformat()})",
            zh="时间早于车辆入库时间",
        )
    return when


def move_car(session: Session, *, actor: Principal, custody: Custody, data: MoveIn) -> CustodyEvent:
    """The car moves to another place in the center (a bay, the inspection lane, the wash bay)."""
    _begin(session, actor, custody)
    to_place = data.to_place.strip()
    if to_place == custody.bay:
        raise Conflict(f"the car is at {to_place} already", field="to_place", zh=f"车辆已在{to_place}")
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
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.moved",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "custody_id": custody.id,
                "seq": link.seq,
                "from_place": link.from_place,
                "to_place": to_place,
                "at": link.at,
            },
        ),
    )
    return link


def hand_named(custody: Custody, text: str) -> str:
    """A hand as written on a form; "钥匙柜" is the center's own key safe."""
    hand = text.strip()
    return key_safe(custody) if hand in (*KEY_SAFE_WORDS, key_safe(custody)) else hand


def named_keys(keys: Sequence[CustodyKey], key_ids: Sequence[int], field: str) -> list[CustodyKey]:
    """The keys ``key_ids`` names, in their numbers' order; InvalidInput for an id that is not one of them."""
    by_id = {k.id: k for k in keys}
    unknown = [i for i in key_ids if i not in by_id]
    if unknown:
        known = "、".join(f"{k.id}（{k.label}）" for k in keys) or "none"
        raise InvalidInput(
            field,
            f"key {unknown[0]} is not a key of this car; its keys are {known}",
            zh="所选钥匙不是这辆车的钥匙",
        )
    return sorted((by_id[i] for i in key_ids), key=lambda k: k.number)


def _counted(keys: list[CustodyKey], count: int, to: str, giver: str | None) -> list[CustodyKey]:
    """The keys a bare count means, when that is plain: all the keys that could pass, or some of them when
    they are all in one hand (the lowest numbers first)."""
    if count > len(keys):
        raise InvalidInput(
            "count", f"{count} keys; only {len(keys)} came with the car", zh=f"随车只有{len(keys)}把钥匙"
        )
    could = [k for k in keys if k.holder != to and (giver is None or k.holder == giver)]
    if not could:
        if giver is not None and not any(k.holder == giver for k in keys):
            raise KeyRefused(
                f"{giver} holds none of the keys",
                field="from_holder",
                rule=RULE_KEYS,
                zh=f"{giver}手中没有这辆车的钥匙",
            )
        raise KeyRefused(f"{to} holds the keys already", field="to", zh=f"钥匙已在{to}手中")
    if count > len(could):
        raise KeyRefused(
            f"{count} keys; only {len(could)} can pass to {to} "
            f"({'、'.join(k.label for k in could)}, held by {holders_text(could)})",
            field="count",
            zh=f"只有{len(could)}把钥匙可以交给{to}（{'、'.join(k.label for k in could)}）",
        )
    if count < len(could) and len({k.holder for k in could}) > 1:
        where = "；".join(f"{k.label}：{k.holder}" for k in could)
        raise InvalidInput(
            "key_ids",
            f"the keys are in several hands ({where}): name which keys pass",
            zh=f"钥匙分在几处保管（{where}）：请指明交接哪几把",
        )
    return could[:count]


def pass_keys(session: Session, *, actor: Principal, custody: Custody, data: KeysIn) -> CustodyEvent:
    """Keys pass from the hands that hold them to another (an inspector, back to the key safe): each key
    from its own holder, and only from the hand that holds it now."""
    _begin(session, actor, custody)
    keys = keys_of(session, custody)
    if not keys:
        raise Conflict(f"no keys came with {custody.vehicle.plate}", zh="入库时未随车交接钥匙")
    to = hand_named(custody, data.to)
    giver = hand_named(custody, data.from_holder) if data.from_holder is not None else None
    if data.key_ids is not None:
        chosen = named_keys(keys, data.key_ids, "key_ids")
    else:
        assert data.count is not None  # the schema asks for one or the other
        chosen = _counted(keys, data.count, to, giver)
    for key in chosen:
        if giver is not None and key.holder != giver:
            raise KeyRefused(
                f"{key.label} is held by {key.holder}, not {giver}: "
                "a key passes only from the hand that holds it",
                field="from_holder",
                rule=RULE_KEYS,
                zh=f"{key.label}现由{key.holder}保管，不在{giver}手中：钥匙只能由现保管人交出",
            )
        if key.holder == to:
            raise KeyRefused(f"{to} holds {key.label} already", field="to", zh=f"{key.label}已在{to}手中")
    link = append_link(
        session,
        custody,
        CustodyEventKind.KEYS,
        actor=actor,
        at=_when(data.at, custody),
        keys_from=holders_text(chosen),
        keys_to=to,
        keys_count=len(chosen),
        notes=data.notes.strip(),
    )
    hand_keys(session, link, chosen, to)
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.keys_handed",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "custody_id": custody.id,
                "seq": link.seq,
                "at": link.at,
                "keys": [
                    {"key_id": m.key_id, "label": m.key.label, "from": m.from_holder, "to": m.to_holder}
                    for m in link.key_moves
                ],
            },
        ),
    )
    return link


def chain_of(session: Session, custody: Custody) -> list[CustodyEvent]:
    return list(
        session.scalars(
            select(CustodyEvent).where(CustodyEvent.custody_id == custody.id).order_by(CustodyEvent.seq)
        )
    )

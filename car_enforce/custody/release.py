"""Leaving the center (出库): the court issues a release order, the center's gate executes it.

The car never leaves without an order of the court that holds it: to the buyer after the sale ruling,
or back to the owner when the debtor pays. The person at the gate must carry the ID number the order
names; the order keeps only its digest and a masked form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures import transitions as capture_transitions
from car_enforce.captures.models import Capture
from car_enforce.cases.id_numbers import check_credit_code, check_resident_id
from car_enforce.core import clock, events, zh
from car_enforce.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Rule,
    RuleViolation,
)
from car_enforce.core.events import APPLICANTS, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.instants import reported_instant
from car_enforce.core.zh import mask_id_number
from car_enforce.custody import transitions
from car_enforce.custody.chain import named_keys
from car_enforce.custody.models import (
    Custody,
    CustodyEventKind,
    CustodyKey,
    ReleaseKind,
    ReleaseOrder,
    ReleaseOrderStatus,
)
from car_enforce.custody.schemas import ReleaseIn, ReleaseOrderIn
from car_enforce.custody.service import (
    append_link,
    hand_keys,
    holders_text,
    key_safe,
    keys_of,
    lock_custody,
    sees,
)
from car_enforce.vehicles.service import lock_vehicle

RULE_RELEASE = Rule(
    "查封规定 Art. 6, 10: the court controls the seized car; only its order lets the car go",
    "《查封规定》第六条、第十条：扣押的车辆由人民法院控制，只凭人民法院的放行通知出库",
)
RULE_KEYS_AT_GATE = Rule(
    "查封规定 Art. 6, 10: the court controls the seized car through its custodian; when the car leaves, "
    "every key is in the key safe or handed over at the gate",
    "《查封规定》第六条、第十条：人民法院通过保管人控制扣押的车辆；车辆出库时，每把钥匙都应在钥匙柜中，"
    "或在出库时当场交付",
)
RULE_HANDOVER_RULING = Rule(
    "拍卖变卖规定 Art. 20, 27: the car goes to the buyer the served sale ruling names, on that ruling",
    "《最高人民法院关于人民法院民事执行中拍卖、变卖财产的规定》第二十条、第二十七条：拍卖成交的，"
    "人民法院作出裁定并送达买受人，于裁定送达后十五日内将拍卖的财产移交买受人",
)
KIND_TEXT = {ReleaseKind.SALE_HANDOVER: "拍卖成交交付买受人", ReleaseKind.RETURN_TO_OWNER: "解除扣押发还"}


def _identity(raw: str, field: str) -> str:
    """A resident ID (GB 11643) or, for a company, a unified social credit code (GB 32100)."""
    try:
        return check_resident_id(raw, field)
    except InvalidInput as as_person:
        try:
            return check_credit_code(raw, field)
        except InvalidInput:
            raise as_person from None


def open_order_of(session: Session, custody: Custody) -> ReleaseOrder | None:
    """The release order issued for the car and not yet executed or revoked, if any."""
    return _issued_order(session, custody)


def _issued_order(session: Session, custody: Custody) -> ReleaseOrder | None:
    return session.scalar(
        select(ReleaseOrder).where(
            ReleaseOrder.custody_id == custody.id, ReleaseOrder.status == ReleaseOrderStatus.ISSUED
        )
    )


@dataclass(frozen=True, slots=True)
class SaleRuling:
    """The served sale ruling a handover rests on: its number and the buyer it names (by ID digest)."""

    number: str
    buyer_id_digest: str


def issue_order(
    session: Session,
    *,
    actor: Principal,
    custody: Custody,
    data: ReleaseOrderIn,
    ruling: SaleRuling | None = None,
) -> ReleaseOrder:
    """The court orders the car released to a named person; one open order per custody at a time. A handover
    to a buyer rests on the served sale ruling (``ruling``, given by the sale's settlement): the order carries
    its number and names the buyer it names; without one it is refused."""
    on_ruling = ruling is not None and data.kind == ReleaseKind.SALE_HANDOVER
    if not (on_ruling and actor.kind == "system") and (
        actor.role != Role.OFFICER or actor.organisation_id != custody.court_id
    ):
        raise Forbidden(
            f"only {custody.court.name}, which holds the car, orders its release",
            zh=f"只有扣押车辆的{custody.court.name}才能签发放行通知",
        )
    lock_custody(session, custody)
    if not transitions.CUSTODY.can("release", custody.status):
        raise transitions.CustodyStateConflict(
            f"custody {custody.id} is {custody.status}: the car has left the center",
            zh="车辆已出库，不能再签发放行通知",
        )
    open_order = _issued_order(session, custody)
    if open_order is not None:
        raise Conflict(
            f"release order {open_order.id} ({open_order.document_number}) is open for this car; "
            "revoke it before issuing another",
            zh=f"此车辆已有待执行的放行通知（{open_order.document_number}），须先撤销才能另行签发",
        )
    id_number = _identity(data.recipient_id_number, "recipient_id_number")
    document = data.document_number.strip()
    if data.kind == ReleaseKind.SALE_HANDOVER:
        if ruling is None:
            raise RuleViolation(
                "a handover to a buyer is ordered by the sale's settlement once its ruling is served "
                "(see GET /api/auction/settlements)",
                rule=RULE_HANDOVER_RULING,
                field="kind",
                zh="交付买受人的放行通知须依已送达的成交裁定，由成交记录签发",
            )
        if document != ruling.number or sha256_hex(id_number) != ruling.buyer_id_digest:
            raise WrongRecipient(
                f"the order must name the buyer of ruling {ruling.number}, on that ruling",
                rule=RULE_HANDOVER_RULING,
                field="recipient_id_number",
                zh=f"放行通知须依{ruling.number}成交裁定，交付该裁定载明的买受人",
            )
    name = data.recipient_name.strip()
    if not document:
        raise InvalidInput("document_number", "is empty", zh="不能为空")
    if not name:
        raise InvalidInput("recipient_name", "is empty", zh="不能为空")
    order = ReleaseOrder(
        custody_id=custody.id,
        court_id=custody.court_id,
        kind=data.kind,
        document_number=document,
        recipient_name=name,
        recipient_id_digest=sha256_hex(id_number),
        recipient_id_masked=mask_id_number(id_number),
        status=ReleaseOrderStatus.ISSUED,
        issued_at=clock.now(),
        issued_by=actor.label,
        notes=data.notes.strip(),
    )
    session.add(order)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.release_ordered",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            reason=RULE_RELEASE,
            data={
                "custody_id": custody.id,
                "order_id": order.id,
                "kind": order.kind,
                "document_number": order.document_number,
                "recipient_id_masked": order.recipient_id_masked,
            },
            parties=(custody.court_id, custody.center_id),
        ),
    )
    return order


def orders_of(session: Session, custody: Custody) -> list[ReleaseOrder]:
    return list(
        session.scalars(
            select(ReleaseOrder).where(ReleaseOrder.custody_id == custody.id).order_by(ReleaseOrder.id)
        )
    )


def visible_order(session: Session, actor: Principal, order_id: int) -> ReleaseOrder:
    order = session.get(ReleaseOrder, order_id)
    custody = session.get(Custody, order.custody_id) if order is not None else None
    if order is None or custody is None or not sees(actor, custody):
        raise NotFound(f"release order {order_id} does not exist", zh="没有这份放行通知")
    return order


def revoke_order(session: Session, *, actor: Principal, order: ReleaseOrder, reason: str) -> ReleaseOrder:
    if actor.role != Role.OFFICER or actor.organisation_id != order.court_id:
        raise Forbidden(
            "only the court that issued the order revokes it", zh="只有签发放行通知的法院才能撤销"
        )
    custody = session.get(Custody, order.custody_id)
    assert custody is not None
    lock_custody(session, custody)
    session.refresh(order)
    transitions.ORDER.move(
        order,
        "revoke",
        refusal=f"release order {order.id} is {order.status}; only an issued order can be revoked",
    )
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.release_revoked",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            reason=reason.strip(),
            data={"custody_id": custody.id, "order_id": order.id},
        ),
    )
    return order


class NoReleaseOrder(Conflict):
    pass


class WrongRecipient(DomainError):
    status_code = 403


class KeysNotBack(Conflict):
    """A key is neither in the key safe nor handed over at the gate: it would leave the center's control."""


def keys_handed(custody: Custody, keys: list[CustodyKey], data: ReleaseIn) -> list[CustodyKey]:
    """The keys that go with the car: those named, or as many as counted (every key out of the key safe
    first, then the safe's lowest numbers). Every other key must be back in the key safe."""
    safe = key_safe(custody)
    out = [k for k in keys if k.holder != safe]
    if data.key_ids is not None:
        handed = named_keys(keys, data.key_ids, "key_ids")
    else:
        assert data.keys_handed is not None  # the schema asks for one or the other
        if data.keys_handed > len(keys):
            raise InvalidInput(
                "keys_handed",
                f"{data.keys_handed} keys; only {len(keys)} came with the car",
                zh=f"随车只有{len(keys)}把钥匙",
            )
        in_safe = [k for k in keys if k.holder == safe]
        handed = sorted(out + in_safe[: max(0, data.keys_handed - len(out))], key=lambda k: k.number)
        handed = handed if len(handed) == data.keys_handed else []
    astray = [k for k in out if k not in handed]
    if astray:
        raise KeysNotBack(
            f"{'、'.join(f'{k.label} is with {k.holder}' for k in astray)}: return it to the key safe "
            f"({safe}) or hand it over at the gate; the car stays",
            field="key_ids",
            rule=RULE_KEYS_AT_GATE,
            zh="、".join(f"{k.label}在{k.holder}手中" for k in astray)
            + "：须先交回钥匙柜或随车交付，车辆暂不放行",
        )
    return handed


def release(session: Session, *, actor: Principal, custody: Custody, data: ReleaseIn) -> Custody:
    """The car leaves the center on the court's order, to the person the order names (出库)."""
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(
            f"only the staff of {custody.center.name} let the car out of its gate",
            zh=f"只有{custody.center.name}的工作人员才能办理车辆出库",
        )
    lock_vehicle(session, custody.vehicle_id)
    lock_custody(session, custody)
    if not transitions.CUSTODY.can("release", custody.status):
        raise transitions.CustodyStateConflict(
            f"custody {custody.id} is {custody.status}: the car has left the center already",
            zh="车辆已出库",
        )
    order = session.get(ReleaseOrder, data.order_id)
    if order is None or order.custody_id != custody.id or order.status != ReleaseOrderStatus.ISSUED:
        open_order = _issued_order(session, custody)
        hint = f"; the open order is {open_order.id}" if open_order else "; the court has issued none"
        raise NoReleaseOrder(
            f"no issued release order {data.order_id} for custody {custody.id}{hint}. "
            "The car leaves only on the order of the court that holds it",
            field="order_id",
            rule=RULE_RELEASE,
            zh="没有这份待执行的放行通知：车辆只凭扣押法院的放行通知出库",
        )
    presented = _identity(data.recipient_id_number, "recipient_id_number")
    if sha256_hex(presented) != order.recipient_id_digest:
        raise WrongRecipient(
            f"the ID number presented is not the one release order {order.id} names "
            f"({order.recipient_id_masked}); the car stays",
            field="recipient_id_number",
            rule=RULE_RELEASE,
            zh=f"所持证件号与放行通知所载（{order.recipient_id_masked}）不符，车辆不予放行",
        )
    handed = keys_handed(custody, keys_of(session, custody), data)
    now = clock.now()
    at = reported_instant(data.at, "at") if data.at is not None else now
    if at < custody.taken_in_at:
        raise InvalidInput(
            "at",
            f"{at.isoformat()} is before the car was taken in",
            zh=f"出库时间（{zh.minute(at)}）早于车辆入库时间（{zh.minute(custody.taken_in_at)}）",
        )

    recipient = f"{KIND_TEXT[order.kind]} {order.recipient_id_masked}"
    link = append_link(
        session,
        custody,
        CustodyEventKind.RELEASE,
        actor=actor,
        at=at,
        from_place=custody.bay,
        to_place="出库",
        keys_from=holders_text(handed) if handed else None,
        keys_to=recipient if handed else None,
        keys_count=len(handed),
        notes=data.notes.strip() or f"依{order.document_number}出库",
    )
    hand_keys(session, link, handed, recipient)
    transitions.CUSTODY.move(custody, "release")
    custody.released_at = at
    transitions.ORDER.move(order, "execute")
    order.executed_at = at
    if custody.capture_id is not None:
        capture = session.get(Capture, custody.capture_id)
        assert capture is not None
        capture_transitions.move(capture, "release")
        capture.released_at = at
    session.flush()
    when = f"{zh.month_day(at)}"
    plate, kind_text = custody.vehicle.plate, KIND_TEXT[order.kind]
    told: tuple[Notice, ...] = ()
    if custody.watch_id is not None:
        told = (
            Notice(
                OFFICER,
                custody.watch_id,
                f"车辆{plate}已于{when}依{order.document_number}从{custody.center.name}出库（{kind_text}）。",
                f"custody-released:{custody.id}",
            ),
            Notice(APPLICANTS, custody.watch_id, f"被执行人名下车辆{plate}已于{when}{kind_text}。"),
        )
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.released",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            reason=RULE_RELEASE,
            data={
                "custody_id": custody.id,
                "order_id": order.id,
                "kind": order.kind,
                "document_number": order.document_number,
                "released_at": at,
                "keys_handed": len(handed),
                "keys": [
                    {"key_id": m.key_id, "label": m.key.label, "from": m.from_holder} for m in link.key_moves
                ],
            },
            parties=(custody.court_id, custody.center_id),
            notices=told,
            # The watch that held the car ends with the release (a handler of the watches domain).
            context={
                "watch_id": custody.watch_id,
                "vehicle_id": custody.vehicle_id,
                "sold": order.kind == ReleaseKind.SALE_HANDOVER,
                "why": f"车辆已依{order.document_number}出库（{kind_text}）",
            },
        ),
    )
    return custody


__all__ = [
    "KeysNotBack",
    "NoReleaseOrder",
    "SaleRuling",
    "WrongRecipient",
    "issue_order",
    "keys_handed",
    "open_order_of",
    "release",
    "revoke_order",
    "visible_order",
]

"""The registry verbs: queue a seizure, its release or a transfer for the sweep to send (each asked once), and
bring a request to what the registry says of it, from an answer, a poll or a callback alike.

Queuing never calls the registry: the request is a row in the caller's transaction, sent after its commit by
``jobs.send_due``. What the registry says is applied by ``apply_seizure`` and ``apply_transfer``, which move
the request forward only (a late or repeated word changes nothing) and record one event per change, on the
case's timeline with the words its applicants are texted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.id_numbers import check_credit_code, check_resident_id
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, events, zh
from car_enforce.core.db import insert_once
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, Rule
from car_enforce.core.events import CASE_APPLICANTS, DomainEvent, Notice
from car_enforce.core.identity.principal import Principal
from car_enforce.registry import transitions
from car_enforce.registry.client import HandedOver, Seizure, SeizureStatus, Transfer, TransferStatus
from car_enforce.registry.models import RegistryRequest, RequestKind, RequestStatus
from car_enforce.vehicles.models import Vehicle
from car_enforce.vehicles.service import case_vehicle

POLL_EVERY: Final = timedelta(minutes=10)  # a queued seizure or a transfer past its due time, asked again
# A seizure in effect is checked daily: it ends only by our release or a sale, and a sale's word may be lost.
CHECK_EVERY: Final = timedelta(days=1)
PAPER_NAMES_ZH: Final = {"certificate": "机动车登记证书", "licence": "行驶证", "plates": "号牌"}
# Forward only: a seizure queued, then in effect, then ended.
_SEIZURE_RANK: Final = {
    SeizureStatus.QUEUED: 0,
    SeizureStatus.ACTIVE: 1,
    SeizureStatus.RELEASED: 2,
    SeizureStatus.LAPSED: 2,
}

RULE_SEIZE = Rule(
    "查封规定 Art. 7: a seizure of a registered movable is registered with its registry",
    "《查封规定》第七条：查封、扣押已登记的特定动产，应当通知有关登记机关办理登记手续",
)
RULE_QUEUE = Rule(
    "查封规定 Art. 26: a later court's seizure queues and takes effect when the first one is released",
    "《查封规定》第二十六条：其他人民法院可以进行轮候查封；查封解除的，登记在先的轮候查封即自动生效",
)
RULE_RELEASE = Rule(
    "查封规定 Art. 28: a seizure made by registration is released by a notice to the registry",
    "《查封规定》第二十八条：解除以登记方式实施的查封的，应当向登记机关发出协助执行通知书",
)
RULE_SALE = Rule(
    "查封规定 Art. 27: a sale ends every seizure of the sold property",
    "《查封规定》第二十七条：查封的财产已经被执行拍卖、变卖或者抵债的，查封的效力消灭",
)
RULE_TRANSFER = Rule(
    "登记规定 Art. 26, 90: the ruling and its notice prove the origin; the transfer takes one working day",
    "《机动车登记规定》第二十六条、第九十条：人民法院的生效裁定书及协助执行通知书为机动车来历证明，"
    "车辆管理所应当自受理申请之日起一日内办理转让登记",
)
RULE_REFUSED = Rule(
    "登记规定 Art. 25, 26, 29: a transfer is refused for the reasons the registry gives",
    "《机动车登记规定》第二十五条、第二十六条、第二十九条：有不予办理转让登记情形的，车辆管理所不予办理",
)


@dataclass(frozen=True, slots=True)
class Buyer:
    """The buyer the car is transferred to: a person (resident ID number) or a company (credit code)."""

    name: str
    id_number: str
    company: bool = False


_QUEUED_BY: Final = {
    RequestKind.SEIZE: RULE_SEIZE,
    RequestKind.RELEASE: RULE_RELEASE,
    RequestKind.TRANSFER: RULE_TRANSFER,
}


def _natural_key(kind: RequestKind, case_id: int, vehicle_id: int, number: str) -> str:
    return f"{kind}:{case_id}:{vehicle_id}:{number}"


def _key(natural_key: str) -> str:
    # ASCII, fixed length and the same on every try: an Idempotency-Key header cannot carry the Chinese
    # document numbers the natural key holds.
    return "rr-" + hashlib.sha256(natural_key.encode()).hexdigest()[:40]


def _case_and_vehicle(session: Session, case_id: int, vehicle_id: int) -> tuple[EnforcementCase, Vehicle]:
    case = session.get(EnforcementCase, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist", zh="没有找到此案件")
    return case, case_vehicle(session, case, vehicle_id).vehicle


def _number(field: str, value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 80:
        raise InvalidInput(field, "1 to 80 characters", zh="文书编号应为 1 至 80 个字符")
    return value


def _queue(
    session: Session,
    actor: Principal,
    *,
    kind: RequestKind,
    case: EnforcementCase,
    vehicle: Vehicle,
    ruling_number: str,
    notice_number: str,
    payload: dict[str, Any],
    seizure_request_id: int | None = None,
    event_kind: str,
    data: dict[str, Any],
    application: int = 1,
) -> RegistryRequest:
    # A transfer the registry refused is applied for again once its cause is cleared: the same notice, a new
    # application (the refused one stays as it was).
    label = notice_number if application == 1 else f"{notice_number}#{application}"
    natural_key = _natural_key(kind, case.id, vehicle.id, label)
    now = clock.now()
    row = insert_once(
        session,
        RegistryRequest,
        {
            "kind": kind,
            "natural_key": natural_key,
            "key": _key(natural_key),
            "case_id": case.id,
            "vehicle_id": vehicle.id,
            "seizure_request_id": seizure_request_id,
            "ruling_number": ruling_number,
            "notice_number": notice_number,
            "payload": payload,
            "status": RequestStatus.QUEUED,
            "registry_id": None,
            "registry_status": "",
            "attempts": 0,
            "last_error": "",
            "due_at": now,
            "result": {},
            "created_at": now,
            "finished_at": None,
        },
        unique=["natural_key"],
    )
    if row is None:  # asked before, with this notice: the same request, once
        earlier = session.scalar(select(RegistryRequest).where(RegistryRequest.natural_key == natural_key))
        assert earlier is not None
        if earlier.payload != payload or earlier.ruling_number != ruling_number:
            raise Conflict(
                f"notice {notice_number} was sent to the registry with other contents",
                zh="该协助执行通知书已以不同的内容发往车管所，不能以同一文号再次发送",
            )
        return earlier
    events.record(
        session,
        actor,
        DomainEvent(
            kind=event_kind,
            subject=f"registry_request:{row.id}",
            case_id=case.id,
            data={"request_id": row.id, "vehicle_id": vehicle.id, "plate": vehicle.plate, **data},
            reason=_QUEUED_BY[kind],
        ),
    )
    return row


def queue_seizure(
    session: Session,
    *,
    actor: Principal,
    case_id: int,
    vehicle_id: int,
    ruling_number: str,
    notice_number: str,
) -> RegistryRequest:
    """Queue the court's 协助执行通知书 that registers its seizure of the car (查封规定 Art. 1, 7)."""
    case, vehicle = _case_and_vehicle(session, case_id, vehicle_id)
    ruling, notice = _number("ruling_number", ruling_number), _number("notice_number", notice_number)
    payload = {
        "court": case.court.name,
        "case_number": case.case_number,
        "document_number": notice,
        "plate": vehicle.plate,
        "vin": vehicle.vin,
    }
    return _queue(
        session,
        actor,
        kind=RequestKind.SEIZE,
        case=case,
        vehicle=vehicle,
        ruling_number=ruling,
        notice_number=notice,
        payload=payload,
        event_kind="registry.seizure_queued",
        data={
            "ruling_number": ruling,
            "notice_number": notice,
            "zh": "已向车管所发出查封登记的协助执行通知书",
        },
    )


def _seizure_request(session: Session, case_id: int, vehicle_id: int) -> RegistryRequest:
    """The case's latest seizure of the car at the registry that still binds it, or is on its way there."""
    found = session.scalars(
        select(RegistryRequest)
        .where(
            RegistryRequest.kind == RequestKind.SEIZE,
            RegistryRequest.case_id == case_id,
            RegistryRequest.vehicle_id == vehicle_id,
            RegistryRequest.status.in_((RequestStatus.QUEUED, RequestStatus.SENT, RequestStatus.DONE)),
        )
        .order_by(RegistryRequest.id.desc())
    )
    for request in found:
        if request.registry_status in ("", SeizureStatus.ACTIVE, SeizureStatus.QUEUED):
            return request
    raise Conflict(
        "this case has no seizure of the car at the registry to release",
        zh="本案未在车管所对该车办理查封登记，或查封已经解除、失效，无需解除",
    )


def queue_release(
    session: Session,
    *,
    actor: Principal,
    case_id: int,
    vehicle_id: int,
    notice_number: str,
    ruling_number: str = "",
) -> RegistryRequest:
    """Queue the 协助执行通知书 releasing the case's seizure of the car at the registry (查封规定 Art. 28):
    the debt paid, or the car sold and its seizure released before the transfer."""
    case, vehicle = _case_and_vehicle(session, case_id, vehicle_id)
    notice = _number("notice_number", notice_number)
    ruling = ruling_number.strip()
    natural_key = _natural_key(RequestKind.RELEASE, case.id, vehicle.id, notice)
    asked = session.scalar(select(RegistryRequest).where(RegistryRequest.natural_key == natural_key))
    seizure = (
        session.get(RegistryRequest, asked.seizure_request_id)
        if asked is not None and asked.seizure_request_id is not None
        else _seizure_request(session, case.id, vehicle.id)
    )
    assert seizure is not None
    return _queue(
        session,
        actor,
        kind=RequestKind.RELEASE,
        case=case,
        vehicle=vehicle,
        ruling_number=ruling,
        notice_number=notice,
        payload={"court": case.court.name, "notice_number": notice},
        seizure_request_id=seizure.id,
        event_kind="registry.release_queued",
        data={
            "seizure_request_id": seizure.id,
            "notice_number": notice,
            "zh": "已向车管所发出解除查封登记的协助执行通知书",
        },
    )


def _checked_buyer(buyer: Buyer) -> Buyer:
    name = buyer.name.strip()
    if not 1 <= len(name) <= 64:
        raise InvalidInput("buyer.name", "1 to 64 characters", zh="买受人姓名（名称）应为 1 至 64 个字符")
    if buyer.company:
        return Buyer(name, check_credit_code(buyer.id_number, "buyer.id_number"), company=True)
    return Buyer(name, check_resident_id(buyer.id_number, "buyer.id_number"))


def queue_transfer(
    session: Session,
    *,
    actor: Principal,
    case_id: int,
    vehicle_id: int,
    ruling_number: str,
    notice_number: str,
    buyer: Buyer,
    handed_over: HandedOver,
    ends_seizures: Sequence[str] | None = None,
    out_of_area: bool = False,
    application: int = 1,
) -> RegistryRequest:
    """Queue the transfer of the sold car to its buyer: the sale ruling and its 协助执行通知书 are the car's
    origin (登记规定 Art. 90); papers or plates not handed over are voided and issued anew (Art. 30).

    ``ends_seizures``: the registry's ids of the seizures the sale ends (查封规定 Art. 27); None ends every
    seizure on the car's file, as the registry lists them when the request is sent. ``application``: 2, 3, …
    for an application made again after a refusal whose cause was cleared.
    """
    case, vehicle = _case_and_vehicle(session, case_id, vehicle_id)
    ruling, notice = _number("ruling_number", ruling_number), _number("notice_number", notice_number)
    checked = _checked_buyer(buyer)
    payload = {
        "court": case.court.name,
        "ruling_number": ruling,
        "notice_number": notice,
        "plate": vehicle.plate,
        "vin": vehicle.vin,
        "buyer_name": checked.name,
        "buyer_id_number": checked.id_number,
        "handed_over": handed_over.as_json(),
        "ends_seizures": None if ends_seizures is None else sorted(set(ends_seizures)),
        "out_of_area": out_of_area,
    }
    missing = [PAPER_NAMES_ZH[name] for name, given in handed_over.as_json().items() if not given]
    text = "已向车管所申请办理转让登记（过户）"
    if missing:
        text += f"；原所有人未交出的{'、'.join(missing)}将由车管所公告作废并补发"
    return _queue(
        session,
        actor,
        kind=RequestKind.TRANSFER,
        case=case,
        vehicle=vehicle,
        ruling_number=ruling,
        notice_number=notice,
        payload=payload,
        event_kind="registry.transfer_queued",
        application=application,
        data={
            "ruling_number": ruling,
            "notice_number": notice,
            "buyer": zh.mask_name(checked.name, company=checked.company),
            "handed_over": handed_over.as_json(),
            "zh": text,
        },
    )


# --- what the registry says ---------------------------------------------------------------------------


def lock(session: Session, request: RegistryRequest) -> None:
    session.execute(select(RegistryRequest.id).where(RegistryRequest.id == request.id).with_for_update())
    session.refresh(request)


def _record(
    session: Session,
    actor: Principal,
    request: RegistryRequest,
    kind: str,
    data: dict[str, Any],
    *,
    reason: str,
    text: str,
    tell_applicants: bool = True,
) -> None:
    events.record(
        session,
        actor,
        DomainEvent(
            kind=kind,
            subject=f"registry_request:{request.id}",
            case_id=request.case_id,
            data={"request_id": request.id, "registry_id": request.registry_id, **data, "zh": text},
            reason=reason,
            notices=(Notice(CASE_APPLICANTS, request.case_id, text),) if tell_applicants else (),
        ),
    )


def _seizure_json(seizure: Seizure) -> dict[str, Any]:
    return {
        "seizure_id": seizure.id,
        "status": seizure.status.value,
        "ahead": seizure.ahead,
        "effective_at": seizure.effective_at.isoformat() if seizure.effective_at else None,
        "ended_at": seizure.ended_at.isoformat() if seizure.ended_at else None,
    }


def _settle(request: RegistryRequest, verb: str) -> None:
    if request.status in (RequestStatus.QUEUED, RequestStatus.SENT, RequestStatus.FAILED):
        transitions.move(request, verb)
        request.finished_at = clock.now()
    request.attempts, request.last_error = 0, ""


def apply_seizure(session: Session, actor: Principal, request: RegistryRequest, seizure: Seizure) -> bool:
    """Bring a seizure request to what the registry says of its seizure; True when that changed something
    (one event recorded, but for a lapse by this case's own sale, which its transfer's event tells), False
    for news already heard."""
    lock(session, request)
    if request.kind != RequestKind.SEIZE:
        raise InvalidInput("type", "a seizure's news about another act", zh="车管所的查封消息与该事项不符")
    if request.registry_id is not None and request.registry_id != seizure.id:
        raise Conflict(
            "the registry names another seizure for this request", zh="车管所回复的查封编号与本案不符"
        )
    known = request.registry_status
    if known and _SEIZURE_RANK[seizure.status] <= _SEIZURE_RANK[SeizureStatus(known)]:
        return False
    request.registry_id = seizure.id
    request.registry_status = seizure.status.value
    request.result = _seizure_json(seizure)
    _settle(request, "finish")
    request.due_at = next_check(request)
    data = {"notice_number": request.notice_number, **_seizure_json(seizure)}
    match seizure.status:
        case SeizureStatus.ACTIVE:
            reason: str = RULE_QUEUE if known == SeizureStatus.QUEUED else RULE_SEIZE
            text = "车管所已办理该车的查封登记，查封生效：查封期间该车不能办理过户、抵押或注销"
            _record(session, actor, request, "registry.seizure_effective", data, reason=reason, text=text)
        case SeizureStatus.QUEUED:
            ahead = f"（前有{seizure.ahead}项）" if seizure.ahead else ""
            text = f"该车已有在先的查封，本案查封已在车管所轮候登记{ahead}，在先的查封解除后自动生效"
            _record(session, actor, request, "registry.seizure_waiting", data, reason=RULE_QUEUE, text=text)
        case SeizureStatus.RELEASED:
            for release in _releases_of(session, request):
                release.result = _seizure_json(seizure)
                _settle(release, "finish")
            text = "车管所已解除本案对该车的查封登记"
            _record(
                session, actor, request, "registry.seizure_released", data, reason=RULE_RELEASE, text=text
            )
        case SeizureStatus.LAPSED if _sold_in_case(session, request, seizure.ended_by):
            pass  # this case's own sale ended it: its transfer's event says so
        case SeizureStatus.LAPSED:
            text = "该车已被拍卖（变卖），车管所对该车的本案查封登记随之失效"
            _record(session, actor, request, "registry.seizure_lapsed", data, reason=RULE_SALE, text=text)
    return True


def next_check(request: RegistryRequest) -> datetime:
    """When the sweep asks the registry after a request again: soon while the registry has work to do (a
    seizure waiting its turn, a transfer), daily for a seizure in effect."""
    if request.kind == RequestKind.SEIZE and request.registry_status == SeizureStatus.ACTIVE:
        return clock.now() + CHECK_EVERY
    return clock.now() + POLL_EVERY


def _sold_in_case(session: Session, request: RegistryRequest, transfer_id: str) -> bool:
    return (
        transfer_id != ""
        and session.scalar(
            select(RegistryRequest.id).where(
                RegistryRequest.kind == RequestKind.TRANSFER,
                RegistryRequest.case_id == request.case_id,
                RegistryRequest.registry_id == transfer_id,
            )
        )
        is not None
    )


def _releases_of(session: Session, seizure_request: RegistryRequest) -> list[RegistryRequest]:
    return list(
        session.scalars(
            select(RegistryRequest)
            .where(
                RegistryRequest.seizure_request_id == seizure_request.id,
                RegistryRequest.status.in_((RequestStatus.QUEUED, RequestStatus.SENT, RequestStatus.FAILED)),
            )
            .with_for_update()
        )
    )


def refusal_text(transfer: Transfer) -> str:
    """What the officer and the buyer read: every reason, in the registry's words."""
    return "；".join(r.zh for r in transfer.refusals)


def _transfer_json(transfer: Transfer) -> dict[str, Any]:
    document: dict[str, Any] = {
        "transfer_id": transfer.id,
        "status": transfer.status.value,
        "due_at": transfer.due_at.isoformat(),
        "ends_seizures": list(transfer.ends_seizures),
    }
    if transfer.refusals:
        document["refusals"] = [
            {"code": r.code, "detail": r.detail, "zh": r.zh, "rule": r.article} for r in transfer.refusals
        ]
        document["code"] = transfer.refusals[0].code
        document["zh"] = refusal_text(transfer)
    result = transfer.result
    if result is not None:
        document.update(
            owner=result.owner_name,
            owner_id_number=result.owner_id_number,
            certificate_number=result.certificate_number,
            certificate_reissued=result.certificate_reissued,
            plate=result.plate,
            previous_plate=result.previous_plate,
            plate_changed=result.plate_changed,
            voided=list(result.voided),
            temporary_plate=result.temporary_plate,
            temporary_plate_valid_until=result.temporary_plate_valid_until.isoformat()
            if result.temporary_plate_valid_until
            else None,
            completed_at=result.completed_at.isoformat(),
        )
    return document


def _completed_text(transfer: Transfer) -> str:
    result = transfer.result
    assert result is not None
    text = f"车管所已办结该车的转让登记（过户），新所有人为{result.owner_name}"
    if result.temporary_plate:
        text += f"，核发临时行驶车号牌{result.temporary_plate}，请于有效期内到住所地车管所办理转入"
    elif result.plate_changed:
        text += f"，新号牌号码为{result.plate}"
    if result.voided:
        text += f"；原{'、'.join(PAPER_NAMES_ZH[v] for v in result.voided)}已公告作废"
    if result.certificate_reissued:
        text += "，已补发机动车登记证书"
    return text


def apply_transfer(session: Session, actor: Principal, request: RegistryRequest, transfer: Transfer) -> bool:
    """Bring a transfer request to what the registry says of it; True when that changed something (one event
    recorded), False for news already heard."""
    lock(session, request)
    if request.kind != RequestKind.TRANSFER:
        raise InvalidInput("type", "a transfer's news about another act", zh="车管所的过户消息与该事项不符")
    if request.registry_id is not None and request.registry_id != transfer.id:
        raise Conflict(
            "the registry names another transfer for this request", zh="车管所回复的过户编号与本案不符"
        )
    if request.status in (RequestStatus.DONE, RequestStatus.REFUSED):
        return False
    request.registry_id = transfer.id
    now = clock.now()
    data = {"notice_number": request.notice_number, **_transfer_json(transfer)}
    if transfer.status is TransferStatus.PROCESSING:
        if request.status != RequestStatus.QUEUED:
            return False
        transitions.move(request, "send")
        request.registry_status, request.result = transfer.status.value, _transfer_json(transfer)
        request.attempts, request.last_error = 0, ""
        request.due_at = max(transfer.due_at, now)  # asked after once it should be done
        text = f"车管所已受理转让登记（过户）申请，将于{zh.minute(transfer.due_at)}前办结"
        _record(session, actor, request, "registry.transfer_accepted", data, reason=RULE_TRANSFER, text=text)
        return True
    request.registry_status, request.result = transfer.status.value, _transfer_json(transfer)
    if transfer.status is TransferStatus.REFUSED:
        _settle(request, "refuse")
        text = f"车管所不予办理该车的转让登记（过户）：{refusal_text(transfer)}。法院将依原因处理后重新申请"
        _record(session, actor, request, "registry.transfer_refused", data, reason=RULE_REFUSED, text=text)
        return True
    _settle(request, "finish")
    # The sale ended the seizures it names (查封规定 Art. 27). This case's own are marked so here, told by
    # this one event; another case's are asked after at the next sweep, which records it on that case.
    ended = set(transfer.ends_seizures)
    for seizure in session.scalars(
        select(RegistryRequest)
        .where(
            RegistryRequest.kind == RequestKind.SEIZE,
            RegistryRequest.vehicle_id == request.vehicle_id,
            RegistryRequest.registry_id.in_(ended),
            RegistryRequest.registry_status.in_((SeizureStatus.ACTIVE.value, SeizureStatus.QUEUED.value)),
        )
        .with_for_update()
    ):
        if seizure.case_id == request.case_id:
            seizure.registry_status = SeizureStatus.LAPSED.value
            seizure.result = {**seizure.result, "status": SeizureStatus.LAPSED.value, "ended_by": transfer.id}
        else:
            seizure.due_at = now
    _record(
        session,
        actor,
        request,
        "registry.transfer_completed",
        data,
        reason=RULE_TRANSFER,
        text=_completed_text(transfer),
    )
    return True


def fail(session: Session, actor: Principal, request: RegistryRequest, error: str) -> None:
    """Give a request up: the registry refused it for good, or it failed too often. The officer sees why."""
    transitions.move(request, "fail")
    request.finished_at = clock.now()
    request.last_error = error[:200]
    what = {
        RequestKind.SEIZE: "查封登记",
        RequestKind.RELEASE: "解除查封登记",
        RequestKind.TRANSFER: "转让登记",
    }
    text = (
        f"向车管所申请办理{what[RequestKind(request.kind)]}未成功（{request.last_error}），请核实后重新办理"
    )
    _record(
        session,
        actor,
        request,
        "registry.request_failed",
        {"kind": request.kind, "attempts": request.attempts, "error": request.last_error},
        reason="",
        text=text,
        tell_applicants=False,
    )


def requests_of_case(session: Session, case_id: int) -> list[RegistryRequest]:
    """The case's requests to the registry, oldest first."""
    return list(
        session.scalars(
            select(RegistryRequest).where(RegistryRequest.case_id == case_id).order_by(RegistryRequest.id)
        )
    )

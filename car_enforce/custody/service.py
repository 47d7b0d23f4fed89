"""Custody verbs: open a custody (intake of an arrived capture, or an imported car), sign the seizure
record, and who may see a custody.

An intake is checked whole before anything is written: a capture that has not arrived, or a car already
in custody, is a 409; a malformed field or a missing photo is a 422; in each case nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.captures import transitions as capture_transitions
from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core import clock, events, zh
from car_enforce.core.access import Scope, own
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, Rule
from car_enforce.core.events import APPLICANTS, OFFICER, DomainEvent, Notice
from car_enforce.core.files.photos import CheckedPhoto, checked_photo, photo_at
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.instants import reported_instant
from car_enforce.custody import costs
from car_enforce.custody.models import (
    Custody,
    CustodyEvent,
    CustodyEventKind,
    CustodyKey,
    CustodyKeyMove,
    CustodyPhoto,
    CustodySource,
    CustodyStatus,
    VehicleClass,
)
from car_enforce.custody.schemas import PAPER_NAMES, IntakeIn, SignatureIn, SignerRole
from car_enforce.vehicles.models import PlateColour, Vehicle
from car_enforce.vehicles.service import lock_vehicle

# The four sides of the car at least: what a dispute about a scratch needs (入库拍照).
MIN_INTAKE_PHOTOS = 4
NEV_COLOURS = frozenset({PlateColour.GREEN, PlateColour.YELLOW_GREEN})
RULE_RECORD = Rule(
    "查封规定 Art. 18: the record names times, place, property, custodian, and is signed",
    "《查封规定》第十八条：执行人员应当制作笔录，载明执行措施开始及完成的时间，财产的所在地、种类、数量，"
    "财产的保管人；执行人员及保管人应当在笔录上签名",
)


def vehicle_class_of(vehicle: Vehicle) -> VehicleClass:
    """The tariff class by 号牌种类: 01/51 large vehicles, 02/52 small ones, anything else other."""
    if vehicle.plate_type in ("01", "51"):
        return VehicleClass.LARGE
    if vehicle.plate_type in ("02", "52"):
        return VehicleClass.SMALL
    return VehicleClass.OTHER


@dataclass(frozen=True, slots=True)
class IntakeDetails:
    """The state of the car when it came in, checked and in normal form."""

    bay: str
    keys_received: int
    custodian_name: str
    key_labels: list[str] = field(default_factory=list)  # 钥匙1, 钥匙2 … when empty
    odometer_km: int | None = None
    fuel_percent: int | None = None
    charge_percent: int | None = None
    papers: list[str] = field(default_factory=list)
    belongings: list[dict[str, Any]] = field(default_factory=list)
    condition_notes: str = ""
    signatures: list[dict[str, Any]] = field(default_factory=list)
    photos: list[CheckedPhoto] = field(default_factory=list)


def open_custody_of(session: Session, vehicle_id: int) -> Custody | None:
    return session.scalar(
        select(Custody).where(Custody.vehicle_id == vehicle_id, Custody.status == CustodyStatus.IN_CUSTODY)
    )


def key_safe(custody: Custody) -> str:
    """The center's key safe, as a holder: where every key goes at intake and comes back to."""
    return f"{custody.custodian_name}（钥匙柜）"


def keys_of(session: Session, custody: Custody) -> list[CustodyKey]:
    """The custody's keys as stored now (re-read: the caller may have waited for the custody's lock)."""
    return list(
        session.scalars(
            select(CustodyKey)
            .where(CustodyKey.custody_id == custody.id)
            .order_by(CustodyKey.number)
            .execution_options(populate_existing=True)
        )
    )


def hands_of(session: Session, custody: Custody) -> list[str]:
    """The hands the custody's keys have been in, the key safe first: whom a clerk is likely to pass to."""
    been = session.scalars(
        select(CustodyKeyMove.to_holder)
        .join(CustodyKey, CustodyKey.id == CustodyKeyMove.key_id)
        .where(CustodyKey.custody_id == custody.id)
        .order_by(CustodyKeyMove.id)
    )
    return list(dict.fromkeys([key_safe(custody), *been]))


def holders_text(keys: Sequence[CustodyKey]) -> str:
    """The hands ``keys`` are in, each once, for a link's summary column (96 characters at most)."""
    text = "、".join(dict.fromkeys(k.holder for k in keys))
    return text if len(text) <= 96 else text[:95] + "…"


def hand_keys(session: Session, link: CustodyEvent, keys: Sequence[CustodyKey], to: str) -> None:
    """Each of ``keys`` passes from its own holder to ``to`` in ``link``; the caller holds the custody's
    row lock."""
    for key in keys:
        link.key_moves.append(CustodyKeyMove(key=key, from_holder=key.holder, to_holder=to))
        key.holder = to
    session.flush()


def append_link(
    session: Session,
    custody: Custody,
    kind: CustodyEventKind,
    *,
    actor: Principal,
    at: datetime,
    **values: Any,
) -> CustodyEvent:
    """Add the next link of the custody chain; the caller holds the custody's row lock."""
    last = session.scalar(select(func.max(CustodyEvent.seq)).where(CustodyEvent.custody_id == custody.id))
    link = CustodyEvent(
        custody_id=custody.id,
        seq=(last or 0) + 1,
        kind=kind,
        at=at,
        recorded_by=actor.label,
        notes=values.pop("notes", ""),
        **values,
    )
    session.add(link)
    session.flush()
    return link


def open_custody(
    session: Session,
    *,
    actor: Principal,
    source: CustodySource,
    vehicle: Vehicle,
    center_id: int,
    court_id: int,
    case_id: int,
    watch_id: int | None,
    capture_id: int | None,
    taken_in_at: datetime,
    storage_from: date,
    details: IntakeDetails,
) -> Custody:
    """Create the custody, its photos and the first link of its chain; the caller records the timeline
    event that says why (an intake, an import).

    The caller holds the vehicle's lock (``vehicles.service.lock_vehicle``); Conflict when the car is in
    custody already, here or at another center.
    """
    held = open_custody_of(session, vehicle.id)
    if held is not None:
        raise Conflict(
            f"{vehicle.plate} is in custody already (custody {held.id} at {held.center.name})",
            zh=f"车辆{vehicle.plate_as_written}已在{held.center.name}入库保管",
        )
    refs = [p.store() for p in details.photos]  # everything is checked: files go to the store now
    custody = Custody(
        source=source,
        capture_id=capture_id,
        vehicle_id=vehicle.id,
        center_id=center_id,
        court_id=court_id,
        case_id=case_id,
        watch_id=watch_id,
        status=CustodyStatus.IN_CUSTODY,
        vehicle_class=vehicle_class_of(vehicle),
        taken_in_at=taken_in_at,
        taken_in_by=actor.label,
        custodian_name=details.custodian_name,
        storage_from=storage_from,
        bay=details.bay,
        odometer_km=details.odometer_km,
        fuel_percent=details.fuel_percent,
        charge_percent=details.charge_percent,
        keys_received=details.keys_received,
        papers=details.papers,
        belongings=details.belongings,
        condition_notes=details.condition_notes,
        signatures=details.signatures,
    )
    session.add(custody)
    session.flush()
    for position, (photo, ref) in enumerate(zip(details.photos, refs, strict=True)):
        session.add(
            CustodyPhoto(
                custody_id=custody.id,
                position=position,
                caption=photo.caption,
                evidence_ref=ref,
                size_bytes=len(photo.data),
            )
        )
    safe = key_safe(custody)
    labels = details.key_labels or [f"钥匙{n}" for n in range(1, details.keys_received + 1)]
    keys = [
        CustodyKey(custody_id=custody.id, number=n, label=label, holder=safe)
        for n, label in enumerate(labels, start=1)
    ]
    session.add_all(keys)
    link = append_link(
        session,
        custody,
        CustodyEventKind.INTAKE,
        actor=actor,
        at=taken_in_at,
        to_place=details.bay,
        keys_to=safe if keys else None,
        keys_count=details.keys_received,
        notes="入库" if source == CustodySource.CAPTURE else "自原系统导入",
    )
    link.key_moves.extend(CustodyKeyMove(key=k, from_holder=None, to_holder=safe) for k in keys)
    session.flush()
    session.refresh(custody)
    return custody


def _intake_details(data: IntakeIn, vehicle: Vehicle, actor: Principal, now: datetime) -> IntakeDetails:
    if data.fuel_percent is None and data.charge_percent is None:
        raise InvalidInput(
            "fuel_percent",
            "give the fuel level, or charge_percent for a new-energy car",
            zh="请填写油量；新能源车请填写电量",
        )
    if vehicle.plate_colour in NEV_COLOURS and data.charge_percent is None:
        raise InvalidInput(
            "charge_percent",
            f"{vehicle.plate} is a new-energy car: record its battery charge",
            zh=f"{vehicle.plate_as_written}是新能源车，请填写电池电量",
        )
    if len(set(data.papers)) != len(data.papers):
        raise InvalidInput("papers", "lists a paper twice", zh="同一证件重复勾选")
    if len(data.photos) < MIN_INTAKE_PHOTOS:
        raise InvalidInput(
            "photos",
            f"{len(data.photos)} given; at least {MIN_INTAKE_PHOTOS} (front, rear, both sides) are required",
            zh=f"只上传了 {len(data.photos)} 张；至少需要 {MIN_INTAKE_PHOTOS} 张（车头、车尾和两侧）",
        )
    photos = [
        checked_photo(f"photos[{i}].content_base64", p.caption, p.content_base64)
        for i, p in enumerate(data.photos)
    ]
    custodian = data.custodian_name.strip()
    if not custodian:
        raise InvalidInput("custodian_name", "is empty", zh="不能为空")
    labels = [label.strip() for label in data.key_labels]
    if labels and len(labels) != data.keys_received:
        raise InvalidInput(
            "key_labels",
            f"names {len(labels)} keys but {data.keys_received} were received; name each or none",
            zh=f"钥匙名称有{len(labels)}个，随车钥匙{data.keys_received}把：逐把填写或都不填",
        )
    if any(not label for label in labels) or len(set(labels)) != len(labels):
        raise InvalidInput("key_labels", "each key needs its own label", zh="每把钥匙的名称须各不相同")
    return IntakeDetails(
        bay=data.bay.strip(),
        keys_received=data.keys_received,
        key_labels=labels,
        custodian_name=custodian,
        odometer_km=data.odometer_km,
        fuel_percent=data.fuel_percent,
        charge_percent=data.charge_percent,
        papers=[str(p) for p in data.papers],
        belongings=[b.model_dump() for b in data.belongings],
        condition_notes=data.condition_notes.strip(),
        # The custodian signs the record at intake; the officer adds a signature later (sign_record).
        signatures=[
            {
                "role": SignerRole.CUSTODIAN,
                "name": custodian,
                "signed_at": now.isoformat(),
                "recorded_by": actor.label,
            }
        ],
        photos=photos,
    )


def take_in(session: Session, *, actor: Principal, capture: Capture, data: IntakeIn) -> Custody:
    """Take an arrived capture into the center's custody (入库); only the destination center's staff."""
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != capture.destination_center_id:
        raise Forbidden(
            f"only the staff of {capture.destination.name} take this car in",
            zh=f"只有{capture.destination.name}的工作人员才能办理此车辆入库",
        )
    lock_vehicle(session, capture.vehicle_id)
    session.refresh(capture)
    if capture.status != CaptureStatus.ARRIVED:
        if capture.status == CaptureStatus.IN_TRANSIT:
            raise capture_transitions.CaptureStateConflict(
                f"capture {capture.id} has not arrived: record its arrival first "
                f"(POST /api/captures/{capture.id}/arrive)",
                zh="车辆尚未登记运抵，请先登记运抵",
            )
        raise capture_transitions.CaptureStateConflict(
            f"capture {capture.id} is {capture.status}: it was taken in already",
            zh=f"此扣押当前为“{capture_transitions.status_zh(capture.status)}”状态，不能办理入库",
        )
    now = clock.now()
    taken_in_at = reported_instant(data.taken_in_at, "taken_in_at") if data.taken_in_at else now
    assert capture.arrived_at is not None
    if taken_in_at < capture.arrived_at:
        raise InvalidInput(
            "taken_in_at",
            f"{taken_in_at.isoformat()} is before the arrival "
            f"({clock.as_utc(capture.arrived_at).isoformat()})",
            zh=f"入库时间（{zh.minute(taken_in_at)}）早于运抵时间（{zh.minute(capture.arrived_at)}）",
        )
    details = _intake_details(data, capture.vehicle, actor, now)
    storage_from = clock.local(taken_in_at).date()
    # The towing tariff is looked up before anything is written: no tariff, nothing stored.
    costs.tariff_on(session, capture.destination_center_id, vehicle_class_of(capture.vehicle), storage_from)

    custody = open_custody(
        session,
        actor=actor,
        source=CustodySource.CAPTURE,
        vehicle=capture.vehicle,
        center_id=capture.destination_center_id,
        court_id=capture.court_id,
        case_id=capture.case_id,
        watch_id=capture.watch_id,
        capture_id=capture.id,
        taken_in_at=taken_in_at,
        storage_from=storage_from,
        details=details,
    )
    capture_transitions.move(capture, "take_in")
    towing = costs.charge_towing(session, actor=actor, custody=custody, distance_km=capture.distance_km)
    when = f"{zh.month_day(taken_in_at)}"
    plate = capture.vehicle.plate
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.taken_in",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "custody_id": custody.id,
                "capture_id": capture.id,
                "plate": plate,
                "center_id": custody.center_id,
                "bay": custody.bay,
                "taken_in_at": taken_in_at,
                "odometer_km": custody.odometer_km,
                "fuel_percent": custody.fuel_percent,
                "charge_percent": custody.charge_percent,
                "keys_received": custody.keys_received,
                "papers": custody.papers,
                "belongings": custody.belongings,
                "photos": [p.evidence_ref for p in custody.photos],
                "towing_fen": towing.amount_fen,
            },
            parties=(custody.court_id, custody.center_id),
            notices=(
                Notice(
                    OFFICER,
                    capture.watch_id,
                    f"被扣押车辆{plate}已于{when}入库{custody.center.name}（车位{custody.bay}），"
                    "待检测、询价后依法处置。",
                    f"custody-taken-in:{custody.id}",
                ),
                Notice(
                    APPLICANTS,
                    capture.watch_id,
                    f"被执行人名下车辆{plate}已于{when}入库保管，法院将依法检测、确定参考价后拍卖。"
                    "保管、检测等费用由被执行人负担，从变价款中优先支付。",
                ),
            ),
            context={"capture_id": capture.id},
        ),
    )
    return custody


def sign_record(session: Session, *, actor: Principal, custody: Custody, data: SignatureIn) -> Custody:
    """Add a signature to the seizure record: officers of the court sign as officer, the center's staff
    as custodian or for a witness present (查封规定 Art. 18); one signature per role and name."""
    if data.role == SignerRole.OFFICER:
        allowed = actor.role == Role.OFFICER and actor.organisation_id == custody.court_id
    else:
        allowed = actor.role == Role.CENTER_STAFF and actor.organisation_id == custody.center_id
    if not allowed:
        raise Forbidden(
            f"a {data.role} signature is recorded by "
            f"{'the court' if data.role == SignerRole.OFFICER else 'the center'} holding the car",
            zh="执行人员的签名由扣押车辆的法院登记"
            if data.role == SignerRole.OFFICER
            else "保管人和到场人员的签名由保管车辆的辅助中心登记",
        )
    session.execute(select(Custody.id).where(Custody.id == custody.id).with_for_update())
    session.refresh(custody)
    name = data.name.strip()
    if not name:
        raise InvalidInput("name", "is empty", zh="不能为空")
    if any(s["role"] == data.role and s["name"] == name for s in custody.signatures):
        return custody  # signed already: a retry changes nothing
    custody.signatures = [
        *custody.signatures,
        {"role": data.role, "name": name, "signed_at": clock.now().isoformat(), "recorded_by": actor.label},
    ]
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.record_signed",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            reason=RULE_RECORD,
            data={"custody_id": custody.id, "role": data.role, "name": name},
        ),
    )
    return custody


def seizure_record(session: Session, custody: Custody) -> dict[str, Any]:
    """The seizure record (扣押笔录) produced from the capture and the intake (查封规定 Art. 18)."""
    capture = session.get(Capture, custody.capture_id) if custody.capture_id else None
    signed = {s["role"] for s in custody.signatures}
    missing = [r for r in (SignerRole.OFFICER, SignerRole.CUSTODIAN) if r not in signed]
    vehicle = custody.vehicle
    kind = vehicle.vehicle_type or "机动车"
    place = (
        capture.address if capture and capture.address else (custody.center.address or custody.center.name)
    )
    papers = [PAPER_NAMES.get(p, p) for p in custody.papers]  # type: ignore[call-overload]
    started = capture.captured_at if capture else None
    lines = [
        "扣押笔录",
        f"执行措施开始时间：{_local(started) if started else '（导入，无扣押记录）'}",
        f"执行措施完成时间：{_local(custody.taken_in_at)}",
        f"财产所在地：{place}；现存放于{custody.center.name}（车位{custody.bay}）",
        f"财产种类、数量：{kind}一辆，号牌{vehicle.plate}"
        + (f"，车辆识别代号{vehicle.vin}" if vehicle.vin else ""),
        f"随车钥匙{custody.keys_received}把；随车证件：{'、'.join(papers) or '无'}",
        "随车物品：" + ("；".join(f"{b['item']}×{b['quantity']}" for b in custody.belongings) or "无"),
        f"保管人：{custody.custodian_name}（{custody.center.name}）",
        f"车况：{custody.condition_notes or '见入库照片'}",
        "签名：" + "；".join(f"{_signer(s['role'])} {s['name']}" for s in custody.signatures),
    ]
    if missing:
        lines.append("待签名：" + "、".join(_signer(r) for r in missing))
    return {
        "custody_id": custody.id,
        "started_at": started,
        "completed_at": custody.taken_in_at,
        "place": place,
        "property_kind": kind,
        "quantity": 1,
        "plate": vehicle.plate,
        "vin": vehicle.vin,
        "custodian": custody.custodian_name,
        "custodian_organisation": custody.center.name,
        "keys": custody.keys_received,
        "papers": papers,
        "belongings": custody.belongings,
        "condition_notes": custody.condition_notes,
        "signatures": custody.signatures,
        "missing_signatures": missing,
        "text": "\n".join(lines),
    }


def _local(instant: datetime) -> str:
    return f"{zh.minute(instant)}"


def _signer(role: str) -> str:
    return {"officer": "执行人员", "custodian": "保管人", "witness": "到场人员"}.get(role, role)


# Who sees a custody: the court that holds the car and the center that keeps it.
CUSTODY = Scope(
    Custody,
    "custody",
    {Role.OFFICER: [own(Custody.court_id)], Role.CENTER_STAFF: [own(Custody.center_id)]},
    noun_zh="保管记录",
)


def sees(actor: Principal, custody: Custody) -> bool:
    """Whether the caller's work involves the custody: its court, its center, an admin."""
    return CUSTODY.allows(actor, custody)


def visible_custody(session: Session, actor: Principal, custody_id: int) -> Custody:
    """The custody if the caller's work involves it (its court, its center, an admin); NotFound otherwise."""
    return CUSTODY.load(session, actor, custody_id)


def lock_custody(session: Session, custody: Custody) -> None:
    """Changes to one custody happen one at a time; the custody is re-read under the lock."""
    session.execute(select(Custody.id).where(Custody.id == custody.id).with_for_update())
    session.refresh(custody)


def custody_of_capture(session: Session, capture_id: int) -> Custody | None:
    return session.scalar(select(Custody).where(Custody.capture_id == capture_id))


def list_custody(
    session: Session, actor: Principal, *, status: CustodyStatus | None, limit: int, offset: int
) -> list[Custody]:
    query = CUSTODY.select(actor)
    if status is not None:
        query = query.where(Custody.status == status)
    return list(session.scalars(query.order_by(Custody.id.desc()).limit(limit).offset(offset)))


def intake_photo(session: Session, actor: Principal, custody_id: int, position: int) -> tuple[bytes, str]:
    """One intake photo of a custody the caller sees, and its media type; NotFound otherwise."""
    held = visible_custody(session, actor, custody_id)
    return photo_at(held.photos, position, of=f"custody {custody_id}")

"""Capture verbs: a police unit reports a seized car (扣押); the car arrives at its auxiliary center.

A report is checked whole before anything is written: a malformed field is a 422, a car with no watch or
no center to take it is a 409, and in both cases nothing is stored. The report number is the report's
identity: the same report again returns the first capture and changes nothing.

A report whose place cannot be right (far outside the unit's area, or far from the center) is stored
but held: no transport leg, no tow distance, the center not told, until ``confirm_place``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures import notices, transitions
from car_enforce.captures.destination import (
    Destination,
    PlaceCheck,
    area_of,
    check_place,
    destination_for,
    expected_arrival,
)
from car_enforce.captures.models import Capture, CapturePhoto, CaptureStatus
from car_enforce.captures.schemas import ArrivalIn, CaptureReport, PlaceConfirmationIn
from car_enforce.core import clock, events, zh
from car_enforce.core.access import Scope, is_not, own
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput
from car_enforce.core.events import OFFICER, DomainEvent, Notice
from car_enforce.core.files.photos import CheckedPhoto, checked_photo, photo_at
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.identity.models import Organisation, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.instants import reported_instant
from car_enforce.sightings import alerts
from car_enforce.sightings.reads import Place, checked_place
from car_enforce.vehicles.models import PlateColour, Vehicle, colour_zh
from car_enforce.vehicles.plates import normalise_plate
from car_enforce.vehicles.service import lock_vehicle
from car_enforce.vehicles.vin import check_vin
from car_enforce.watches import service as watches
from car_enforce.watches.models import Watch, WatchStatus

# A unit reports a capture within days of it; an older capture time is a slip of the date.
MAX_REPORT_AGE = timedelta(days=7)
NO_CENTER = "no auxiliary center is on record to take the car; an administrator must add one"
NO_CENTER_ZH = "平台上没有可接收车辆的辅助事务办理中心，请联系平台管理员添加"


@dataclass(frozen=True, slots=True)
class _Checked:
    """A report after every field was checked: what is stored, in the platform's normal forms."""

    number: str
    digest: str
    plate: str | None
    plate_colour: PlateColour | None
    vin: str | None
    captured_at: datetime
    departed_at: datetime
    place: Place
    address: str
    officers: list[dict[str, str]]
    belongings: list[str]
    notes: str
    photos: list[CheckedPhoto]


def _digest(data: CaptureReport) -> str:
    document = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(document.encode()).hexdigest()


def _check(data: CaptureReport) -> _Checked:
    """Every field of the report in its normal form; InvalidInput (422) naming the first bad field."""
    now = clock.now()
    captured_at = reported_instant(data.captured_at, "captured_at", max_age=MAX_REPORT_AGE)
    departed_at = (
        reported_instant(data.departed_at, "departed_at", max_age=MAX_REPORT_AGE)
        if data.departed_at
        else max(now, captured_at)
    )
    if departed_at < captured_at:
        raise InvalidInput(
            "departed_at",
            f"{departed_at.isoformat()} is before the capture ({captured_at.isoformat()})",
            zh=f"出发时间（{zh.minute(departed_at)}）早于扣押时间（{zh.minute(captured_at)}）",
        )
    officers = [{"name": o.name.strip(), "badge_number": o.badge_number.strip()} for o in data.officers]
    for i, officer in enumerate(officers):
        for key, value in officer.items():
            if not value:
                raise InvalidInput(f"officers[{i}].{key}", "is empty", zh="不能为空")
    plate = data.plate.strip() if data.plate else ""
    vin = data.vin.strip() if data.vin else ""
    return _Checked(
        number=data.report_number.strip(),
        digest=_digest(data),
        plate=normalise_plate(plate, "plate") if plate else None,
        plate_colour=data.plate_colour,
        vin=check_vin(vin, "vin").vin if vin else None,
        captured_at=captured_at,
        departed_at=departed_at,
        place=checked_place(data.place.lon, data.place.lat, data.place.datum, "place"),
        address=data.place.address.strip(),
        officers=officers,
        belongings=[b.strip() for b in data.handover.belongings if b.strip()],
        notes=data.handover.notes.strip(),
        photos=[
            checked_photo(f"photos[{i}].content_base64", p.caption, p.content_base64)
            for i, p in enumerate(data.photos)
        ],
    )


def _described(plate: str | None, vin: str | None) -> str:
    return " / ".join(x for x in (f"plate {plate}" if plate else "", f"VIN {vin}" if vin else "") if x)


def _described_zh(plate: str | None, vin: str | None) -> str:
    return "、".join(x for x in (f"号牌{plate}" if plate else "", f"车架号{vin}" if vin else "") if x)


def _colours_zh(vehicles: list[Vehicle]) -> str:
    return "、".join(colour_zh(v.plate_colour) for v in vehicles)


def _find_vehicle(
    session: Session, plate: str | None, colour: PlateColour | None, vin: str | None
) -> Vehicle:
    """The car the report names, by plate (and colour) and/or VIN; Conflict when none or they disagree."""
    by_plate: Vehicle | None = None
    if plate is not None:
        carrying = list(session.scalars(select(Vehicle).where(Vehicle.plate == plate).order_by(Vehicle.id)))
        if colour is not None:
            by_plate = next((v for v in carrying if v.plate_colour == colour), None)
            if by_plate is None and carrying and vin is None:
                known = ", ".join(v.plate_colour for v in carrying)
                raise Conflict(
                    f"plate {plate} is on the platform as a {known} plate, not {colour}; no watch matches",
                    zh=f"号牌{plate}在平台登记的是{_colours_zh(carrying)}，不是{colour_zh(colour)}，没有与之对应的布控",
                )
        elif len(carrying) == 1:
            by_plate = carrying[0]
        elif len(carrying) > 1:
            known = ", ".join(v.plate_colour for v in carrying)
            raise Conflict(
                f"several vehicles carry plate {plate} ({known}); give plate_colour",
                zh=f"平台上有多辆车使用号牌{plate}（{_colours_zh(carrying)}），请注明号牌颜色",
            )
    by_vin = session.scalar(select(Vehicle).where(Vehicle.vin == vin)) if vin is not None else None
    if by_plate is not None and by_vin is not None and by_plate.id != by_vin.id:
        raise Conflict(
            f"plate {plate} and VIN {vin} belong to different vehicles; check both",
            zh=f"号牌{plate}与车架号{vin}分属平台上的两辆车，请核对号牌和车架号",
        )
    if by_plate is not None and vin is not None and by_plate.vin not in (None, vin):
        raise Conflict(
            f"plate {plate} is registered with another VIN than {vin}; check both",
            zh=f"号牌{plate}在平台登记的车架号不是{vin}，请核对号牌和车架号",
        )
    # A debtor hiding a car may put other plates on it: the VIN, when it matches, names the car.
    found = by_vin or by_plate
    if found is None:
        raise Conflict(
            f"no watch matches {_described(plate, vin)}: the vehicle is not on the platform",
            zh=f"没有与{_described_zh(plate, vin)}对应的布控：平台上没有这辆车",
        )
    return found


def _replayed(capture: Capture, digest: str) -> Capture:
    if capture.report_digest != digest:
        raise Conflict(
            f"report number {capture.report_number} was used for capture {capture.id} with different "
            "content; a new report needs a new number",
            zh=f"扣押报告编号{capture.report_number}已用于内容不同的另一份报告，新报告须使用新编号",
        )
    return capture


def _by_number(session: Session, organisation_id: int, number: str) -> Capture | None:
    return session.scalar(
        select(Capture).where(
            Capture.reporter_organisation_id == organisation_id, Capture.report_number == number
        )
    )


def _watch_to_fulfil(session: Session, vehicle: Vehicle) -> tuple[Watch, list[Watch]]:
    """The active watch on the car, else the earliest queued one; and the queued watches that stay."""
    live = list(
        session.scalars(
            select(Watch)
            .where(Watch.vehicle_id == vehicle.id, Watch.status.in_([WatchStatus.ACTIVE, WatchStatus.QUEUED]))
            .order_by(Watch.issued_at, Watch.id)
        )
    )
    if not live:
        raise Conflict(
            f"no watch matches plate {vehicle.plate}: it has no active or queued watch",
            zh=f"车辆{vehicle.plate_as_written}没有布控中或轮候的布控",
        )
    first = next((w for w in live if w.status == WatchStatus.ACTIVE), live[0])
    return first, [w for w in live if w.id != first.id]


def report_capture(session: Session, *, actor: Principal, data: CaptureReport) -> tuple[Capture, bool]:
    """Record a police unit's capture of a watched car; (capture, False) for a replay of the same report."""
    if actor.organisation_id is None:
        raise Forbidden(
            "only a police unit's key can report a capture", zh="只有公安交警单位的密钥才能报送扣押"
        )
    number = data.report_number.strip()
    earlier = _by_number(session, actor.organisation_id, number)
    if earlier is not None:  # before the checks: a retry days later is still the same report
        return _replayed(earlier, _digest(data)), False
    if not number:
        raise InvalidInput("report_number", "is empty", zh="不能为空")
    checked = _check(data)
    vehicle = _find_vehicle(session, checked.plate, checked.plate_colour, checked.vin)
    lock_vehicle(session, vehicle.id)
    # Under the lock: a concurrent copy of this report may have committed while this one waited.
    earlier = _by_number(session, actor.organisation_id, number)
    if earlier is not None:
        return _replayed(earlier, checked.digest), False
    held = session.scalar(
        select(Capture).where(Capture.vehicle_id == vehicle.id, Capture.status.in_(transitions.HELD))
    )
    if held is not None:
        raise Conflict(
            f"{vehicle.plate} was captured already (capture {held.id}, reported by {held.reporter.name}, "
            f"{held.status})",
            zh=f"车辆{vehicle.plate_as_written}已被扣押（由{held.reporter.name}报送，"
            f"{transitions.status_zh(held.status)}）",
        )
    watch, queued = _watch_to_fulfil(session, vehicle)
    if data.watch_id is not None:
        named = session.get(Watch, data.watch_id)
        if named is None or named.vehicle_id != vehicle.id:
            raise Conflict(
                f"watch {data.watch_id} is not a watch on {vehicle.plate}; check the plate and the id",
                zh=f"所填布控不是对车辆{vehicle.plate_as_written}的布控，请核对号牌和布控编号",
            )
    area = area_of(session, checked.place.lon, checked.place.lat)
    destination = destination_for(session, checked.place.lon, checked.place.lat, area)
    if destination is None:
        raise Conflict(NO_CENTER, zh=NO_CENTER_ZH)
    unit = session.get(Organisation, actor.organisation_id)
    assert unit is not None
    check = check_place(
        session, unit=unit, lon=checked.place.lon, lat=checked.place.lat, area=area, destination=destination
    )
    # A doubtful place is stored (the report is evidence, the car is seized) but starts no transport leg:
    # a distance measured from it would be billed to the debtor at intake.
    doubtful = check.doubtful
    distance = None if doubtful else destination.distance_km

    # Everything is checked: from here on the report is stored.
    photos = [(p, p.store()) for p in checked.photos]
    capture = Capture(
        reporter_organisation_id=actor.organisation_id,
        report_number=checked.number,
        reported_by=actor.label,
        report_digest=checked.digest,
        reported_at=clock.now(),
        vehicle_id=vehicle.id,
        watch_id=watch.id,
        case_id=watch.case_id,
        court_id=watch.court_id,
        plate_reported=data.plate.strip() if data.plate else None,
        vin_reported=checked.vin,
        captured_at=checked.captured_at,
        lon=checked.place.lon,
        lat=checked.place.lat,
        datum_in=checked.place.datum_in,
        address=checked.address,
        jurisdiction_id=area[0] if area else None,
        officers=checked.officers,
        registration_certificate=data.handover.registration_certificate,
        keys=data.handover.keys,
        belongings=checked.belongings,
        handover_notes=checked.notes,
        status=CaptureStatus.HELD if doubtful else CaptureStatus.IN_TRANSIT,
        destination_center_id=destination.center_id,
        designated=destination.designated,
        distance_km=distance,
        departed_at=checked.departed_at,
        expected_arrival_at=expected_arrival(checked.departed_at, distance),
        hold_reason=check.reason,
    )
    session.add(capture)
    session.flush()
    for position, (photo, ref) in enumerate(photos):
        session.add(
            CapturePhoto(
                capture_id=capture.id,
                position=position,
                caption=photo.caption,
                evidence_ref=ref,
                size_bytes=len(photo.data),
            )
        )
    session.flush()
    session.refresh(capture)  # the photos, the vehicle and the center, as the response shows them

    told = notices.of_hold(session, capture, check) if doubtful else notices.of_capture(session, capture)
    _record_report(session, actor, capture, watch, destination, area, check, told)
    watches.fulfil_watch(session, actor=actor, watch=watch, capture_id=capture.id, reason="车辆已被扣押")
    alerts.close_alerts_of_watch(
        session, actor=actor, watch_id=watch.id, reason=f"车辆已被扣押（扣押#{capture.id}）"
    )
    for other in queued:
        notices.tell_queued_court(session, actor, capture, other, watch)
    return capture, True


def _record_report(
    session: Session,
    actor: Principal,
    capture: Capture,
    watch: Watch,
    destination: Destination,
    area: list[int],
    check: PlaceCheck,
    told: tuple[Notice, ...],
) -> None:
    """The report on the timeline: ``capture.reported``, or ``capture.held`` when its place is in doubt.

    A held report has its own kind so that nobody acting on ``capture.reported`` (a center's yard system
    expecting the car) acts on it; the center hears of it with ``capture.place_confirmed``.
    """
    held = capture.status == CaptureStatus.HELD
    # A held capture goes to the reporting unit, whose place is in doubt, and not yet to the center.
    party = capture.reporter_organisation_id if held else destination.center_id
    events.record(
        session,
        actor,
        DomainEvent(
            kind="capture.held" if held else "capture.reported",
            subject=f"capture:{capture.id}",
            case_id=watch.case_id,
            reason=capture.hold_reason,
            data={
                "capture_id": capture.id,
                "report_number": capture.report_number,
                "reporter_organisation_id": capture.reporter_organisation_id,
                "watch_id": watch.id,
                "plate": capture.vehicle.plate,
                "captured_at": capture.captured_at,
                "place": _place_data(session, capture),
                "officers": capture.officers,
                "handover": {
                    "registration_certificate": capture.registration_certificate,
                    "keys": capture.keys,
                    "belongings": capture.belongings,
                },
                "photos": [p.evidence_ref for p in capture.photos],
                "status": capture.status,
                "destination_center_id": destination.center_id,
                "destination": capture.destination.name,
                "designated": destination.designated,
                "distance_km": capture.distance_km,
                "departed_at": capture.departed_at,
                "expected_arrival_at": capture.expected_arrival_at,
                "hold_reason": capture.hold_reason,
                "place_check": check.as_data(),
            },
            parties=(watch.court_id, party),
            notices=told,
        ),
    )


def _place_data(session: Session, capture: Capture) -> dict[str, object]:
    jurisdiction = session.get(Jurisdiction, capture.jurisdiction_id) if capture.jurisdiction_id else None
    return {
        "lon": capture.lon,
        "lat": capture.lat,
        "datum_in": capture.datum_in,
        "address": capture.address,
        "jurisdiction": jurisdiction.code if jurisdiction else None,
    }


def _may_record_arrival(actor: Principal, capture: Capture) -> bool:
    if actor.role == Role.CENTER_STAFF:
        return actor.organisation_id == capture.destination_center_id
    if actor.role == Role.POLICE_ADAPTER:
        return actor.organisation_id == capture.reporter_organisation_id
    return False


def record_arrival(session: Session, *, actor: Principal, capture: Capture, data: ArrivalIn) -> Capture:
    """The car reached its center: the transport leg ends. Only the center or the reporting unit say so."""
    if not _may_record_arrival(actor, capture):
        raise Forbidden(
            f"only the staff of {capture.destination.name} or the reporting unit record the arrival",
            zh=f"只有{capture.destination.name}的工作人员或报送扣押的单位才能登记车辆运抵",
        )
    # One arrival per capture, even when the center and the unit press at the same moment.
    session.execute(select(Capture.id).where(Capture.id == capture.id).with_for_update())
    session.refresh(capture)
    if capture.status == CaptureStatus.HELD:
        raise transitions.CaptureStateConflict(
            f"capture {capture.id} is held for a check of its place ({capture.hold_reason}); its arrival is "
            "recorded once the reporting unit or the court's officer confirms or corrects the place: "
            f"POST /api/captures/{capture.id}/confirm-place",
            zh="此扣押的地点待核实，须由报送单位或法院执行干警确认或更正地点后，才能登记车辆运抵",
        )
    if not transitions.can("arrive", capture.status):
        arrived_zh = f"，已于{zh.minute(capture.arrived_at)}运抵" if capture.arrived_at else ""
        raise transitions.CaptureStateConflict(
            f"capture {capture.id} is {capture.status} since "
            f"{clock.local(capture.arrived_at).isoformat() if capture.arrived_at else '?'}; "
            "an arrival is recorded once",
            zh=f"此扣押当前为“{transitions.status_zh(capture.status)}”状态{arrived_zh}；车辆运抵只登记一次",
        )
    arrived_at = (
        reported_instant(data.arrived_at, "arrived_at", max_age=MAX_REPORT_AGE)
        if data.arrived_at
        else clock.now()
    )
    if arrived_at < capture.departed_at:
        raise InvalidInput(
            "arrived_at",
            f"{arrived_at.isoformat()} is before the car left "
            f"({clock.as_utc(capture.departed_at).isoformat()})",
            zh=f"运抵时间（{zh.minute(arrived_at)}）早于车辆出发时间（{zh.minute(capture.departed_at)}）",
        )
    transitions.move(capture, "arrive")
    capture.arrived_at, capture.arrival_recorded_by = arrived_at, actor.label
    session.flush()
    told = Notice(
        OFFICER,
        capture.watch_id,
        f"被扣押车辆{capture.vehicle.plate}已于{zh.month_day_time(arrived_at)}送达{capture.destination.name}。",
        f"capture-arrived:{capture.id}",
    )
    events.record(
        session,
        actor,
        DomainEvent(
            kind="capture.arrived",
            subject=f"capture:{capture.id}",
            case_id=capture.case_id,
            data={
                "capture_id": capture.id,
                "plate": capture.vehicle.plate,
                "status": capture.status,
                "destination_center_id": capture.destination_center_id,
                "departed_at": capture.departed_at,
                "arrived_at": arrived_at,
            },
            parties=(capture.court_id, capture.destination_center_id),
            notices=(told,),
        ),
    )
    return capture


def _may_confirm_place(actor: Principal, capture: Capture) -> bool:
    if actor.role == Role.OFFICER:
        return actor.organisation_id == capture.court_id
    if actor.role == Role.POLICE_ADAPTER:
        return actor.organisation_id == capture.reporter_organisation_id
    return False


def confirm_place(
    session: Session, *, actor: Principal, capture: Capture, data: PlaceConfirmationIn
) -> Capture:
    """Confirm or correct a held capture's place: the transport leg starts and the center is told."""
    if not _may_confirm_place(actor, capture):
        raise Forbidden(
            f"only {capture.reporter.name} or an officer of the court of the watch confirm the place",
            zh=f"只有{capture.reporter.name}或布控法院的执行干警才能确认扣押地点",
        )
    # One confirmation per capture, even when the unit and the officer press at the same moment.
    session.execute(select(Capture.id).where(Capture.id == capture.id).with_for_update())
    session.refresh(capture)
    if not transitions.can("confirm_place", capture.status):
        confirmed = (
            f"; its place was confirmed by {capture.place_confirmed_by} at "
            f"{clock.local(capture.place_confirmed_at).isoformat()}"
            if capture.place_confirmed_at is not None
            else "; its place was never held"
        )
        confirmed_zh = (
            f"，其地点已由{capture.place_confirmed_by}于{zh.minute(capture.place_confirmed_at)}确认"
            if capture.place_confirmed_at is not None
            else "，其地点从未待核实"
        )
        raise transitions.CaptureStateConflict(
            f"capture {capture.id} is {capture.status}{confirmed}: only a held capture's place is confirmed",
            zh=f"此扣押当前为“{transitions.status_zh(capture.status)}”状态"
            f"{confirmed_zh}；只有地点待核实的扣押才需确认地点",
        )
    before = _place_data(session, capture)
    if data.place is None:
        lon, lat, datum_in, address = capture.lon, capture.lat, capture.datum_in, capture.address
    else:
        place = checked_place(data.place.lon, data.place.lat, data.place.datum, "place")
        # A slip of the coordinates rarely comes with a wrong address: without a new one, it stays.
        address = data.place.address.strip() or capture.address
        lon, lat, datum_in = place.lon, place.lat, place.datum_in.value
    area = area_of(session, lon, lat)
    destination = destination_for(session, lon, lat, area)
    if destination is None:
        raise Conflict(NO_CENTER, zh=NO_CENTER_ZH)
    # Measured again for the record only: a person has vouched for this place, so it is not held twice.
    check = check_place(session, unit=capture.reporter, lon=lon, lat=lat, area=area, destination=destination)

    now = clock.now()
    transitions.move(capture, "confirm_place")
    capture.lon, capture.lat, capture.datum_in, capture.address = lon, lat, datum_in, address
    capture.jurisdiction_id = area[0] if area else None
    capture.destination_center_id = destination.center_id
    capture.designated = destination.designated
    capture.distance_km = destination.distance_km
    # The tow may have left long before the place was confirmed: the center is never given a time past.
    expected = expected_arrival(capture.departed_at, destination.distance_km)
    capture.expected_arrival_at = max(expected, now) if expected is not None else None
    capture.place_confirmed_at, capture.place_confirmed_by = now, actor.label
    session.flush()
    session.expire(capture, ["destination"])  # the center may have changed with the place

    events.record(
        session,
        actor,
        DomainEvent(
            kind="capture.place_confirmed",
            subject=f"capture:{capture.id}",
            case_id=capture.case_id,
            reason=data.note.strip(),
            data={
                "capture_id": capture.id,
                "plate": capture.vehicle.plate,
                "status": capture.status,
                "confirmed_by": actor.label,
                "as_reported": data.place is None,
                "note": data.note.strip(),
                "hold_reason": capture.hold_reason,
                "reported_place": before,
                "place": _place_data(session, capture),
                "place_check": check.as_data(),
                "destination_center_id": capture.destination_center_id,
                "destination": capture.destination.name,
                "designated": capture.designated,
                "distance_km": capture.distance_km,
                "departed_at": capture.departed_at,
                "expected_arrival_at": capture.expected_arrival_at,
            },
            parties=(capture.court_id, capture.destination_center_id, capture.reporter_organisation_id),
            notices=notices.of_capture(session, capture),
        ),
    )
    return capture


# Who sees a capture: its court, the center it goes to (not while its place is in doubt: a held capture's
# center is only the one its doubtful coordinates lead to), and the unit that reported it.
CAPTURES = Scope(
    Capture,
    "capture",
    {
        Role.OFFICER: [own(Capture.court_id)],
        Role.CENTER_STAFF: [own(Capture.destination_center_id), is_not(Capture.status, CaptureStatus.HELD)],
        Role.POLICE_ADAPTER: [own(Capture.reporter_organisation_id)],
    },
    noun_zh="扣押",
)


def visible_capture(session: Session, actor: Principal, capture_id: int) -> Capture:
    """The capture if the caller's work involves it; NotFound otherwise (its existence is not told)."""
    return CAPTURES.load(session, actor, capture_id)


def capture_photo(session: Session, actor: Principal, capture_id: int, position: int) -> tuple[bytes, str]:
    """One photo of a capture the caller sees (the unit's, taken at the roadside) and its media type;
    NotFound otherwise."""
    capture = visible_capture(session, actor, capture_id)
    return photo_at(capture.photos, position, of=f"capture {capture_id}")


def captures_of_case(session: Session, actor: Principal, case_id: int) -> list[Capture]:
    """The captures of one case the caller's work involves, oldest first."""
    query = CAPTURES.select(actor).where(Capture.case_id == case_id)
    return list(session.scalars(query.order_by(Capture.id)))


def list_captures(
    session: Session, actor: Principal, *, status: CaptureStatus | None, limit: int, offset: int
) -> list[Capture]:
    """The captures the caller's work involves, newest first."""
    query = CAPTURES.select(actor)
    if status is not None:
        query = query.where(Capture.status == status)
    return list(session.scalars(query.order_by(Capture.id.desc()).limit(limit).offset(offset)))

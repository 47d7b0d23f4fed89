"""A car found in a center's yard rather than brought by the police: taken into custody for the court
that holds it (an imported inventory, today; a walk-in surrender tomorrow).

The second way into custody beside ``service.take_in`` (a capture at the gate): the same custody, the
same checks that the car is not already held or on its way, and the watch it fulfils.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core import clock, zh
from car_enforce.core.errors import Conflict
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody, CustodySource
from car_enforce.custody.service import IntakeDetails, open_custody, open_custody_of
from car_enforce.vehicles.models import Vehicle
from car_enforce.vehicles.service import lock_vehicle
from car_enforce.watches import service as watches
from car_enforce.watches.models import Watch, WatchStatus


def holding_watch(session: Session, vehicle_id: int) -> Watch | None:
    """The watch through which a court holds the car: the active one, else the fulfilled one (the car was
    captured for that court), else the first queued one (查封规定 Art. 26 orders courts by time)."""
    found = list(
        session.scalars(
            select(Watch)
            .where(
                Watch.vehicle_id == vehicle_id,
                Watch.status.in_([WatchStatus.ACTIVE, WatchStatus.FULFILLED, WatchStatus.QUEUED]),
            )
            .order_by(Watch.issued_at, Watch.id)
        )
    )
    for status in (WatchStatus.ACTIVE, WatchStatus.FULFILLED):
        held = [w for w in found if w.status == status]
        if held:
            return held[-1]
    return found[0] if found else None


def _local(instant: datetime) -> str:
    return f"{clock.local(instant):%Y-%m-%d %H:%M}"


def take_in_found(
    session: Session,
    *,
    actor: Principal,
    vehicle: Vehicle,
    center_id: int,
    taken_in_at: datetime,
    storage_from: date,
    details: IntakeDetails,
    why: str,
) -> tuple[Custody, Watch]:
    """Take a car found in the yard into custody for the court holding it; Conflict, with the reason in
    plain words, when no court holds it, it is in custody already, or the police are bringing it in."""
    lock_vehicle(session, vehicle.id)
    watch = holding_watch(session, vehicle.id)
    if watch is None:
        raise Conflict(
            f"no court holds {vehicle.plate} (vehicle {vehicle.id}): it has no active, queued or fulfilled "
            "watch on the platform",
            zh=f"没有法院查控车辆{vehicle.plate_as_written}：平台上没有对它布控中、轮候或已查获的布控",
        )
    held = open_custody_of(session, vehicle.id)
    if held is not None:
        where = "this center's" if held.center_id == center_id else f"{held.center.name}'s"
        where_zh = "本中心" if held.center_id == center_id else held.center.name
        raise Conflict(
            f"{vehicle.plate} is already in {where} custody (custody {held.id}, since "
            f"{_local(held.taken_in_at)})",
            zh=f"车辆{vehicle.plate_as_written}已于{zh.minute(held.taken_in_at)}入库，现由{where_zh}保管",
        )
    capture = session.scalar(
        select(Capture).where(
            Capture.vehicle_id == vehicle.id,
            Capture.status.in_([CaptureStatus.HELD, CaptureStatus.IN_TRANSIT, CaptureStatus.ARRIVED]),
        )
    )
    if capture is not None:
        if capture.status == CaptureStatus.HELD:
            raise Conflict(
                f"{vehicle.plate} was captured by the police (capture {capture.id}), held until its "
                "reported place is confirmed: take it in through the capture once it is",
                zh=f"车辆{vehicle.plate_as_written}已被公安交警扣押，扣押地点待核实；地点确认后请按扣押记录办理入库",
            )
        where_zh = "正送往" if capture.status == CaptureStatus.IN_TRANSIT else "已运抵"
        raise Conflict(
            f"{vehicle.plate} was captured by the police (capture {capture.id}) and is "
            f"{'on its way to' if capture.status == CaptureStatus.IN_TRANSIT else 'at the gate of'} "
            f"{capture.destination.name}: take it in through the capture",
            zh=f"车辆{vehicle.plate_as_written}已被公安交警扣押，{where_zh}{capture.destination.name}："
            "请按扣押记录办理入库",
        )
    if watch.status in (WatchStatus.ACTIVE, WatchStatus.QUEUED):
        # The police would still be looking for a car that stands in the yard: the watch has done its job.
        watches.fulfil_watch(session, actor=actor, watch=watch, capture_id=None, reason=why)
    custody = open_custody(
        session,
        actor=actor,
        source=CustodySource.IMPORT,
        vehicle=vehicle,
        center_id=center_id,
        court_id=watch.court_id,
        case_id=watch.case_id,
        watch_id=watch.id,
        capture_id=None,
        taken_in_at=taken_in_at,
        storage_from=storage_from,
        details=details,
    )
    return custody, watch

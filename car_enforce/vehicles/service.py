"""Vehicle verbs: register a debtor's car in a case, reusing the platform's record of the same car once the
officer has seen and confirmed it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase, Party
from car_enforce.cases.service import debtor_of
from car_enforce.core import clock, events
from car_enforce.core.errors import Conflict, NotFound
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.principal import Principal
from car_enforce.vehicles import known
from car_enforce.vehicles.known import ConfirmKnownVehicle, VehicleIdentityConflict
from car_enforce.vehicles.models import CaseVehicle, Vehicle
from car_enforce.vehicles.plates import check_colour_and_type, parse_plate
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.vin import check_vin


def register_vehicle(
    session: Session, *, actor: Principal, case: EnforcementCase, data: VehicleCreate
) -> CaseVehicle:
    """Put a debtor's car on a case (or find it there already): see ``register_or_replay``."""
    return register_or_replay(session, actor=actor, case=case, data=data)[0]


def register_or_replay(
    session: Session, *, actor: Principal, case: EnforcementCase, data: VehicleCreate
) -> tuple[CaseVehicle, bool]:
    """Put a debtor's car on a case; True when it was put there now, False when the same registration was
    made before (the same car, owner and VIN: nothing changes).

    The same physical car (plate and colour) is one row platform-wide, so that watches of several courts on
    it queue behind each other (查封规定 Art. 26). A plate the platform knows from other cases is shown to
    the officer (``ConfirmKnownVehicle``) and attached only when ``confirm_known_vehicle_id`` names it: a
    plate typed wrong, or another debtor's car, would otherwise join this case unseen. A VIN that
    contradicts the known car is refused outright (``VehicleIdentityConflict``) and never overwrites it.
    """
    owner = debtor_of(case, data.owner_party_id)
    info = parse_plate(data.plate, "plate")
    check_colour_and_type(info, data.plate_colour, data.plate_type)
    checked_vin = check_vin(data.vin, "vin") if data.vin else None
    vin = checked_vin.vin if checked_vin else None

    vehicle = session.scalar(
        select(Vehicle).where(Vehicle.plate == info.plate, Vehicle.plate_colour == data.plate_colour)
    )
    by_vin = session.scalar(select(Vehicle).where(Vehicle.vin == vin)) if vin else None
    if by_vin is not None and (vehicle is None or by_vin.id != vehicle.id):
        raise VehicleIdentityConflict(
            known.describe(session, by_vin, case=case, owner=owner, vin=vin, plate_differs=True)
        )
    confirmed = data.confirm_known_vehicle_id
    if confirmed is not None and (vehicle is None or confirmed != vehicle.id):
        raise Conflict(
            f"{known.CONFIRM_FIELD} {confirmed} is not the platform's car with plate {info.plate}: "
            "register again and confirm the car shown",
            field="plate",
            zh="所确认的车辆不是该号牌在平台登记的车辆，请重新登记并确认显示的车辆",
        )
    if vehicle is None:
        vehicle = Vehicle(
            plate=info.plate,
            plate_as_written=data.plate.strip(),
            plate_colour=data.plate_colour,
            plate_type=data.plate_type,
            vin=vin,
            vin_needs_review=checked_vin.needs_review if checked_vin else False,
            description=data.description.strip(),
            vehicle_type=data.vehicle_type.strip(),
            created_at=clock.now(),
        )
        session.add(vehicle)
        session.flush()
        return _link(session, actor, case, vehicle, owner, known_elsewhere=False), True

    seen = known.describe(session, vehicle, case=case, owner=owner, vin=vin)
    if "vin" in seen.differences:
        raise VehicleIdentityConflict(seen)
    existing = session.scalar(
        select(CaseVehicle).where(CaseVehicle.case_id == case.id, CaseVehicle.vehicle_id == vehicle.id)
    )
    if existing is not None:
        if existing.owner_party_id != owner.id or "vin_added" in seen.differences:
            raise Conflict(
                f"vehicle {info.plate} is already on case {case.case_number} (id {existing.id}) "
                "with another owner or without this VIN",
                field="plate",
                zh="该车辆已登记在本案，所有人或车架号与本次填写的不同",
            )
        return existing, False
    if seen.other_cases and confirmed != vehicle.id:
        raise ConfirmKnownVehicle(seen)
    if checked_vin is not None and vehicle.vin is None:
        vehicle.vin, vehicle.vin_needs_review = checked_vin.vin, checked_vin.needs_review
    if not vehicle.vehicle_type and data.vehicle_type.strip():
        vehicle.vehicle_type = data.vehicle_type.strip()  # a later case may know what an earlier one did not
    return _link(session, actor, case, vehicle, owner, known_elsewhere=bool(seen.other_cases)), True


def _link(
    session: Session,
    actor: Principal,
    case: EnforcementCase,
    vehicle: Vehicle,
    owner: Party,
    *,
    known_elsewhere: bool,
) -> CaseVehicle:
    link = CaseVehicle(
        case_id=case.id, vehicle_id=vehicle.id, owner_party_id=owner.id, registered_at=clock.now()
    )
    session.add(link)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="vehicle.registered",
            subject=f"vehicle:{vehicle.id}",
            case_id=case.id,
            data={
                "plate": vehicle.plate,
                "plate_colour": vehicle.plate_colour,
                "vin": vehicle.vin,
                "vin_needs_review": vehicle.vin_needs_review,
                "owner_party_id": owner.id,
                # The officer was shown the car's other cases and confirmed it is this debtor's car.
                "known_elsewhere_confirmed": known_elsewhere,
            },
        ),
    )
    return link


def vehicles_of_case(session: Session, case: EnforcementCase) -> list[CaseVehicle]:
    return list(
        session.scalars(select(CaseVehicle).where(CaseVehicle.case_id == case.id).order_by(CaseVehicle.id))
    )


def case_vehicle(session: Session, case: EnforcementCase, vehicle_id: int) -> CaseVehicle:
    link = session.scalar(
        select(CaseVehicle).where(CaseVehicle.case_id == case.id, CaseVehicle.vehicle_id == vehicle_id)
    )
    if link is None:
        raise NotFound(f"vehicle {vehicle_id} is not on case {case.case_number}", zh="本案没有登记此车辆")
    return link


def lock_vehicle(session: Session, vehicle_id: int) -> None:
    """Changes to one car (its watches, its custody) happen one at a time.

    Two courts issuing at once, a lift racing the lapse sweep, or two captures of one car would otherwise
    each see the car free. SQLite serialises writers at BEGIN IMMEDIATE already; on PostgreSQL this is a
    row lock on the vehicle, held to the end of the transaction.
    """
    session.execute(select(Vehicle.id).where(Vehicle.id == vehicle_id).with_for_update())

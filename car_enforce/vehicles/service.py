"""Vehicle verbs: register a debtor's car in a case, reusing the platform's record of the same car."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase
from car_enforce.cases.service import debtor_of
from car_enforce.core import clock, events
from car_enforce.core.errors import Conflict, NotFound
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.principal import Principal
from car_enforce.vehicles.models import CaseVehicle, Vehicle
from car_enforce.vehicles.plates import check_colour_and_type, parse_plate
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.vin import check_vin


def register_vehicle(
    session: Session, *, actor: Principal, case: EnforcementCase, data: VehicleCreate
) -> CaseVehicle:
    """Put a debtor's car on a case. The same physical car (plate and colour) is one row platform-wide,
    so that watches of several courts on it queue behind each other (查封规定 Art. 26)."""
    owner = debtor_of(case, data.owner_party_id)
    info = parse_plate(data.plate, "plate")
    check_colour_and_type(info, data.plate_colour, data.plate_type)
    vin = check_vin(data.vin, "vin") if data.vin else None

    vehicle = session.scalar(
        select(Vehicle).where(Vehicle.plate == info.plate, Vehicle.plate_colour == data.plate_colour)
    )
    by_vin = session.scalar(select(Vehicle).where(Vehicle.vin == vin.vin)) if vin else None
    if by_vin is not None and (vehicle is None or by_vin.id != vehicle.id):
        raise Conflict(
            f"VIN {vin.vin if vin else ''} is already registered with plate {by_vin.plate}; "
            "check the plate and the VIN"
        )
    if vehicle is None:
        vehicle = Vehicle(
            plate=info.plate,
            plate_as_written=data.plate.strip(),
            plate_colour=data.plate_colour,
            plate_type=data.plate_type,
            vin=vin.vin if vin else None,
            vin_needs_review=vin.needs_review if vin else False,
            description=data.description.strip(),
            vehicle_type=data.vehicle_type.strip(),
            created_at=clock.now(),
        )
        session.add(vehicle)
        session.flush()
    elif vin is not None and vehicle.vin not in (None, vin.vin):
        raise Conflict(f"plate {info.plate} is registered with another VIN; check the VIN")
    elif vin is not None and vehicle.vin is None:
        vehicle.vin, vehicle.vin_needs_review = vin.vin, vin.needs_review
    if not vehicle.vehicle_type and data.vehicle_type.strip():
        vehicle.vehicle_type = data.vehicle_type.strip()  # a later case may know what an earlier one did not

    existing = session.scalar(
        select(CaseVehicle).where(CaseVehicle.case_id == case.id, CaseVehicle.vehicle_id == vehicle.id)
    )
    if existing is not None:
        raise Conflict(f"vehicle {info.plate} is already on case {case.case_number} (id {existing.id})")
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
        raise NotFound(f"vehicle {vehicle_id} is not on case {case.case_number}")
    return link


def lock_vehicle(session: Session, vehicle_id: int) -> None:
    """Changes to one car (its watches, its custody) happen one at a time.

    Two courts issuing at once, a lift racing the lapse sweep, or two captures of one car would otherwise
    each see the car free. SQLite serialises writers at BEGIN IMMEDIATE already; on PostgreSQL this is a
    row lock on the vehicle, held to the end of the transaction.
    """
    session.execute(select(Vehicle.id).where(Vehicle.id == vehicle_id).with_for_update())

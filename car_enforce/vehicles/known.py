"""A plate (or VIN) the platform already knows: the known car as the officer registering it may see it, and
the two refusals that show it, one to confirm and one to correct.

What the officer is shown of another court's case follows DESIGN §7 (each role sees what its work needs):
the court, its phone and the case number, so that the officer can tell whether this is the same matter and
call the court whose seizure the new watch will queue behind (查封规定 Art. 26); case numbers and courts are
public anyway (执行信息公开). The owner's name is masked as everywhere (first and last character), and whether
the owner is this case's debtor is a yes or no from comparing ID numbers, never the number itself. The debt,
the applicants, phones and the full VIN of another debtor's car stay with that court.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase, Party, PartyKind
from car_enforce.core.errors import Conflict
from car_enforce.core.identity.models import Organisation
from car_enforce.core.zh import mask_id_number, mask_name
from car_enforce.vehicles.models import CaseVehicle, Vehicle
from car_enforce.vehicles.schemas import KnownCaseOut, KnownVehicleOut

CONFIRM_FIELD = "confirm_known_vehicle_id"


def mask_vin(vin: str) -> str:
    """A VIN as the platform masks identifiers: its first and last four characters."""
    return mask_id_number(vin)


def describe(
    session: Session,
    vehicle: Vehicle,
    *,
    case: EnforcementCase,
    owner: Party,
    vin: str | None,
    plate_differs: bool = False,
) -> KnownVehicleOut:
    """The known car beside what the request says of it: its other cases, and what differs."""
    rows = session.execute(
        select(EnforcementCase, Party, Organisation)
        .join(CaseVehicle, CaseVehicle.case_id == EnforcementCase.id)
        .join(Party, Party.id == CaseVehicle.owner_party_id)
        .join(Organisation, Organisation.id == EnforcementCase.court_id)
        .where(CaseVehicle.vehicle_id == vehicle.id, CaseVehicle.case_id != case.id)
        .order_by(CaseVehicle.id)
    ).all()
    others = [
        KnownCaseOut(
            court=court.name,
            court_phone=court.contact_phone,
            case_number=other.case_number,
            owner_name_masked=mask_name(party.name, company=party.kind == PartyKind.COMPANY),
            same_owner=party.id_number == owner.id_number,
        )
        for other, party, court in rows
    ]
    differences = []
    if any(not c.same_owner for c in others):
        differences.append("owner")
    if plate_differs:
        differences.append("plate")
    if vin is not None and vehicle.vin is not None and vin != vehicle.vin:
        differences.append("vin")
    if vin is not None and vehicle.vin is None:
        differences.append("vin_added")
    return KnownVehicleOut(
        id=vehicle.id,
        plate=vehicle.plate,
        plate_as_written=vehicle.plate_as_written,
        plate_colour=vehicle.plate_colour,
        plate_type=vehicle.plate_type,
        vin_masked=mask_vin(vehicle.vin) if vehicle.vin else None,
        vin_matches=(vin == vehicle.vin) if vin is not None and vehicle.vin is not None else None,
        description=vehicle.description,
        vehicle_type=vehicle.vehicle_type,
        other_cases=others,
        differences=differences,
    )


class ConfirmKnownVehicle(Conflict):
    """The plate names a car other cases pursue: shown to the officer, attached only once confirmed."""

    def __init__(self, known: KnownVehicleOut) -> None:
        courts = len(known.other_cases)
        owner = "; its owner there is not this debtor" if "owner" in known.differences else ""
        super().__init__(
            f"plate {known.plate} is a car the platform knows (vehicle {known.id}), pursued in {courts} "
            f"other case(s){owner}: check that it is this debtor's car, then send "
            f"{CONFIRM_FIELD}={known.id} to attach it to this case",
            field="plate",
            zh=f"号牌{known.plate_as_written}的车辆已在其他{courts}件案件中登记，请核对是否为本案被执行人的车辆，"
            "确认后方登记到本案",
        )
        self.known = known

    def facts(self) -> dict[str, Any]:
        return {
            "known_vehicle": self.known.model_dump(mode="json"),
            "confirm_with": {CONFIRM_FIELD: self.known.id},
        }


class VehicleIdentityConflict(Conflict):
    """The plate and the VIN name two different cars (or the plate's car has another VIN). A car's VIN never
    changes while plates are reassigned, so this is refused whatever the officer confirms: attaching would
    pursue the wrong car, and a second record under one plate would give the police two cars they cannot
    tell apart."""

    def __init__(self, known: KnownVehicleOut) -> None:
        where = "、".join(f"{c.court}{c.case_number}" for c in known.other_cases)
        where = f"（该车辆在{where}中登记）" if where else ""
        if "plate" in known.differences:
            detail = (
                f"VIN {known.vin_masked} is registered with plate {known.plate}; a re-plated car keeps its "
                "VIN: check the plate and the VIN"
            )
            words = (
                f"该车架号已在平台登记为号牌{known.plate_as_written}的车辆{where}；车辆换牌后车架号不变，"
                "请核对号牌与车架号"
            )
        else:
            detail = (
                f"plate {known.plate} is registered with another VIN ({known.vin_masked}); a car's VIN "
                "never changes: check the VIN, and if the plate now belongs to another car, have an "
                "administrator correct the known car first"
            )
            words = (
                f"号牌{known.plate_as_written}在平台登记的车架号为{known.vin_masked}，与填写的不一致{where}；"
                "车架号不会改变，请核对车架号。如该号牌已重新核发给另一辆车，请联系平台管理员更正已登记车辆"
            )
        super().__init__(detail, field="vin", zh=words)
        self.known = known

    def facts(self) -> dict[str, Any]:
        return {"known_vehicle": self.known.model_dump(mode="json")}

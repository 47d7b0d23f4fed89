"""Request and response shapes for vehicles."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.core.db import RowId
from car_enforce.vehicles.models import PlateColour


class VehicleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=32, examples=["浙C12345"])
    plate_colour: PlateColour
    plate_type: str = Field(max_length=2, examples=["02"], description="号牌种类 code: 01, 02, 51, 52, 99, …")
    vin: str | None = Field(default=None, max_length=32)
    description: str = Field(default="", max_length=256, examples=["白色大众帕萨特轿车"])
    vehicle_type: str = Field(
        default="",
        max_length=32,
        examples=["小型轿车"],
        description="车辆类型 as on the registration (GA 802), told to the applicants",
    )
    owner_party_id: RowId = Field(description="The debtor of this case who owns the car")
    confirm_known_vehicle_id: RowId | None = Field(
        default=None,
        description="The id of the platform's known car with this plate, as a 409 `ConfirmKnownVehicle` "
        "showed it: attach that car to this case although other cases pursue it or its owner differs",
    )


class VehicleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plate: str
    plate_as_written: str
    plate_colour: PlateColour
    plate_type: str
    vin: str | None
    vin_needs_review: bool
    description: str
    vehicle_type: str


class CaseVehicleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    owner_party_id: int
    registered_at: datetime
    vehicle: VehicleOut


class KnownCaseOut(BaseModel):
    """Another case that pursues a known car: what an officer needs to see it is another matter, and whom to
    call about the queue (查封规定 Art. 26). A case number and its court are public (执行信息公开); the
    debt, the applicants and the debtor's ID number and phone are not shown."""

    court: str
    court_phone: str
    case_number: str
    owner_name_masked: str
    same_owner: bool = Field(description="Its owner has the ID number of the debtor named in this request")


class KnownVehicleOut(BaseModel):
    """The platform's record of a car whose plate (or VIN) a registration names."""

    id: int
    plate: str
    plate_as_written: str
    plate_colour: PlateColour
    plate_type: str
    vin_masked: str | None = Field(description="The known VIN, first and last four characters only")
    vin_matches: bool | None = Field(description="The VIN sent is the known one; null when either is missing")
    description: str
    vehicle_type: str
    other_cases: list[KnownCaseOut]
    differences: list[str] = Field(
        description="What differs from the request: `owner` (another case's owner is not this debtor), "
        "`vin` (another VIN: refused, a car's VIN never changes), `plate` (the VIN is known under another "
        "plate: refused), `vin_added` (the known car has no VIN yet: the one sent is added)"
    )

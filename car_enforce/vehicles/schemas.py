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

"""What the simulated platform reads: the court's request (protocol §1), its notices (§3), the controls."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

Mode = Literal["ok", "slow", "fail", "late", "extension", "malformed", "bad_signature", "wrong_car"]
NoticeType = Literal["extension_granted", "extension_refused", "correction_requested", "withdrawn"]

# Unknown fields are ignored, as a real platform would: the court may send more than this simulator reads.


class CourtIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    case_number: str = Field(min_length=1, max_length=64)


class VehicleIn(BaseModel):
    plate: str = Field(min_length=1, max_length=32)
    plate_colour: str | None = Field(default=None, max_length=16)
    vin: str | None = Field(default=None, max_length=17)
    brand_model: str = Field(min_length=1, max_length=64)
    vehicle_class: str = Field(default="small", max_length=16)
    fuel: str = Field(default="petrol", max_length=16)
    first_registered_on: date
    odometer_km: int | None = Field(default=None, ge=0, le=10_000_000)


class InspectionIn(BaseModel):
    score: Decimal = Field(ge=0, le=100, description="GB/T 30323-2013 score; rounded half up to a whole")
    # The court sends the technical grade as a number (5 for an accident car); a person might write 五级.
    grade: int | str | None = None
    inspected_on: date | None = None
    accident: bool = False


class InquiryIn(BaseModel):
    request_id: str = Field(min_length=1, max_length=80)
    court: CourtIn
    vehicle: VehicleIn
    inspection: InspectionIn
    purpose: str = Field(default="", max_length=64)
    received_by_deadline: date | None = None
    callback_url: str = Field(pattern=r"^https?://[^\s]+$", max_length=500)


class NoticeIn(BaseModel):
    type: NoticeType
    request_id: str = Field(min_length=1, max_length=80)
    due_on: date | None = None
    reason: str = Field(default="", max_length=2000)


class ModeIn(BaseModel):
    mode: Mode
    delay_s: float = Field(default=0.0, ge=0, le=60)

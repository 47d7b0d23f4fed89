"""Request and response shapes for capture reports and the transport leg."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core.db import RowId
from car_enforce.core.files.photos import MAX_PHOTOS, PhotoIn, PhotoOut
from car_enforce.vehicles.models import PlateColour


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: float = Field(examples=[120.5651])
    lat: float = Field(examples=[27.6612])
    datum: str | None = Field(
        default=None,
        max_length=16,
        description="WGS84 (GPS) or GCJ02 (Chinese web maps); required",
        examples=["WGS84"],
    )
    address: str = Field(default="", max_length=256, examples=["平阳县昆阳镇万全大道与环城南路交叉口"])


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["陈警官"])
    badge_number: str = Field(min_length=1, max_length=32, examples=["033261"])


class HandoverIn(BaseModel):
    """The handover form (交接单): what came with the car."""

    model_config = ConfigDict(extra="forbid")

    registration_certificate: bool = Field(description="The 行驶证 was handed over")
    keys: int = Field(ge=0, le=20, description="Number of keys handed over")
    belongings: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="Belongings found in the car",
        examples=[["雨伞一把"]],
    )
    notes: str = Field(default="", max_length=1000)


class CaptureReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report_number: str = Field(
        min_length=1,
        max_length=64,
        description="The unit's own number for this report: a retry with the same number is the same capture",
        examples=["PY-KY-20261123-0007"],
    )
    plate: str | None = Field(default=None, max_length=32, examples=["浙C12345"])
    plate_colour: PlateColour | None = None
    vin: str | None = Field(default=None, max_length=32)
    watch_id: RowId | None = Field(default=None, description="The watch id the unit saw in the watch list")
    captured_at: datetime = Field(description="With its UTC offset; at most 5 minutes ahead of the server")
    departed_at: datetime | None = Field(
        default=None, description="When the car left for the center; default: the time of this report"
    )
    place: PlaceIn
    officers: list[OfficerIn] = Field(min_length=1, max_length=20)
    handover: HandoverIn
    photos: list[PhotoIn] = Field(default_factory=list, max_length=MAX_PHOTOS)

    @model_validator(mode="after")
    def _plate_or_vin(self) -> CaptureReport:
        if not (self.plate and self.plate.strip()) and not (self.vin and self.vin.strip()):
            raise ValueError("give the plate, the VIN, or both")
        return self


class PlaceConfirmationIn(BaseModel):
    """The place of a held capture: confirmed as reported (with a note why it is right), or corrected."""

    model_config = ConfigDict(extra="forbid")

    as_reported: bool = Field(
        default=False, description="The place as reported is right; `note` says why. Or give `place`"
    )
    place: PlaceIn | None = Field(
        default=None,
        description="The corrected place, checked like a report's; without an address the reported one stays",
    )
    note: str = Field(default="", max_length=1000, examples=["在新疆执行押送任务时扣押，地点无误"])

    @model_validator(mode="after")
    def _one_way(self) -> PlaceConfirmationIn:
        if self.as_reported == (self.place is not None):
            raise ValueError(
                "either confirm the place as reported (as_reported: true, with a note why it is right) "
                "or give the corrected place"
            )
        if self.as_reported and not self.note.strip():
            raise ValueError("a place confirmed as reported needs a note saying why it is right")
        return self


class ArrivalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrived_at: datetime | None = Field(default=None, description="Default: now")


class OfficerOut(BaseModel):
    name: str
    badge_number: str


class OrganisationRef(BaseModel):
    id: int
    name: str


class CenterOut(BaseModel):
    id: int
    name: str
    address: str
    contact_phone: str


class PlaceOut(BaseModel):
    lon: float
    lat: float
    datum: str = "WGS84"
    datum_in: str
    address: str
    jurisdiction_id: int | None


class HandoverOut(BaseModel):
    registration_certificate: bool
    keys: int
    belongings: list[str]
    notes: str


class CaptureVehicleOut(BaseModel):
    id: int
    plate: str
    plate_colour: PlateColour
    vin: str | None
    vehicle_type: str
    description: str


class CaptureOut(BaseModel):
    id: int
    report_number: str
    reporter: OrganisationRef
    reported_at: datetime
    watch_id: int
    case_id: int
    court_id: int
    vehicle: CaptureVehicleOut
    captured_at: datetime
    place: PlaceOut
    officers: list[OfficerOut]
    handover: HandoverOut
    photos: list[PhotoOut]
    status: CaptureStatus
    hold_reason: str = Field(
        description="Why the place was held for confirmation (kept once confirmed); empty if never held"
    )
    place_confirmed_at: datetime | None
    place_confirmed_by: str | None
    destination: CenterOut = Field(
        description="The center the car goes to; while held, the one the reported place would lead to"
    )
    designated: bool = Field(
        description="The center designated for the place, rather than merely the nearest"
    )
    distance_km: float | None = Field(
        description="Geodesic km to the center, billed at intake; null while the place is held"
    )
    departed_at: datetime
    expected_arrival_at: datetime | None
    arrived_at: datetime | None

    @classmethod
    def of(cls, c: Capture) -> CaptureOut:
        v, center = c.vehicle, c.destination
        return cls(
            id=c.id,
            report_number=c.report_number,
            reporter=OrganisationRef(id=c.reporter.id, name=c.reporter.name),
            reported_at=c.reported_at,
            watch_id=c.watch_id,
            case_id=c.case_id,
            court_id=c.court_id,
            vehicle=CaptureVehicleOut(
                id=v.id,
                plate=v.plate,
                plate_colour=v.plate_colour,
                vin=v.vin,
                vehicle_type=v.vehicle_type,
                description=v.description,
            ),
            captured_at=c.captured_at,
            place=PlaceOut(
                lon=c.lon,
                lat=c.lat,
                datum_in=c.datum_in,
                address=c.address,
                jurisdiction_id=c.jurisdiction_id,
            ),
            officers=[OfficerOut(**o) for o in c.officers],
            handover=HandoverOut(
                registration_certificate=c.registration_certificate,
                keys=c.keys,
                belongings=list(c.belongings),
                notes=c.handover_notes,
            ),
            photos=[PhotoOut.of(p, f"/api/captures/{c.id}/photos") for p in c.photos],
            status=c.status,
            hold_reason=c.hold_reason,
            place_confirmed_at=c.place_confirmed_at,
            place_confirmed_by=c.place_confirmed_by,
            destination=CenterOut(
                id=center.id, name=center.name, address=center.address, contact_phone=center.contact_phone
            ),
            designated=c.designated,
            distance_km=c.distance_km,
            departed_at=c.departed_at,
            expected_arrival_at=c.expected_arrival_at,
            arrived_at=c.arrived_at,
        )

"""Request and response shapes for watch requests."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.core.db import RowId
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel
from car_enforce.vehicles.schemas import VehicleOut
from car_enforce.watches.models import LiftReason, Watch, WatchStatus


class WatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_id: RowId
    ruling_number: str = Field(
        max_length=64,
        description="The seizure ruling (查封裁定) the watch rests on",
        examples=["(2026)浙0326执1234号之一"],
    )
    scope_code: str = Field(
        max_length=12, description="Jurisdiction code of a county, city or province", examples=["330326"]
    )
    expires_on: date | None = Field(
        default=None, description="Last day in force; default and maximum: two years (民诉法解释 Art. 485)"
    )


class WatchRenew(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ruling_number: str = Field(max_length=64, description="The ruling that continues the seizure (续行查封)")
    expires_on: date | None = Field(
        default=None, description="New last day; at most two years after the current one"
    )


class WatchLift(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: LiftReason
    note: str = Field(default="", max_length=1000)


class ScopeOut(BaseModel):
    code: str
    name: str
    level: JurisdictionLevel

    @classmethod
    def of(cls, j: Jurisdiction) -> ScopeOut:
        return cls(code=j.code, name=j.name, level=j.level)


class WatchOut(BaseModel):
    id: int
    case_id: int
    court_id: int
    officer_id: int
    vehicle: VehicleOut
    ruling_number: str
    scope: ScopeOut
    status: WatchStatus
    issued_at: datetime
    starts_on: date | None
    expires_on: date | None
    expires_provisional: bool = Field(
        description="The end date lies in a year whose official holiday schedule is not loaded yet"
    )
    ended_at: datetime | None
    lift_reason: LiftReason | None

    @classmethod
    def of(cls, w: Watch, scope: Jurisdiction) -> WatchOut:
        return cls(
            id=w.id,
            case_id=w.case_id,
            court_id=w.court_id,
            officer_id=w.officer_id,
            vehicle=VehicleOut.model_validate(w.vehicle),
            ruling_number=w.ruling_number,
            scope=ScopeOut.of(scope),
            status=w.status,
            issued_at=w.issued_at,
            starts_on=w.starts_on,
            expires_on=w.expires_on,
            expires_provisional=w.expires_provisional,
            ended_at=w.ended_at,
            lift_reason=w.lift_reason,
        )

"""Request and response shapes for organisations, users and API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from car_enforce.core.db import RowId
from car_enforce.core.errors import InvalidInput
from car_enforce.core.identity.models import Organisation, OrgKind, Role

BANK_ACCOUNT_PATTERN = r"^[0-9A-Za-z-]{4,64}$"  # an account number as the payment gateway takes it


def masked_account(number: str) -> str:
    return f"****{number[-4:]}"


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: OrgKind
    name: str = Field(min_length=1, max_length=128)
    code: str | None = Field(default=None, max_length=32, description="A court's code as in its case numbers")
    jurisdiction_code: str | None = Field(default=None, max_length=12)
    contact_phone: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=256)
    lon: float | None = Field(default=None, ge=-180, le=180, description="WGS84 longitude")
    lat: float | None = Field(default=None, ge=-90, le=90, description="WGS84 latitude")

    @model_validator(mode="after")
    def _a_point_or_none(self) -> OrganisationCreate:
        # Half a point places nothing on the map; InvalidInput passes through pydantic with its field.
        if (self.lon is None) != (self.lat is None):
            raise InvalidInput(
                "lat" if self.lat is None else "lon",
                "give both lon and lat, or neither",
                zh="经度和纬度须同时填写（或都不填）",
            )
        return self


class OrganisationOut(BaseModel):
    id: int
    kind: OrgKind
    name: str
    code: str | None
    jurisdiction_code: str | None
    contact_phone: str
    lon: float | None
    lat: float | None
    bank_name: str
    bank_account_masked: str | None = Field(description="Where money owed to it is paid, its last four shown")

    @classmethod
    def of(cls, o: Organisation) -> OrganisationOut:
        return cls(
            id=o.id,
            kind=o.kind,
            name=o.name,
            code=o.code,
            jurisdiction_code=o.jurisdiction.code if o.jurisdiction else None,
            contact_phone=o.contact_phone,
            lon=o.lon,
            lat=o.lat,
            bank_name=o.bank_name,
            bank_account_masked=masked_account(o.bank_account) if o.bank_account else None,
        )


class BankAccountIn(BaseModel):
    """Where money owed to the organisation is paid."""

    model_config = ConfigDict(extra="forbid")

    bank_name: str = Field(min_length=2, max_length=64, description="开户行")
    bank_account: str = Field(pattern=BANK_ACCOUNT_PATTERN)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: RowId
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=256)
    role: Role
    display_name: str = Field(min_length=1, max_length=64)
    phone: str = Field(default="", max_length=32)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    username: str
    display_name: str
    role: Role
    active: bool


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: RowId
    name: str = Field(min_length=1, max_length=64)
    role: Role = Role.POLICE_ADAPTER


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="Shown once: only its hash is stored")

"""Request and response shapes for custody: intake, the chain, release orders, tariffs and costs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from car_enforce.core import zh
from car_enforce.core.db import RowId
from car_enforce.core.files.photos import MAX_PHOTOS, PhotoIn, PhotoOut
from car_enforce.core.zh import mask_name
from car_enforce.custody.costs import Statement
from car_enforce.custody.models import (
    CenterTariff,
    ChargeKind,
    Custody,
    CustodyCharge,
    CustodyEvent,
    CustodyEventKind,
    CustodySource,
    CustodyStatus,
    ReleaseKind,
    ReleaseOrder,
    ReleaseOrderStatus,
    VehicleClass,
)

MAX_FEN = 10**12  # ten billion yuan: beyond any real charge, well inside BIGINT


class PaperKind(StrEnum):
    """Papers handed over with the car."""

    REGISTRATION_CERTIFICATE = "registration_certificate"  # 机动车行驶证
    REGISTRATION_BOOK = "registration_book"  # 机动车登记证书
    INSURANCE_POLICY = "insurance_policy"  # 交强险保单
    INSPECTION_MARK = "inspection_mark"  # 检验合格标志
    PURCHASE_INVOICE = "purchase_invoice"  # 购车发票


PAPER_NAMES = {
    PaperKind.REGISTRATION_CERTIFICATE: "机动车行驶证",
    PaperKind.REGISTRATION_BOOK: "机动车登记证书",
    PaperKind.INSURANCE_POLICY: "交强险保单",
    PaperKind.INSPECTION_MARK: "检验合格标志",
    PaperKind.PURCHASE_INVOICE: "购车发票",
}


class SignerRole(StrEnum):
    OFFICER = "officer"  # 执行人员
    CUSTODIAN = "custodian"  # 保管人
    WITNESS = "witness"  # 到场人员 (民诉法 Art. 245 … as 查封规定 Art. 18 asks)


class BelongingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=100, examples=["儿童安全座椅"])
    quantity: int = Field(default=1, ge=1, le=1000)
    notes: str = Field(default="", max_length=200)


class IntakeIn(BaseModel):
    """What the center's staff find and record when the car is taken in (入库)."""

    model_config = ConfigDict(extra="forbid")

    bay: str = Field(min_length=1, max_length=32, description="Where the car is parked", examples=["A-07"])
    odometer_km: int | None = Field(default=None, ge=0, le=3_000_000)
    fuel_percent: int | None = Field(default=None, ge=0, le=100)
    charge_percent: int | None = Field(default=None, ge=0, le=100, description="Battery charge of a NEV")
    keys_received: int = Field(ge=0, le=20)
    papers: list[PaperKind] = Field(default_factory=list, max_length=len(PaperKind))
    belongings: list[BelongingIn] = Field(default_factory=list, max_length=100)
    condition_notes: str = Field(default="", max_length=4000)
    custodian_name: str = Field(min_length=1, max_length=64, description="The 保管人 named in the record")
    photos: list[PhotoIn] = Field(default_factory=list, max_length=MAX_PHOTOS)
    taken_in_at: datetime | None = Field(default=None, description="Defaults to now; not before the arrival")


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: SignerRole
    name: str = Field(min_length=1, max_length=64)


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_place: str = Field(min_length=1, max_length=64, examples=["检测工位2"])
    at: datetime | None = None
    notes: str = Field(default="", max_length=1000)


class KeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=96, description="Who takes the keys", examples=["检测员 王某"])
    count: int = Field(ge=1, le=20)
    at: datetime | None = None
    notes: str = Field(default="", max_length=1000)


class ReleaseOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ReleaseKind
    document_number: str = Field(
        min_length=1,
        max_length=64,
        description="The ruling or notice the release rests on",
        examples=["（2026）浙0326执1234号之二"],
    )
    recipient_name: str = Field(min_length=1, max_length=64)
    recipient_id_number: str = Field(
        min_length=1, max_length=32, description="Resident ID (GB 11643) or credit code (GB 32100)"
    )
    notes: str = Field(default="", max_length=1000)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: RowId = Field(description="The court's release order this release executes")
    recipient_id_number: str = Field(
        min_length=1, max_length=32, description="Checked against the order at the gate"
    )
    keys_handed: int = Field(ge=0, le=20)
    at: datetime | None = None
    notes: str = Field(default="", max_length=1000)


class TariffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_class: VehicleClass
    effective_from: date
    storage_daily_fen: int = Field(ge=0, le=MAX_FEN, examples=[3000])
    towing_base_fen: int = Field(ge=0, le=MAX_FEN, examples=[30000])
    towing_per_km_fen: int = Field(ge=0, le=MAX_FEN, examples=[800])
    inspection_fen: int = Field(ge=0, le=MAX_FEN, examples=[50000])


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ChargeKind = Field(default=ChargeKind.OTHER)
    amount_fen: int = Field(ge=1, le=MAX_FEN)
    description: str = Field(min_length=1, max_length=200, examples=["电瓶搭电"])
    charge_key: str = Field(
        min_length=1, max_length=100, description="The center's own reference: the same key is one charge"
    )

    @model_validator(mode="after")
    def _not_accrued(self) -> ChargeIn:
        if self.kind == ChargeKind.STORAGE:
            raise ValueError("storage accrues by the tariff; it is not posted by hand")
        return self


# --- responses ---


class SignatureOut(BaseModel):
    role: SignerRole
    name: str
    signed_at: datetime
    recorded_by: str


class CustodyOut(BaseModel):
    id: int
    source: CustodySource
    status: CustodyStatus
    capture_id: int | None
    vehicle_id: int
    plate: str
    vehicle_class: VehicleClass
    center_id: int
    center: str
    court_id: int
    court: str
    case_id: int
    watch_id: int | None
    taken_in_at: datetime
    taken_in_by: str
    custodian_name: str
    storage_from: date
    bay: str
    odometer_km: int | None
    fuel_percent: int | None
    charge_percent: int | None
    keys_received: int
    keys_held_by: str
    papers: list[str]
    belongings: list[dict[str, Any]]
    condition_notes: str
    signatures: list[dict[str, Any]]
    photos: list[PhotoOut]
    released_at: datetime | None

    @classmethod
    def of(cls, c: Custody) -> CustodyOut:
        return cls(
            id=c.id,
            source=c.source,
            status=c.status,
            capture_id=c.capture_id,
            vehicle_id=c.vehicle_id,
            plate=c.vehicle.plate,
            vehicle_class=c.vehicle_class,
            center_id=c.center_id,
            center=c.center.name,
            court_id=c.court_id,
            court=c.court.name,
            case_id=c.case_id,
            watch_id=c.watch_id,
            taken_in_at=c.taken_in_at,
            taken_in_by=c.taken_in_by,
            custodian_name=c.custodian_name,
            storage_from=c.storage_from,
            bay=c.bay,
            odometer_km=c.odometer_km,
            fuel_percent=c.fuel_percent,
            charge_percent=c.charge_percent,
            keys_received=c.keys_received,
            keys_held_by=c.keys_held_by,
            papers=c.papers,
            belongings=c.belongings,
            condition_notes=c.condition_notes,
            signatures=c.signatures,
            photos=[PhotoOut.of(p, f"/api/custody/{c.id}/photos") for p in c.photos],
            released_at=c.released_at,
        )


class CustodyEventOut(BaseModel):
    seq: int
    kind: CustodyEventKind
    at: datetime
    recorded_by: str
    from_place: str | None
    to_place: str | None
    keys_from: str | None
    keys_to: str | None
    keys_count: int | None
    notes: str

    @classmethod
    def of(cls, e: CustodyEvent) -> CustodyEventOut:
        return cls.model_validate(e, from_attributes=True)


class ReleaseOrderOut(BaseModel):
    id: int
    custody_id: int
    kind: ReleaseKind
    document_number: str
    recipient_name: str  # masked: the gate checks the ID number, nobody needs the full name here
    recipient_id_masked: str
    status: ReleaseOrderStatus
    issued_at: datetime
    issued_by: str
    executed_at: datetime | None
    notes: str

    @classmethod
    def of(cls, o: ReleaseOrder) -> ReleaseOrderOut:
        return cls(
            id=o.id,
            custody_id=o.custody_id,
            kind=o.kind,
            document_number=o.document_number,
            recipient_name=mask_name(o.recipient_name),
            recipient_id_masked=o.recipient_id_masked,
            status=o.status,
            issued_at=o.issued_at,
            issued_by=o.issued_by,
            executed_at=o.executed_at,
            notes=o.notes,
        )


class TariffOut(BaseModel):
    id: int
    center_id: int
    vehicle_class: VehicleClass
    effective_from: date
    storage_daily_fen: int
    towing_base_fen: int
    towing_per_km_fen: int
    inspection_fen: int
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, t: CenterTariff) -> TariffOut:
        return cls.model_validate(t, from_attributes=True)


class ChargeOut(BaseModel):
    id: int
    kind: ChargeKind
    amount_fen: int
    description: str
    basis: dict[str, Any]
    charged_at: datetime
    charged_by: str

    @classmethod
    def of(cls, c: CustodyCharge) -> ChargeOut:
        return cls.model_validate(c, from_attributes=True)


class StorageSpanOut(BaseModel):
    first_day: date
    last_day: date
    days: int
    daily_fen: int
    amount_fen: int
    tariff_id: int


class StatementOut(BaseModel):
    """Every cost charged to the debtor, paid first from the proceeds (网拍规定 Art. 7)."""

    custody_id: int
    as_of: date
    running: bool = Field(description="Storage still accrues: the car is in custody")
    charges: list[ChargeOut]
    storage: list[StorageSpanOut]
    storage_days: int
    storage_fen: int
    total_fen: int
    total_yuan: str = Field(description="The total written in yuan, for people: 1234.56")

    @classmethod
    def of(cls, s: Statement, custody: Custody) -> StatementOut:
        total = s.total_fen
        return cls(
            custody_id=s.custody_id,
            as_of=s.as_of,
            running=custody.status == CustodyStatus.IN_CUSTODY,
            charges=[ChargeOut.of(c) for c in s.charges],
            storage=[StorageSpanOut.model_validate(x, from_attributes=True) for x in s.storage],
            storage_days=sum(x.days for x in s.storage),
            storage_fen=s.storage_fen,
            total_fen=total,
            total_yuan=zh.yuan(total),
        )


class SeizureRecordOut(BaseModel):
    """The seizure record (扣押笔录) as 查封规定 Art. 18 asks: times, place, kind, custodian, signatures."""

    custody_id: int
    started_at: datetime | None  # the roadside capture
    completed_at: datetime  # the intake
    place: str
    property_kind: str
    quantity: int
    plate: str
    vin: str | None
    custodian: str
    custodian_organisation: str
    keys: int
    papers: list[str]
    belongings: list[dict[str, Any]]
    condition_notes: str
    signatures: list[dict[str, Any]]
    missing_signatures: list[SignerRole]
    text: str = Field(description="The record written out in Chinese")

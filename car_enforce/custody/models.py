"""The car in a center's custody, every move of it and of its keys, the court's release orders, the
center's tariffs and the costs charged to the debtor."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime
from car_enforce.core.files.photos import PhotoColumns
from car_enforce.core.identity.models import Organisation
from car_enforce.vehicles.models import Vehicle


class CustodyStatus(StrEnum):
    IN_CUSTODY = "in_custody"
    RELEASED = "released"  # left the center on a court release order (出库)


class CustodySource(StrEnum):
    CAPTURE = "capture"  # a police capture taken in at the gate
    IMPORT = "import"  # already in the yard when the center moved onto the platform


class VehicleClass(StrEnum):
    """The classes a center's tariff prices separately (by 号牌种类: 01/51 large, 02/52 small)."""

    SMALL = "small"
    LARGE = "large"
    OTHER = "other"


VEHICLE_CLASS_NAMES_ZH: dict[str, str] = {
    VehicleClass.SMALL: "小型车",
    VehicleClass.LARGE: "大型车",
    VehicleClass.OTHER: "其他车辆",
}


def vehicle_class_zh(vehicle_class: str) -> str:
    return VEHICLE_CLASS_NAMES_ZH.get(vehicle_class, vehicle_class)


class CustodyEventKind(StrEnum):
    INTAKE = "intake"  # into a bay; the keys into the center's key safe
    MOVE = "move"  # the car from one place to another (bay, inspection lane, wash bay…)
    KEYS = "keys"  # the keys from one hand to another
    RELEASE = "release"  # out of the gate on a release order


class ReleaseKind(StrEnum):
    SALE_HANDOVER = "sale_handover"  # to the buyer after the sale ruling (拍卖变卖规定 Art. 27)
    RETURN_TO_OWNER = "return_to_owner"  # the debtor paid or the seizure was released


class ReleaseOrderStatus(StrEnum):
    ISSUED = "issued"
    EXECUTED = "executed"
    REVOKED = "revoked"


class ChargeKind(StrEnum):
    TOWING = "towing"
    STORAGE = "storage"  # only the carried-over storage of an import; the platform's own is accrued
    INSPECTION = "inspection"
    OTHER = "other"


_OPEN = text("status = 'in_custody'")


class Custody(Base):
    """One stay of one car at one center, from intake to release."""

    __tablename__ = "custody"
    __table_args__ = (
        # A car is in at most one center's custody at a time.
        Index(
            "uq_custody_vehicle_open", "vehicle_id", unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[CustodySource] = mapped_column(String(16))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"), unique=True)  # one intake each
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    watch_id: Mapped[int | None] = mapped_column(ForeignKey("watch.id"))
    status: Mapped[CustodyStatus] = mapped_column(String(16), index=True)
    vehicle_class: Mapped[VehicleClass] = mapped_column(String(8))

    taken_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_in_by: Mapped[str] = mapped_column(String(96))  # the principal's label
    custodian_name: Mapped[str] = mapped_column(String(64))  # 保管人 named in the seizure record
    # Storage is charged for calendar days from this day (the intake's local date, or an import's date).
    storage_from: Mapped[date] = mapped_column(Date)

    # The state of the car at intake.
    bay: Mapped[str] = mapped_column(String(32))  # where the car stands now
    odometer_km: Mapped[int | None]
    fuel_percent: Mapped[int | None]
    charge_percent: Mapped[int | None]  # battery state of charge, for a new-energy car
    keys_received: Mapped[int]
    papers: Mapped[list[str]] = mapped_column(JSON)  # 行驶证, 登记证书, … as PaperKind values
    belongings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"item", "quantity", "notes"}]
    condition_notes: Mapped[str] = mapped_column(Text, default="")
    # The seizure record's signatures (查封规定 Art. 18): [{"role", "name", "signed_at"}].
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the executed order says on what

    vehicle: Mapped[Vehicle] = relationship(lazy="joined")
    center: Mapped[Organisation] = relationship(foreign_keys=[center_id], lazy="joined")
    court: Mapped[Organisation] = relationship(foreign_keys=[court_id], lazy="joined")
    photos: Mapped[list[CustodyPhoto]] = relationship(order_by="CustodyPhoto.position", lazy="selectin")
    keys: Mapped[list[CustodyKey]] = relationship(order_by="CustodyKey.number", lazy="selectin")

    @property
    def keys_held_by(self) -> str:
        """Who holds the keys now, in a few words: the one hand when all are in it, else key by key."""
        holders = {k.holder for k in self.keys}
        if len(holders) <= 1:
            return next(iter(holders), "")
        return "；".join(f"{k.label}：{k.holder}" for k in self.keys)


class CustodyPhoto(PhotoColumns, Base):
    """A photo taken at intake."""

    __tablename__ = "custody_photo"
    __table_args__ = (UniqueConstraint("custody_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"))


class CustodyKey(Base):
    """One key that came with the car, and whose hand it is in now (the key safe, an inspector, the buyer).

    Each key is tracked on its own: two keys split between two hands are two holders, and the chain
    records each key's own path (``CustodyKeyMove``).
    """

    __tablename__ = "custody_key"
    __table_args__ = (UniqueConstraint("custody_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2 … within the custody
    label: Mapped[str] = mapped_column(String(64))  # 钥匙1, or what the key is: 智能钥匙, 机械钥匙
    holder: Mapped[str] = mapped_column(String(96))


class CustodyEvent(Base):
    """One link of the custody chain: the car moved or its keys changed hands, numbered in order."""

    __tablename__ = "custody_event"
    __table_args__ = (UniqueConstraint("custody_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … within the custody
    kind: Mapped[CustodyEventKind] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(96))
    from_place: Mapped[str | None] = mapped_column(String(64))
    to_place: Mapped[str | None] = mapped_column(String(64))
    keys_from: Mapped[str | None] = mapped_column(String(96))
    keys_to: Mapped[str | None] = mapped_column(String(96))
    keys_count: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")

    # Which keys passed in this link, each from its own holder (none for links written before keys were
    # tracked one by one: their summary columns above are all there is).
    key_moves: Mapped[list[CustodyKeyMove]] = relationship(order_by="CustodyKeyMove.id", lazy="selectin")


class CustodyKeyMove(Base):
    """One key's part in a link of the chain: the hand it left and the hand it went to."""

    __tablename__ = "custody_key_move"
    __table_args__ = (UniqueConstraint("event_id", "key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("custody_event.id"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("custody_key.id"), index=True)
    from_holder: Mapped[str | None] = mapped_column(String(96))  # none at intake: the key came with the car
    to_holder: Mapped[str] = mapped_column(String(96))

    key: Mapped[CustodyKey] = relationship(lazy="joined")


class ReleaseOrder(Base):
    """The court's order that lets the car leave the center (出库): to the buyer, or back to the owner."""

    __tablename__ = "release_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"), index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[ReleaseKind] = mapped_column(String(24))
    document_number: Mapped[str] = mapped_column(String(64))  # the ruling or notice it rests on
    recipient_name: Mapped[str] = mapped_column(String(64))
    # Only a digest and a masked form of the recipient's ID number: the gate compares, nobody reads it.
    recipient_id_digest: Mapped[str] = mapped_column(String(64))
    recipient_id_masked: Mapped[str] = mapped_column(String(24))
    status: Mapped[ReleaseOrderStatus] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(96))
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")


class CenterTariff(Base):
    """A center's prices for one vehicle class from a given day on, in integer fen."""

    __tablename__ = "center_tariff"
    __table_args__ = (UniqueConstraint("center_id", "vehicle_class", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    vehicle_class: Mapped[VehicleClass] = mapped_column(String(8))
    effective_from: Mapped[date] = mapped_column(Date)
    storage_daily_fen: Mapped[int] = mapped_column(BigInteger)
    towing_base_fen: Mapped[int] = mapped_column(BigInteger)
    towing_per_km_fen: Mapped[int] = mapped_column(BigInteger)
    inspection_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(96))


class CustodyCharge(Base):
    """A cost charged to the debtor (网拍规定 Art. 7), posted once per ``dedupe_key``."""

    __tablename__ = "custody_charge"
    __table_args__ = (UniqueConstraint("custody_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"), index=True)
    kind: Mapped[ChargeKind] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(200))
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)  # how the amount was reached
    charged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    charged_by: Mapped[str] = mapped_column(String(96))
    dedupe_key: Mapped[str] = mapped_column(String(160))

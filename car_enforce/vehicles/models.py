"""Vehicles: one row per physical car (plate and colour, VIN), linked to the cases that pursue it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime


class PlateColour(StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    GREEN = "green"  # small new-energy
    YELLOW_GREEN = "yellow_green"  # large new-energy
    WHITE = "white"
    BLACK = "black"


# A plate colour as a refusal read at a page names it.
COLOUR_NAMES_ZH: dict[str, str] = {
    PlateColour.BLUE: "蓝牌",
    PlateColour.YELLOW: "黄牌",
    PlateColour.GREEN: "绿牌",
    PlateColour.YELLOW_GREEN: "黄绿牌",
    PlateColour.WHITE: "白牌",
    PlateColour.BLACK: "黑牌",
}


def colour_zh(colour: str) -> str:
    return COLOUR_NAMES_ZH.get(colour, colour)


class Vehicle(Base):
    __tablename__ = "vehicle"
    __table_args__ = (UniqueConstraint("plate", "plate_colour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)  # normal form: 浙C12345
    plate_as_written: Mapped[str] = mapped_column(String(32))
    plate_colour: Mapped[PlateColour] = mapped_column(String(16))
    plate_type: Mapped[str] = mapped_column(String(2))  # 号牌种类 code: 01, 02, 51, 52, 99
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)
    # A non-Chinese VIN whose check digit fails is kept, flagged for a person to review (GB 16735).
    vin_needs_review: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(String(256), default="")
    # The registered vehicle type (GA 802 车辆类型, e.g. 小型轿车); empty when the officer did not give it.
    vehicle_type: Mapped[str] = mapped_column(String(32), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseVehicle(Base):
    """A vehicle pursued in a case, owned by one of the case's debtors."""

    __tablename__ = "case_vehicle"
    __table_args__ = (UniqueConstraint("case_id", "vehicle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    owner_party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    vehicle: Mapped[Vehicle] = relationship(lazy="joined")

"""An inspection of a car in custody, its item scores, its defects and their photos."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime
from car_enforce.core.files.photos import PhotoColumns


class DefectTarget(StrEnum):
    ITEM = "item"  # a checklist item (a body panel, the engine…)
    STRUCTURAL = "structural"  # a structural point of the accident check
    FLOOD = "flood"
    FIRE = "fire"


# As the report and the refusals name them.
TARGET_NAMES_ZH: dict[str, str] = {
    DefectTarget.ITEM: "检查项目",
    DefectTarget.STRUCTURAL: "车体结构",
    DefectTarget.FLOOD: "水泡",
    DefectTarget.FIRE: "火烧",
}


class Inspection(Base):
    """One version of the inspection of a custody: recorded whole, scored and graded when it is recorded.

    A mistake is corrected by a new version that names the one it replaces and why; a version is never
    changed, so what a reference price or a report relied on stays on record. The latest one counts.
    """

    __tablename__ = "inspection"
    __table_args__ = (UniqueConstraint("custody_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # 1, 2, 3 … per custody
    # The version this one corrects; unique, so a version is corrected once and the versions form one line.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), unique=True)
    correction_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    checklist_version: Mapped[str] = mapped_column(String(64))
    inspector_name: Mapped[str] = mapped_column(String(64))
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    odometer_km: Mapped[int | None]
    # For a correction: when it was corrected and by whom.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(96))
    # SHA-256 of the submission: the same one again is a replay, a different one is a conflict.
    request_digest: Mapped[str] = mapped_column(String(64))

    score: Mapped[int]  # 0–100, the sum of the item scores
    grade: Mapped[int]  # technical grade 1–5 (GB/T 30323: 5 = accident vehicle, whatever the score)
    accident: Mapped[bool]  # structural damage found
    flood_damage: Mapped[bool]
    fire_damage: Mapped[bool]
    summary: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[InspectionItem]] = relationship(order_by="InspectionItem.position", lazy="selectin")
    defects: Mapped[list[InspectionDefect]] = relationship(order_by="InspectionDefect.id", lazy="selectin")


class InspectionItem(Base):
    __tablename__ = "inspection_item"
    __table_args__ = (UniqueConstraint("inspection_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"))
    position: Mapped[int] = mapped_column(Integer)  # the checklist's order
    section_code: Mapped[str] = mapped_column(String(16))
    item_code: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]  # the most the item can score
    score: Mapped[int]
    notes: Mapped[str] = mapped_column(Text, default="")


class InspectionDefect(Base):
    __tablename__ = "inspection_defect"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    target: Mapped[DefectTarget] = mapped_column(String(16))
    # The item or structural point it was found on; empty for flood and fire damage.
    point_code: Mapped[str] = mapped_column(String(16), default="")
    defect_code: Mapped[str] = mapped_column(String(8))  # BX, NQ, GH, SH, ZZ, HH, XS, LW, AX, XF, …
    notes: Mapped[str] = mapped_column(Text, default="")

    photos: Mapped[list[InspectionPhoto]] = relationship(order_by="InspectionPhoto.position", lazy="selectin")


class InspectionPhoto(PhotoColumns, Base):
    __tablename__ = "inspection_photo"
    __table_args__ = (UniqueConstraint("defect_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    defect_id: Mapped[int] = mapped_column(ForeignKey("inspection_defect.id"))

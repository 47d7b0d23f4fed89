"""An imported inventory file and each of its rows: matched into custody, or listed for review."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime


class RowOutcome(StrEnum):
    MATCHED = "matched"  # taken into the platform's custody
    REVIEW = "review"  # a person must decide: no plate, unknown car, no court holds it…
    RESOLVED = "resolved"  # a reviewer matched it to a vehicle by hand
    DISMISSED = "dismissed"  # a reviewer decided it is not the platform's business


class InventoryImport(Base):
    __tablename__ = "inventory_import"
    # The same file imported twice is the same import.
    __table_args__ = (UniqueConstraint("center_id", "file_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    file_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the bytes as uploaded
    file_name: Mapped[str] = mapped_column(String(200), default="")
    file_ref: Mapped[str] = mapped_column(String(80))  # the file itself, kept as evidence
    metadata_lines: Mapped[list[str]] = mapped_column(JSON)  # the export's lines above the header
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(96))

    rows: Mapped[list[InventoryRow]] = relationship(order_by="InventoryRow.line", lazy="selectin")


class InventoryRow(Base):
    __tablename__ = "inventory_row"
    __table_args__ = (UniqueConstraint("import_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("inventory_import.id"))
    line: Mapped[int] = mapped_column(Integer)  # the line number in the file, as a person would count
    stock_number: Mapped[str] = mapped_column(String(64), default="")
    plate: Mapped[str | None] = mapped_column(String(32))  # normal form; None for NOPLATE and the like
    vin: Mapped[str | None] = mapped_column(String(17))
    outcome: Mapped[RowOutcome] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")  # why it needs review, in plain words
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    custody_id: Mapped[int | None] = mapped_column(ForeignKey("custody.id"))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)  # the parsed row (dates, fen, keys), for review
    raw: Mapped[dict[str, str]] = mapped_column(JSON)  # the non-empty cells as written
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(96))

"""Captures (扣押) reported by police units, the handover record, the photos, and the transport leg."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime
from car_enforce.core.files.photos import PhotoColumns
from car_enforce.core.identity.models import Organisation
from car_enforce.vehicles.models import Vehicle


class CaptureStatus(StrEnum):
    # Reported at a place that cannot be right (far outside the reporting unit's area, or far from every
    # center): no tow is billed until the unit or the court confirms or corrects the place.
    HELD = "held"
    IN_TRANSIT = "in_transit"  # seized at the roadside, on its way to the center
    ARRIVED = "arrived"  # at the center's gate, not yet taken into custody
    IN_CUSTODY = "in_custody"  # taken in (入库): the custody record holds the car from here
    RELEASED = "released"  # left the center on a court release order (出库)


class Capture(Base):
    __tablename__ = "capture"
    # The reporting unit's own report number is the natural identity: a retried report is the same capture.
    __table_args__ = (UniqueConstraint("reporter_organisation_id", "report_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    report_number: Mapped[str] = mapped_column(String(64))
    reported_by: Mapped[str] = mapped_column(String(96))  # the principal's label (api_key:ck_…)
    # SHA-256 of the report as sent: a replay carries the same one, a different report under the same
    # number does not.
    report_digest: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    plate_reported: Mapped[str | None] = mapped_column(String(32))  # as the unit wrote it
    vin_reported: Mapped[str | None] = mapped_column(String(17))

    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float]  # WGS84
    lat: Mapped[float]
    datum_in: Mapped[str] = mapped_column(String(8))  # the datum the coordinates arrived in
    address: Mapped[str] = mapped_column(String(256), default="")
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"))  # most specific unit
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"name", "badge_number"}]

    # The handover form (交接单).
    registration_certificate: Mapped[bool]  # 行驶证 handed over
    keys: Mapped[int]
    belongings: Mapped[list[str]] = mapped_column(JSON)
    handover_notes: Mapped[str] = mapped_column(Text, default="")

    # The transport leg to the center.
    status: Mapped[CaptureStatus] = mapped_column(String(16), index=True)
    destination_center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    designated: Mapped[bool]  # the center designated for the area, rather than merely the nearest
    distance_km: Mapped[float | None]  # geodesic, capture point to center; None if the center has no position
    departed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_arrival_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrival_recorded_by: Mapped[str | None] = mapped_column(String(96))
    # When the car left the center on a release order: the stage clocks stop on that day.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the capture was held for a check of its place (empty when it was not), and who confirmed or
    # corrected the place, when.
    hold_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    place_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place_confirmed_by: Mapped[str | None] = mapped_column(String(96))

    vehicle: Mapped[Vehicle] = relationship(lazy="joined")
    destination: Mapped[Organisation] = relationship(foreign_keys=[destination_center_id], lazy="joined")
    reporter: Mapped[Organisation] = relationship(foreign_keys=[reporter_organisation_id], lazy="joined")
    photos: Mapped[list[CapturePhoto]] = relationship(order_by="CapturePhoto.position", lazy="selectin")


class CapturePhoto(PhotoColumns, Base):
    """A photo of the capture."""

    __tablename__ = "capture_photo"
    __table_args__ = (UniqueConstraint("capture_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"))

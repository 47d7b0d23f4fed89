"""Jurisdictions: provinces, cities and counties with their boundaries, stored in WGS84."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base


class JurisdictionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class Jurisdiction(Base):
    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # administrative division code (adcode)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[JurisdictionLevel] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    # Materialised path of codes, "/330000/330300/330326/": two jurisdictions overlap when one path
    # is a prefix of the other.
    path: Mapped[str] = mapped_column(String(128), index=True)
    # Boundary as WKT in WGS84 (imported boundaries arrive in GCJ-02 or WGS84 and are converted once).
    boundary_wkt: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64), default="")

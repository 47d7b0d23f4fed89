"""The canonical read batch, and what the API shows of cameras, alerts and sightings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from car_enforce import clock
from car_enforce.errors import InvalidInput
from car_enforce.sightings.ingest import MAX_BATCH
from car_enforce.sightings.models import Alert, Camera, Sighting
from car_enforce.sightings.reads import (
    Candidate,
    Parsed,
    PlateRead,
    checked_place,
    checked_time,
    colour_of,
)

Datum = Literal["WGS84", "GCJ02"]


class CandidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=32)
    confidence: float | None = Field(default=None, ge=0, le=1)


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=32, description="The best reading, as read (any case, separators allowed)")
    candidates: list[CandidateIn] = Field(default_factory=list, max_length=20, description="Other readings")
    confidence: float | None = Field(default=None, ge=0, le=1)
    colour: str | None = Field(
        default=None, max_length=16, description="Plate colour if the camera tells it: blue, yellow, green, …"
    )
    camera_id: str | None = Field(default=None, max_length=128)
    read_at: datetime = Field(description="With its UTC offset; at most 5 minutes ahead, at most 7 days old")
    lon: float | None = None
    lat: float | None = None
    datum: Datum | None = Field(default=None, description="Required with coordinates: WGS84 (GPS) or GCJ02")
    read_id: str | None = Field(default=None, max_length=128, description="The sender's id of this read")
    pass_id: str | None = Field(
        default=None, max_length=128, description="The sender's id of the vehicle pass"
    )


class ReadBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reads: list[ReadIn] = Field(min_length=1, max_length=MAX_BATCH)


BATCH_ADAPTER: TypeAdapter[ReadBatchIn] = TypeAdapter(ReadBatchIn)


def canonical_reads(batch: ReadBatchIn, documents: list[Any]) -> Parsed:
    """The batch's reads in canonical form; ``documents`` are the reads as sent, kept as raw evidence."""
    reads: list[PlateRead] = []
    for i, (item, document) in enumerate(zip(batch.reads, documents, strict=True)):
        where = f"reads[{i}]"
        colour = colour_of(item.colour)
        if item.colour and colour is None and item.colour.strip().lower() not in ("unknown", "other", ""):
            raise InvalidInput(f"{where}.colour", f"{item.colour!r} is not a plate colour")
        place = None
        if item.lon is not None or item.lat is not None:
            place = checked_place(item.lon, item.lat, item.datum, where)
        reads.append(
            PlateRead(
                plate=item.plate,
                read_at=checked_time(item.read_at, f"{where}.read_at"),
                camera_id=item.camera_id,
                vendor="canonical",
                candidates=tuple(Candidate(c.plate, c.confidence) for c in item.candidates),
                confidence=item.confidence,
                colour=colour,
                place=place,
                read_key=item.read_id,
                pass_key=item.pass_id,
                raw=document,
            )
        )
    return Parsed(reads=reads)


class IngestOut(BaseModel):
    reads: int
    matched: int = Field(description="Reads that matched at least one watch")
    hits: int
    possible_hits: int
    duplicates: int = Field(description="Matched reads already received in an earlier message")
    heartbeats: int
    alerts: list[int] = Field(description="Alerts raised or joined by this message")
    replayed: bool = Field(description="The same body was received before; this is its first answer")


class CameraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=128)
    lon: float | None = None
    lat: float | None = None
    datum: Datum | None = None
    vendor: str = Field(default="canonical", max_length=32)


class CameraOut(BaseModel):
    id: int
    external_id: str
    vendor: str
    name: str
    lon: float | None
    lat: float | None
    last_seen_at: datetime | None

    @classmethod
    def of(cls, camera: Camera) -> CameraOut:
        return cls(
            id=camera.id,
            external_id=camera.external_id,
            vendor=camera.vendor,
            name=camera.name,
            lon=camera.lon,
            lat=camera.lat,
            last_seen_at=camera.last_seen_at,
        )


class AlertOut(BaseModel):
    id: int
    watch_id: int
    kind: str
    status: str
    plate: str
    plate_colour: str
    camera_id: int
    first_read_at: datetime
    last_read_at: datetime
    sightings: int
    lon: float | None = Field(description="WGS84")
    lat: float | None
    routed_unit_id: int | None
    in_scope: bool
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    decision_note: str

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls(
            id=alert.id,
            watch_id=alert.watch_id,
            kind=alert.kind,
            status=alert.status,
            plate=alert.plate,
            plate_colour=alert.plate_colour,
            camera_id=alert.camera_id,
            first_read_at=clock.as_utc(alert.first_read_at),
            last_read_at=clock.as_utc(alert.last_read_at),
            sightings=alert.sightings,
            lon=alert.lon,
            lat=alert.lat,
            routed_unit_id=alert.routed_unit_id,
            in_scope=alert.in_scope,
            created_at=alert.created_at,
            decided_at=alert.decided_at,
            decided_by=alert.decided_by,
            decision_note=alert.decision_note,
        )


class SightingOut(BaseModel):
    id: int
    kind: str
    reading: str
    plate_read: str
    equivalent_chars: int
    confidence: float | None
    colour_read: str | None
    read_at: datetime
    vendor: str
    lon: float | None
    lat: float | None
    datum_in: str | None
    images: list[str] = Field(description="Evidence references; fetch each under the alert's evidence path")

    @classmethod
    def of(cls, s: Sighting) -> SightingOut:
        return cls(
            id=s.id,
            kind=s.kind,
            reading=s.reading,
            plate_read=s.plate_read,
            equivalent_chars=s.equivalent_chars,
            confidence=s.confidence,
            colour_read=s.colour_read,
            read_at=s.read_at,
            vendor=s.vendor,
            lon=s.lon,
            lat=s.lat,
            datum_in=s.datum_in,
            images=list(s.images or []),
        )


class AlertDetailOut(AlertOut):
    evidence: list[SightingOut]


class AlertDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=1000)


class CourtContact(BaseModel):
    name: str
    phone: str


class DispatchOut(BaseModel):
    seq: int
    alert: AlertOut
    court: CourtContact
    description: str


class DispatchesOut(BaseModel):
    cursor: int
    dispatches: list[DispatchOut]

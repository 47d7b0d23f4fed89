"""The canonical read batch, and what the API shows of cameras, alerts and sightings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from car_enforce import clock
from car_enforce.errors import InvalidInput
from car_enforce.sightings.ingest import MAX_BATCH
from car_enforce.sightings.models import Alert, Camera, Sighting
from car_enforce.sightings.reads import (
    MAX_CLOCK_SKEW,
    MAX_READ_AGE,
    Candidate,
    Parsed,
    PlateRead,
    checked_place,
    checked_time,
    colour_of,
)

Datum = Literal["WGS84", "GCJ02"]
_Text128 = Annotated[str, msgspec.Meta(max_length=128)]


# The canonical batch is decoded with msgspec rather than pydantic: it is the platform's hottest payload
# (5,000 reads a request, 50,000 reads a second), and msgspec decodes and checks it in one pass at a
# fraction of the cost. Its JSON schema is published in the OpenAPI document all the same.
class ReadIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One plate read."""

    plate: Annotated[str, msgspec.Meta(max_length=32, description="The best reading, as read")]
    read_at: Annotated[
        datetime, msgspec.Meta(description="With its UTC offset; at most 5 minutes ahead, at most 7 days old")
    ]
    candidates: Annotated[list[Candidate], msgspec.Meta(max_length=20, description="Other readings")] = []
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    colour: (
        Annotated[
            str,
            msgspec.Meta(max_length=16, description="Plate colour if the camera tells it: blue, yellow, …"),
        ]
        | None
    ) = None
    camera_id: _Text128 | None = None
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    datum: (
        Annotated[Datum, msgspec.Meta(description="Required with coordinates: WGS84 (GPS) or GCJ02")] | None
    ) = None
    read_id: Annotated[_Text128, msgspec.Meta(description="The sender's id of this read")] | None = None
    pass_id: Annotated[_Text128, msgspec.Meta(description="The sender's id of the vehicle pass")] | None = (
        None
    )


class ReadBatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 5,000 plate reads."""

    reads: Annotated[list[ReadIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


_DECODER = msgspec.json.Decoder(ReadBatchIn)
_WHERE = re.compile(r" - at `\$\.?(.*)`$")


def batch_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request body's schema, the components it refers to) for the OpenAPI document."""
    (schema,), components = msgspec.json.schema_components(
        [ReadBatchIn], ref_template="#/components/schemas/{name}"
    )
    return schema, components


def decode_batch(body: bytes) -> ReadBatchIn:
    """The batch, or InvalidInput naming the first bad field (``reads[3].read_at``)."""
    try:
        return _DECODER.decode(body)
    except msgspec.ValidationError as exc:
        message = str(exc)
        where = _WHERE.search(message)
        raise InvalidInput(where.group(1) if where else "body", _WHERE.sub("", message)) from None
    except msgspec.DecodeError as exc:
        raise InvalidInput("body", f"is not valid JSON: {exc}") from None


def canonical_reads(batch: ReadBatchIn) -> Parsed:
    """The batch's reads in canonical form, each checked; the first bad one refuses the whole batch."""
    now = clock.now()
    latest, earliest = now + MAX_CLOCK_SKEW, now - MAX_READ_AGE
    reads: list[PlateRead] = []
    for i, item in enumerate(batch.reads):
        at = item.read_at
        # The common case costs two comparisons; anything unusual goes through the full check and its message.
        if at.tzinfo is None or not earliest <= at <= latest:
            at = checked_time(at, f"reads[{i}].read_at")
        elif at.tzinfo is not UTC:
            at = at.astimezone(UTC)
        colour = None
        if item.colour is not None:
            colour = colour_of(item.colour)
            if colour is None and item.colour.strip().lower() not in ("unknown", "other", ""):
                raise InvalidInput(f"reads[{i}].colour", f"{item.colour!r} is not a plate colour")
        place = None
        if item.lon is not None or item.lat is not None or item.datum is not None:
            place = checked_place(item.lon, item.lat, item.datum, f"reads[{i}]")
        reads.append(
            PlateRead(
                plate=item.plate,
                read_at=at,
                camera_id=item.camera_id,
                vendor="canonical",
                candidates=tuple(item.candidates),
                confidence=item.confidence,
                colour=colour,
                place=place,
                read_key=item.read_id,
                pass_key=item.pass_id,
                raw=item,
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

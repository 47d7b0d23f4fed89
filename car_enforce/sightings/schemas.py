"""The canonical read batch, and what the API shows of cameras, alerts and sightings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.ingest import MAX_BATCH
from car_enforce.sightings.models import Alert, Camera, Sighting
from car_enforce.sightings.reads import (
    Candidate,
    Parsed,
    PlateRead,
    Rejected,
    checked_place,
    colour_of,
    read_time,
)
from car_enforce.sightings.vendors.encoding import utf8

Datum = Literal["WGS84", "GCJ02"]
_Text128 = Annotated[str, msgspec.Meta(max_length=128)]


# The canonical batch is decoded with msgspec rather than pydantic: it is the platform's hottest payload
# (5,000 reads a request, 50,000 reads a second), and msgspec decodes and checks it in one pass at a
# fraction of the cost. Its JSON schema is published in the OpenAPI document all the same.
class ReadIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One plate read."""

    plate: Annotated[
        str,
        msgspec.Meta(
            max_length=32, description="The best reading, as read; a colour prefix (蓝浙C12345) is the colour"
        ),
    ]
    read_at: Annotated[
        datetime,
        msgspec.Meta(
            description="With its UTC offset. A stamp far ahead or years back is not refused: it is kept as "
            "evidence and the receipt time is used (the camera is flagged); an old one is a late sighting"
        ),
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
    retransmitted: Annotated[
        bool, msgspec.Meta(description="Sent again from the sender's buffer (not a live pass)")
    ] = False


class ReadBatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 5,000 plate reads. A read with a bad field is rejected alone; the others are taken."""

    reads: Annotated[list[ReadIn], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class _LooseBatch(msgspec.Struct, forbid_unknown_fields=True):
    """The batch's envelope with each read left undecoded: the way to find which reads are bad."""

    reads: Annotated[list[msgspec.Raw], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


_DECODER = msgspec.json.Decoder(ReadBatchIn)
_LOOSE = msgspec.json.Decoder(_LooseBatch)
_READ = msgspec.json.Decoder(ReadIn)
_WHERE = re.compile(r" - at `\$\.?(.*)`$")


def batch_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request body's schema, the components it refers to) for the OpenAPI document."""
    (schema,), components = msgspec.json.schema_components(
        [ReadBatchIn], ref_template="#/components/schemas/{name}"
    )
    return schema, components


_TYPES_ZH = {
    "str": "文本",
    "int": "整数",
    "float": "数字",
    "bool": "true 或 false",
    "array": "数组",
    "object": "对象",
    "null": "空值",
    "datetime": "时间",
}
_BOUNDS_ZH = {"<=": "不能大于", ">=": "不能小于", "<": "应小于", ">": "应大于"}
_LENGTH = re.compile(r"^Expected `(\w+)` of length (<=|>=) (\d+)$")
_TYPE = re.compile(r"^Expected `([^`]+)`, got `(\w+)`$")
_BOUND = re.compile(r"^Expected `(?:int|float)` (<=|>=|<|>) ([-\d.]+)$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]+)`$")


def _msgspec_zh(message: str) -> str:
    """A msgspec refusal (its path already cut off) in Chinese, for the police unit's staff to read."""
    if m := _LENGTH.match(message):
        kind, op, n = m.groups()
        unit = "项" if kind == "array" else "个字符"
        return f"{'不能超过' if op == '<=' else '至少'} {n} {unit}"
    if m := _TYPE.match(message):
        wanted = "或".join(_TYPES_ZH.get(t.strip(), t.strip()) for t in m.group(1).split("|"))
        return f"应为{wanted}"
    if m := _BOUND.match(message):
        return f"{_BOUNDS_ZH[m.group(1)]} {float(m.group(2)):g}"
    if m := _MISSING.match(message):
        return f"缺少必填项 {m.group(1)}"
    if m := _UNKNOWN.match(message):
        return f"不应出现 {m.group(1)} 一项"
    if message.startswith("Invalid RFC3339"):
        return "时间格式不对，请按 2026-11-23T09:00:00+08:00 的格式报送"
    if message.startswith("Invalid enum value"):
        return "不是可选的值"
    return "格式不对"


def _invalid(exc: msgspec.ValidationError, prefix: str = "") -> InvalidInput:
    message = str(exc)
    where = _WHERE.search(message)
    field = f"{prefix}{'.' if prefix and where and where.group(1) else ''}{where.group(1)}" if where else ""
    reason = _WHERE.sub("", message)
    return InvalidInput(field or prefix or "body", reason, zh=_msgspec_zh(reason))


def decode_batch(body: bytes, charset: str | None = None) -> tuple[list[tuple[int, ReadIn]], list[Rejected]]:
    """The batch's reads by position, and the reads that could not be decoded, each with its error.

    The whole batch is refused (InvalidInput) only when its envelope is wrong: not JSON, no ``reads``
    array, too many reads. The common case (every read good) decodes in one pass.
    """
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        body = utf8(body, charset=charset)
    try:
        try:
            return list(enumerate(_DECODER.decode(body).reads)), []
        except (UnicodeDecodeError, msgspec.DecodeError) as exc:
            # GBK from a Chinese platform that did not say so. msgspec before 0.23 raised the first, from
            # 0.23 on a DecodeError naming UTF-8; any other DecodeError is the JSON's own.
            if isinstance(exc, msgspec.DecodeError) and "UTF-8" not in str(exc):
                raise
            body = utf8(body)
            return list(enumerate(_DECODER.decode(body).reads)), []
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise InvalidInput("body", f"is not valid JSON: {exc}", zh="不是有效的 JSON") from None
    try:
        loose = _LOOSE.decode(body)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
    reads: list[tuple[int, ReadIn]] = []
    rejected: list[Rejected] = []
    for i, raw in enumerate(loose.reads):
        try:
            reads.append((i, _READ.decode(raw)))
        except msgspec.ValidationError as exc:
            error = _invalid(exc, f"reads[{i}]")
            rejected.append(Rejected(index=i, field=error.field, detail=error.reason, detail_zh=error.zh))
    return reads, rejected


def canonical_reads(decoded: tuple[list[tuple[int, ReadIn]], list[Rejected]]) -> Parsed:
    """The batch's reads in canonical form, each checked; a bad read is rejected alone."""
    items, rejected = decoded
    rejected = list(rejected)
    reads: list[PlateRead] = []
    for i, item in items:
        try:
            reads.append(_canonical(i, item))
        except InvalidInput as exc:
            rejected.append(
                Rejected(
                    index=i, field=exc.field, detail=exc.reason, record_id=item.read_id, detail_zh=exc.zh
                )
            )
    rejected.sort(key=lambda r: r.index)
    return Parsed(reads=reads, rejected=rejected)


def _canonical(i: int, item: ReadIn) -> PlateRead:
    at = item.read_at
    if at.tzinfo is None:
        at = read_time(at, f"reads[{i}].read_at")  # refuses it, saying why
    elif at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    colour = None
    if item.colour is not None:
        colour = colour_of(item.colour)
        if colour is None and item.colour.strip().lower() not in ("unknown", "other", ""):
            raise InvalidInput(
                f"reads[{i}].colour",
                f"{item.colour!r} is not a plate colour",
                zh=f"“{item.colour}”不是可识别的号牌颜色",
            )
    place = None
    if item.lon is not None or item.lat is not None or item.datum is not None:
        place = checked_place(item.lon, item.lat, item.datum, f"reads[{i}]")
    return PlateRead(
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
        retransmitted=item.retransmitted,
    )


class RejectedOut(BaseModel):
    index: int = Field(description="The record's position in the message, from 0")
    field: str = Field(description="The bad value's path, e.g. reads[3].read_at")
    detail: str
    detail_zh: str | None = Field(default=None, description="The same in Chinese, for people to read")
    record_id: str | None = Field(default=None, description="The sender's id of the record, if it has one")


class IngestOut(BaseModel):
    reads: int
    matched: int = Field(description="Reads that matched at least one watch")
    hits: int
    possible_hits: int
    duplicates: int = Field(description="Matched reads already received in an earlier message")
    heartbeats: int
    late: int = Field(description="Matched reads received after the live window: on record, not dispatched")
    clock_skewed: int = Field(description="Reads whose camera clock was far off: the receipt time was used")
    alerts: list[int] = Field(description="Alerts raised or joined by this message")
    rejected: list[RejectedOut] = Field(description="Records that could not be read; the others were taken")
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
    place_source: str | None = Field(description="given, or division: placed from its GA/T 1400 device code")
    last_seen_at: datetime | None
    clock_skew_s: int | None = Field(
        description="How far its clock was off (its stamp minus the receipt time, seconds) when last found "
        "skewed; those reads were taken at their receipt time"
    )
    clock_skew_at: datetime | None = Field(description="When a skewed stamp was last received")

    @classmethod
    def of(cls, camera: Camera) -> CameraOut:
        return cls(
            id=camera.id,
            external_id=camera.external_id,
            vendor=camera.vendor,
            name=camera.name,
            lon=camera.lon,
            lat=camera.lat,
            place_source=camera.place_source,
            last_seen_at=camera.last_seen_at,
            clock_skew_s=camera.clock_skew_s,
            clock_skew_at=camera.clock_skew_at,
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
    camera_read_at: datetime | None = Field(description="The camera's own stamp, when it was not believed")
    clock_skewed: bool
    late: bool = Field(description="Received after the live window: on record, not dispatched")
    retransmitted: bool
    colour_in_text: str | None = Field(description="The colour written into the plate text (蓝浙C12345)")
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
            camera_read_at=s.camera_read_at,
            clock_skewed=s.clock_skewed,
            late=s.late,
            retransmitted=s.retransmitted,
            colour_in_text=s.colour_in_text,
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

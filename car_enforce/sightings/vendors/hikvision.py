"""Hikvision ISAPI camera push: an ``EventNotificationAlert`` XML part (``anpr.xml``) plus JPEG parts.

Chinese checkpoint firmware adds, beside the ``ANPR`` element:

- ``VehicleGATInfo``: the national-standard codes of the read (``palteTypeByGAT`` — the firmware's own
  spelling —, ``plateColorByGAT``, ``vehicleTypeByGAT``, ``colorByGAT``); the plate colour is taken from it
  when ``plateColor`` says nothing and the plate text carries no colour;
- ``DeviceGPSInfo``: the camera's fix in degrees/minutes/seconds with ``longitudeType`` E/W and
  ``latitudeType`` N/S (all zeros: no fix);
- ``isDataRetransmission``: ``true`` when the record is sent again from the camera's buffer after the
  network came back;
- ``licensePlate`` with the colour in front (``蓝浙AX2P12``), which ``PlateRead`` splits.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.files.evidence import kind_of
from car_enforce.sightings.reads import (
    Heartbeat,
    Parsed,
    Place,
    PlateRead,
    checked_confidence,
    colour_of,
)
from car_enforce.sightings.vendors.common import (
    MAX_DEPTH,
    bounded_camera,
    content_key,
    gps_place,
    iso_time,
)
from car_enforce.sightings.vendors.encoding import parse_xml
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plates import is_placeholder, parse_plate, split_colour_prefix

VENDOR = "hikvision"
FIELD = "anpr.xml"

# Current firmware, older firmware, and receivers that strip namespaces.
NAMESPACES = frozenset(
    {"http://www.isapi.org/ver20/XMLSchema", "http://www.hikvision.com/ver20/XMLSchema", ""}
)

# The camera's words for "saw a vehicle, read no plate".
_NO_PLATE = frozenset({"unknown", "无法识别"})

# ``plateColorByGAT`` uses the traffic-management colour codes of GA/T 833 that Hikvision's ISAPI
# protocol lists (0 white, 1 yellow, 2 blue, 3 black, 4 green, 5 not recognised, 9 other), not GA/T
# 1400's table (5 blue, 2 white, 6 yellow …): read with GA/T 1400's, every blue plate would become white.
# Real pushes agree: a small car (palteTypeByGAT 2) comes with 2, a foreign plate with 5, none with -1.
_GAT_COLOURS: dict[int, PlateColour] = {
    0: PlateColour.WHITE,
    1: PlateColour.YELLOW,
    2: PlateColour.BLUE,
    3: PlateColour.BLACK,
    4: PlateColour.GREEN,
}
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0", ""})


def parse_hikvision(xml: bytes, images: list[bytes]) -> Parsed:
    """One ISAPI alert as a read (``ANPR``), a heartbeat, or nothing (any other event)."""
    root = _parse(xml)
    raw: dict[str, Any] = {"namespace": _namespace(root.tag), **_as_dict(root)}
    event = (_text(root, "eventType") or "").strip()
    camera_id = _camera_id(root)
    if event.lower() != "anpr":
        # alertStream keeps the connection alive with "videoloss inactive" every few seconds.
        keepalive = event.lower() == "heartbeat" or (
            event.lower() == "videoloss" and (_text(root, "eventState") or "").strip().lower() == "inactive"
        )
        if keepalive and camera_id is not None:
            return Parsed(heartbeats=[Heartbeat(camera_id=camera_id, at=clock.now(), vendor=VENDOR)])
        return Parsed()

    anpr = _child(root, "ANPR")
    if anpr is None:
        raise InvalidInput(
            f"{FIELD}/ANPR", "an ANPR event must carry an ANPR element", zh="车牌识别事件缺少 ANPR 元素"
        )
    plate = (_text(anpr, "licensePlate") or "").strip()
    confidence = checked_confidence(
        _number(_text(anpr, "confidenceLevel"), f"{FIELD}/ANPR/confidenceLevel"),
        f"{FIELD}/ANPR/confidenceLevel",
        scale=100,
    )
    when = _text(root, "dateTime")
    if when is None or not when.strip():
        raise InvalidInput(f"{FIELD}/dateTime", "is required", zh="缺少时间 dateTime")
    # Cameras send an offset; one set up without a timezone stamps Chinese local time. Refusing it would
    # lose the read for good, since Hikvision never retries a push.
    read_at = iso_time(when, f"{FIELD}/dateTime", naive_zone="shanghai")
    if is_placeholder(plate) or plate.lower() in _NO_PLATE:
        return Parsed()

    gat_colour = _gat_colour(root, anpr)
    place = _place(root)
    retransmitted = _flag(root, "isDataRetransmission")
    # The colour word names the colour first; a colour written into the plate text comes next (PlateRead
    # takes it when no colour is given); the GA/T code only fills in when neither says anything.
    colour = colour_of(_text(anpr, "plateColor"))
    if colour is None and split_colour_prefix(plate)[0] is None:
        colour = _new_energy(plate) if gat_colour is PlateColour.GREEN else gat_colour

    pictures = tuple(part for part in images if kind_of(part) in ("jpg", "png"))
    raw["image_parts"] = len(images)
    return Parsed(
        reads=[
            PlateRead(
                plate=plate,
                read_at=read_at,
                camera_id=camera_id,
                vendor=VENDOR,
                confidence=confidence,
                colour=colour,
                place=place,
                # Pushed once, never retried, but a flaky network may deliver twice, and a buffered record
                # comes again marked as retransmitted: the content is the id, so both are recognised.
                read_key=content_key(VENDOR, camera_id, read_at.isoformat(), plate),
                raw=raw,
                images=pictures,
                retransmitted=retransmitted,
            )
        ]
    )


def _parse(xml: bytes) -> ET.Element:
    root = parse_xml(xml, FIELD)  # by its declaration (GB2312 from Chinese firmware), without DTDs
    if _local(root.tag) != "EventNotificationAlert":
        raise InvalidInput(
            FIELD,
            f"expected an EventNotificationAlert, got {_local(root.tag)!r}",
            zh=f"应为 EventNotificationAlert 报文，收到的是 {_local(root.tag)}",
        )
    if _namespace(root.tag) not in NAMESPACES:
        raise InvalidInput(
            FIELD,
            f"unknown namespace {_namespace(root.tag)!r}",
            zh=f"无法识别的命名空间 {_namespace(root.tag)}",
        )
    return root


def _camera_id(root: ET.Element) -> str | None:
    """MAC address (or device id) and channel; the body's ipAddress is never used, anyone can write it."""
    device = (_text(root, "macAddress") or "").strip().lower() or (_text(root, "deviceID") or "").strip()
    if not device:
        return None
    channel = (_text(root, "channelID") or _text(root, "dynChannelID") or "").strip()
    return bounded_camera(f"{device}/{channel}" if channel else device, f"{FIELD}/macAddress")


def _gat_colour(root: ET.Element, anpr: ET.Element) -> PlateColour | None:
    """The plate colour of ``VehicleGATInfo`` (beside ``ANPR``, or inside it on some firmware)."""
    gat = _child(root, "VehicleGATInfo")
    where = f"{FIELD}/VehicleGATInfo"
    if gat is None:
        gat, where = _child(anpr, "VehicleGATInfo"), f"{FIELD}/ANPR/VehicleGATInfo"
    if gat is None:
        return None
    text = (_text(gat, "plateColorByGAT") or "").strip()
    if not text:
        return None
    try:
        code = int(text)
    except ValueError:
        raise InvalidInput(
            f"{where}/plateColorByGAT",
            f"must be a colour code, got {text!r}",
            zh="号牌颜色应为 GA/T 颜色代码",
        ) from None
    return _GAT_COLOURS.get(code)  # 5 (not recognised), 9 (other), -1 (not set): not told


def _new_energy(plate: str) -> PlateColour:
    """The colour of a plate the GA/T code calls green: it has one green for both new-energy plates, and
    a large vehicle's (浙A12345D, the letter last) is yellow-green."""
    try:
        large = parse_plate(plate).kind == "nev_large"
    except InvalidInput:
        large = False
    return PlateColour.YELLOW_GREEN if large else PlateColour.GREEN


def _place(root: ET.Element) -> Place | None:
    """The camera's own GPS fix (WGS84, as receivers give it); None without one or when all zeros."""
    gps = _child(root, "DeviceGPSInfo")
    if gps is None:
        return None
    where = f"{FIELD}/DeviceGPSInfo"
    lon = _dms(gps, "Longitude", "longitudeType", ("E", "W"), where)
    lat = _dms(gps, "Latitude", "latitudeType", ("N", "S"), where)
    if lon is None or lat is None:
        return None
    return gps_place(lon, lat, f"{where}/Longitude", f"{where}/Latitude")


def _dms(
    gps: ET.Element, name: str, hemisphere_tag: str, hemispheres: tuple[str, str], where: str
) -> float | None:
    """Degrees, minutes and seconds as signed decimal degrees (W and S negative)."""
    part = _child(gps, name)
    if part is None:
        return None
    path = f"{where}/{name}"
    degree = _number(_text(part, "degree"), f"{path}/degree")
    minute = _number(_text(part, "minute"), f"{path}/minute") or 0.0
    second = _number(_text(part, "sec"), f"{path}/sec") or 0.0
    if degree is None:
        return None
    for value, unit in ((minute, "minute"), (second, "sec")):
        if not 0 <= value < 60:
            raise InvalidInput(
                f"{path}/{unit}", f"must be between 0 and 60, got {value:g}", zh="分、秒应在 0 至 60 之间"
            )
    if degree < 0:
        raise InvalidInput(
            f"{path}/degree",
            f"the hemisphere is told by {hemisphere_tag}, got {degree:g}",
            zh=f"度数不能为负，方向由 {hemisphere_tag} 表示",
        )
    value = degree + minute / 60 + second / 3600
    # A fix without its hemisphere is read as east and north: the platform's cameras stand in China.
    hemisphere = (_text(gps, hemisphere_tag) or hemispheres[0]).strip().upper() or hemispheres[0]
    if hemisphere not in hemispheres:
        raise InvalidInput(
            f"{where}/{hemisphere_tag}",
            f"must be {' or '.join(hemispheres)}, got {hemisphere!r}",
            zh=f"应为 {'或'.join(hemispheres)}",
        )
    return -value if hemisphere == hemispheres[1] else value


def _flag(root: ET.Element, name: str) -> bool:
    text = (_text(root, name) or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"{FIELD}/{name}", f"must be true or false, got {text!r}", zh="应为 true 或 false")


def _number(text: str | None, field: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(field, f"must be a number, got {text!r}", zh="应为数字") from None
    if not math.isfinite(value):
        raise InvalidInput(field, f"must be a finite number, got {text!r}", zh="应为有效的数字")
    return value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: ET.Element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None else (child.text or "")


def _as_dict(element: ET.Element, depth: int = 0) -> dict[str, Any]:
    """The element's children by local name (repeats become lists); leaves become their text."""
    if depth > MAX_DEPTH:
        raise InvalidInput(
            FIELD,
            f"nests deeper than {MAX_DEPTH} levels; no camera push does",
            zh=f"报文嵌套超过 {MAX_DEPTH} 层，不是摄像机推送的报文",
        )
    out: dict[str, Any] = {f"@{key}": value for key, value in element.attrib.items()}
    for child in element:
        name = _local(child.tag)
        value: Any = _as_dict(child, depth + 1) if len(child) else (child.text or "").strip()
        if name in out:
            existing = out[name]
            out[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[name] = value
    return out

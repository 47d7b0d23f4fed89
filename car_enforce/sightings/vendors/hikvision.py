"""Hikvision ISAPI camera push: an ``EventNotificationAlert`` XML part (``anpr.xml``) plus JPEG parts."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

from car_enforce import clock
from car_enforce.errors import InvalidInput
from car_enforce.evidence import kind_of
from car_enforce.sightings.reads import Heartbeat, Parsed, PlateRead, checked_confidence, colour_of
from car_enforce.sightings.vendors.common import MAX_DEPTH, bounded_camera, content_key, iso_time
from car_enforce.vehicles.plates import is_placeholder

VENDOR = "hikvision"
FIELD = "anpr.xml"

# Current firmware, older firmware, and receivers that strip namespaces.
NAMESPACES = frozenset(
    {"http://www.isapi.org/ver20/XMLSchema", "http://www.hikvision.com/ver20/XMLSchema", ""}
)

# defusedxml is not installed: a DOCTYPE is refused outright, which removes entity expansion (billion
# laughs) and external entities before expat sees anything. A camera's alert never declares one.
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# The camera's words for "saw a vehicle, read no plate".
_NO_PLATE = frozenset({"unknown", "无法识别"})


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
        raise InvalidInput(f"{FIELD}/ANPR", "an ANPR event must carry an ANPR element")
    plate = (_text(anpr, "licensePlate") or "").strip()
    confidence = checked_confidence(
        _number(_text(anpr, "confidenceLevel"), f"{FIELD}/ANPR/confidenceLevel"),
        f"{FIELD}/ANPR/confidenceLevel",
        scale=100,
    )
    when = _text(root, "dateTime")
    if when is None or not when.strip():
        raise InvalidInput(f"{FIELD}/dateTime", "is required")
    # Cameras send an offset; one set up without a timezone stamps Chinese local time. Refusing it would
    # lose the read for good, since Hikvision never retries a push.
    read_at = iso_time(when, f"{FIELD}/dateTime", naive_zone="shanghai")
    if is_placeholder(plate) or plate.lower() in _NO_PLATE:
        return Parsed()

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
                colour=colour_of(_text(anpr, "plateColor")),
                # Pushed once, never retried, but a flaky network may deliver twice: the content is the id.
                read_key=content_key(VENDOR, camera_id, read_at.isoformat(), plate),
                raw=raw,
                images=pictures,
            )
        ]
    )


def _parse(xml: bytes) -> ET.Element:
    if not isinstance(xml, bytes | bytearray):
        raise InvalidInput(FIELD, "must be the XML part's bytes")
    # A NUL means UTF-16/32, where the declaration check below could be dodged; cameras send UTF-8.
    if b"\x00" in xml:
        raise InvalidInput(FIELD, "must be UTF-8 XML")
    if _DECLARATION.search(xml):
        raise InvalidInput(FIELD, "DOCTYPE and ENTITY declarations are not accepted")
    try:
        root = ET.fromstring(bytes(xml))
    except ET.ParseError as exc:
        raise InvalidInput(FIELD, f"is not well-formed XML: {exc}") from None
    if _local(root.tag) != "EventNotificationAlert":
        raise InvalidInput(FIELD, f"expected an EventNotificationAlert, got {_local(root.tag)!r}")
    if _namespace(root.tag) not in NAMESPACES:
        raise InvalidInput(FIELD, f"unknown namespace {_namespace(root.tag)!r}")
    return root


def _camera_id(root: ET.Element) -> str | None:
    """MAC address (or device id) and channel; the body's ipAddress is never used, anyone can write it."""
    device = (_text(root, "macAddress") or "").strip().lower() or (_text(root, "deviceID") or "").strip()
    if not device:
        return None
    channel = (_text(root, "channelID") or _text(root, "dynChannelID") or "").strip()
    return bounded_camera(f"{device}/{channel}" if channel else device, f"{FIELD}/macAddress")


def _number(text: str | None, field: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(field, f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InvalidInput(field, f"must be a finite number, got {text!r}")
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
        raise InvalidInput(FIELD, f"nests deeper than {MAX_DEPTH} levels; no camera push does")
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

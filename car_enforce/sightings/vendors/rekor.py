"""Rekor Scout / OpenALPR agent webhooks: ``alpr_group``, ``alpr_alert``, ``vehicle`` and ``heartbeat``."""

from __future__ import annotations

import re
from typing import Any

from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import Parsed, PlateRead, checked_confidence
from car_enforce.sightings.vendors.common import (
    BODY,
    as_object,
    best_first,
    camera_text,
    candidates_of,
    epoch_time,
    gps_place,
    items_of,
    join,
    optional_list,
    optional_object,
    optional_text,
    plate_text,
    required,
    strip_images,
    vendor_key,
    worth_a_read,
)
from car_enforce.sightings.vendors.openalpr import heartbeats_of

VENDOR = "rekor"

# A platform key as the operator pastes it into the agent's custom data (ck_<prefix>_<secret>).
_KEY = re.compile(r"(?<![A-Za-z0-9_-])ck_[A-Za-z0-9_-]{8,}")
_KEY_FIELDS = ("api_key", "key", "adapter_key", "apikey")


def parse_rekor(document: object) -> Parsed:
    """A Rekor webhook as at most one read (one vehicle pass) or heartbeats; ``vehicle`` yields nothing."""
    stripped, images = strip_images(as_object(document, BODY))
    doc = as_object(stripped, BODY)
    kind = required(doc, "data_type", "")
    if kind == "alpr_group":
        return _group_parsed(doc, "", doc, images)
    if kind == "alpr_alert":
        group = as_object(required(doc, "group", ""), "group")
        # The alert names the plate that hit the agent's own list; the nested group is the read itself.
        return _group_parsed(group, "group", doc, images, fallback_plate=doc.get("plate_number"))
    if kind == "vehicle":
        return Parsed()  # a pass the agent saw without reading any plate
    if kind == "heartbeat":
        return Parsed(heartbeats=heartbeats_of(doc, VENDOR))
    raise InvalidInput(
        "data_type",
        f"{kind!r} is not a Rekor message (alpr_group, alpr_alert, vehicle, heartbeat)",
        zh=f"{kind} 不是 Rekor 报文（应为 alpr_group、alpr_alert、vehicle 或 heartbeat）",
    )


def rekor_key(document: object) -> str | None:
    """The platform key the operator typed into the agent's ``custom_data`` (top level or alert group)."""
    if not isinstance(document, dict):
        return None
    places = [document.get("custom_data")]
    group = document.get("group")
    if isinstance(group, dict):
        places.append(group.get("custom_data"))
    for custom in places:
        key = _key_in(custom)
        if key is not None:
            return key
    return None


def _key_in(custom: object) -> str | None:
    if isinstance(custom, str):
        found = _KEY.search(custom)
        return found.group(0) if found else None
    if isinstance(custom, dict):
        for name in _KEY_FIELDS:
            key = _key_in(custom.get(name))
            if key is not None:
                return key
    return None


def _group_parsed(
    group: dict[str, Any],
    path: str,
    raw: dict[str, Any],
    images: tuple[bytes, ...],
    *,
    fallback_plate: object = None,
) -> Parsed:
    best_plate = optional_object(group, "best_plate", path)
    best_path = join(path, "best_plate")
    plate_value = group.get("best_plate_number")
    plate_path = join(path, "best_plate_number")
    if plate_value is None and best_plate is not None and best_plate.get("plate") is not None:
        plate_value, plate_path = best_plate.get("plate"), join(best_path, "plate")
    if plate_value is None and fallback_plate is not None:
        plate_value, plate_path = fallback_plate, "plate_number"
    if plate_value is None:
        raise InvalidInput(join(path, "best_plate_number"), "is required", zh="缺少号牌 best_plate_number")
    plate = plate_text(plate_value, plate_path)

    confidence = checked_confidence(group.get("best_confidence"), join(path, "best_confidence"), scale=100)
    if confidence is None and best_plate is not None:
        confidence = checked_confidence(
            best_plate.get("confidence"), join(best_path, "confidence"), scale=100
        )

    # Both lists hold readings of the same plate over the pass's frames; merged, one per text, best first.
    pairs = items_of(group, "candidates", path)
    if best_plate is not None:
        pairs += items_of(best_plate, "candidates", best_path)
    candidates = best_first(candidates_of(pairs, plate_key="plate", confidence_key="confidence", scale=100))

    # The pass began when the car was first seen; epoch_end is a fallback for trimmed messages.
    if group.get("epoch_start") is not None:
        read_at = epoch_time(group["epoch_start"], join(path, "epoch_start"), unit="ms")
    else:
        read_at = epoch_time(required(group, "epoch_end", path), join(path, "epoch_end"), unit="ms")
    place = gps_place(
        group.get("gps_longitude"),
        group.get("gps_latitude"),
        join(path, "gps_longitude"),
        join(path, "gps_latitude"),
    )
    camera_id = camera_text(group.get("camera_id"), join(path, "camera_id"))
    pass_key = _pass_key(group, path)

    if not worth_a_read(plate, candidates):
        return Parsed()
    return Parsed(
        reads=[
            PlateRead(
                plate=plate,
                read_at=read_at,
                camera_id=camera_id,
                vendor=VENDOR,
                candidates=candidates,
                confidence=confidence,
                place=place,
                # A group and the alert that nests it describe one read: the same key recognises both.
                read_key=pass_key,
                pass_key=pass_key,
                raw=raw,
                images=images,
            )
        ]
    )


def _pass_key(group: dict[str, Any], path: str) -> str | None:
    for name in ("best_uuid", "id", "group_id"):
        key = optional_text(group.get(name), join(path, name))
        if key:
            return vendor_key(key)
    uuids = optional_list(group, "uuids", path)
    first = optional_text(uuids[0], join(join(path, "uuids"), 0)) if uuids else None
    return vendor_key(first) if first else None

"""Plate Recognizer webhooks: Snapshot (``image.done``) and Stream (``recognition``), JSON or multipart."""

from __future__ import annotations

import copy
import json
from typing import Any

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.files.evidence import kind_of
from car_enforce.sightings.reads import Heartbeat, Parsed, PlateRead, Rejected, checked_confidence
from car_enforce.sightings.vendors.common import (
    BODY,
    as_object,
    camera_text,
    candidates_of,
    content_key,
    iso_time,
    items_of,
    join,
    optional_text,
    plate_text,
    required,
    strip_images,
    worth_a_read,
)

VENDOR = "platerecognizer"

SNAPSHOT = "image.done"
STREAM = "recognition"


def parse_platerecognizer(document: object, image: bytes | None = None) -> Parsed:
    """A Snapshot or Stream webhook body (with the uploaded image, if any) as reads, one per plate."""
    stripped, embedded = strip_images(as_object(document, BODY))
    doc = as_object(stripped, BODY)
    hook = as_object(required(doc, "hook", ""), "hook")
    event = required(hook, "event", "hook")
    if not isinstance(event, str):
        raise InvalidInput("hook.event", f"must be a string, got {event!r}", zh="应为文本")
    data = as_object(required(doc, "data", ""), "data")

    own_camera = camera_text(data.get("camera_id"), "data.camera_id")
    if event == SNAPSHOT:
        # A Snapshot camera_id is what the uploader passed, often nothing; hook.id is the webhook's own id.
        camera_id = own_camera
    elif event == STREAM:
        camera_id = own_camera or camera_text(hook.get("id"), "hook.id")
    elif "heartbeat" in event.lower():
        camera = own_camera or camera_text(hook.get("id"), "hook.id")
        if camera is None:
            return Parsed()
        return Parsed(heartbeats=[Heartbeat(camera_id=camera, at=clock.now(), vendor=VENDOR)])
    else:
        # Other events (video clips, dwell time …) carry no plate read; refusing them would only make
        # the sender retry.
        return Parsed()

    images = embedded
    if image is not None:
        if kind_of(image) not in ("jpg", "png"):
            raise InvalidInput("upload", "is not a JPEG or PNG image", zh="上传的文件不是 JPEG 或 PNG 图片")
        images = (image, *embedded)
    return _reads(doc, data, camera_id, images)


def parse_platerecognizer_multipart(json_text: str, image: bytes | None) -> Parsed:
    """The multipart form: field ``json`` (the webhook body as a JSON string) and ``upload`` (the JPEG)."""
    try:
        document = json.loads(json_text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidInput("json", f"is not valid JSON: {exc}", zh="不是有效的 JSON") from None
    return parse_platerecognizer(document, image)


def _reads(
    doc: dict[str, Any], data: dict[str, Any], camera_id: str | None, images: tuple[bytes, ...]
) -> Parsed:
    # Snapshot on-premise and Stream stamp local time without an offset; the platform's cameras are in
    # Chinese deployments, so a bare timestamp is Asia/Shanghai. One with an offset or Z says so itself.
    read_at = iso_time(required(data, "timestamp", "data"), "data.timestamp", naive_zone="shanghai")
    filename = optional_text(data.get("filename"), "data.filename")
    parsed = Parsed()
    for index, (item, path) in enumerate(items_of(data, "results", "data")):
        try:
            result = as_object(item, path)
            plate = plate_text(required(result, "plate", path), join(path, "plate"))
            confidence = checked_confidence(result.get("score"), join(path, "score"), scale=1)
            # dscore (how sure it is that a plate is there at all) stays in raw; it is not the reading's.
            checked_confidence(result.get("dscore"), join(path, "dscore"), scale=1)
            candidates = candidates_of(
                items_of(result, "candidates", path), plate_key="plate", confidence_key="score", scale=1
            )
        except InvalidInput as exc:  # one bad plate of the frame; the others are taken
            parsed.rejected.append(
                Rejected(index=index, field=exc.field, detail=exc.reason, detail_zh=exc.zh)
            )
            continue
        if not worth_a_read(plate, candidates):
            continue
        parsed.reads.append(
            PlateRead(
                plate=plate,
                read_at=read_at,
                camera_id=camera_id,
                vendor=VENDOR,
                candidates=tuple(candidates),
                confidence=confidence,
                # Plate Recognizer gives a read no id; its content is stable across the sender's retries.
                read_key=content_key(VENDOR, camera_id, read_at.isoformat(), filename, index, plate),
                raw=copy.deepcopy(doc),
                images=images,
            )
        )
    return parsed

"""OpenALPR ``alprd`` (the open-source daemon): ``alpr_results`` per frame and a ``heartbeat`` a minute."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import Heartbeat, Parsed, PlateRead, Rejected, checked_confidence
from car_enforce.sightings.vendors.common import (
    BODY,
    as_object,
    camera_text,
    candidates_of,
    content_key,
    epoch_time,
    items_of,
    join,
    optional_list,
    optional_text,
    plate_text,
    required,
    strip_images,
    vendor_key,
    worth_a_read,
)

VENDOR = "openalpr"


def parse_openalpr(document: object) -> Parsed:
    """An ``alprd`` message as reads (``alpr_results``) or heartbeats (``heartbeat``)."""
    stripped, images = strip_images(as_object(document, BODY))
    doc = as_object(stripped, BODY)
    # Old alprd builds send results without a data_type at all.
    kind = doc.get("data_type", "alpr_results")
    if kind == "heartbeat":
        return Parsed(heartbeats=heartbeats_of(doc, VENDOR))
    if kind != "alpr_results":
        raise InvalidInput(
            "data_type",
            f"{kind!r} is not an alprd message (alpr_results or heartbeat); "
            "agent groups and alerts go to the Rekor adapter",
            zh=f"{kind} 不是 alprd 报文（应为 alpr_results 或 heartbeat）；agent 分组和告警请发往 Rekor 接口",
        )
    return _results(doc, images)


def _results(doc: dict[str, Any], images: tuple[bytes, ...]) -> Parsed:
    read_at = epoch_time(required(doc, "epoch_time", ""), "epoch_time", unit="s")
    camera_id = camera_text(doc.get("camera_id"), "camera_id")
    uuid = optional_text(doc.get("uuid"), "uuid")
    parsed = Parsed()
    # Each result is a different plate in the same frame (two cars), so each is its own read, and a bad
    # one is rejected alone.
    for index, item in enumerate(optional_list(doc, "results", "")):
        try:
            read = _result(doc, images, index, item, read_at, camera_id, uuid)
        except InvalidInput as exc:
            parsed.rejected.append(
                Rejected(index=index, field=exc.field, detail=exc.reason, detail_zh=exc.zh)
            )
            continue
        if read is not None:
            parsed.reads.append(read)
    return parsed


def _result(
    doc: dict[str, Any],
    images: tuple[bytes, ...],
    index: int,
    item: object,
    read_at: datetime,
    camera_id: str | None,
    uuid: str | None,
) -> PlateRead | None:
    path = join("results", index)
    result = as_object(item, path)
    plate = plate_text(required(result, "plate", path), join(path, "plate"))
    confidence = checked_confidence(result.get("confidence"), join(path, "confidence"), scale=100)
    candidates = candidates_of(
        items_of(result, "candidates", path),
        plate_key="plate",
        confidence_key="confidence",
        scale=100,
    )
    if not worth_a_read(plate, candidates):
        return None
    if uuid:
        key = vendor_key(f"{uuid}:{index}")
    else:
        key = content_key(VENDOR, camera_id, read_at.isoformat(), index, plate)
    return PlateRead(
        plate=plate,
        read_at=read_at,
        camera_id=camera_id,
        vendor=VENDOR,
        candidates=tuple(candidates),
        confidence=confidence,
        read_key=key,
        raw=copy.deepcopy(doc),  # each read owns its evidence
        images=images,
    )


def heartbeats_of(doc: dict[str, Any], vendor: str) -> list[Heartbeat]:
    """One heartbeat per video stream the agent reports, else one for the agent's own camera or id.

    The time is when the platform heard it, not the camera's stamp: being heard is what "alive" means,
    and the camera's clock is one of the things a heartbeat helps check.
    """
    now = clock.now()
    cameras: list[str] = []
    for index, item in enumerate(optional_list(doc, "video_streams", "")):
        path = join("video_streams", index)
        camera = camera_text(as_object(item, path).get("camera_id"), join(path, "camera_id"))
        if camera is not None and camera not in cameras:
            cameras.append(camera)
    if not cameras:
        own = camera_text(doc.get("camera_id"), "camera_id") or camera_text(doc.get("agent_uid"), "agent_uid")
        if own is None:
            raise InvalidInput(
                "camera_id",
                "a heartbeat must name its camera (camera_id or agent_uid)",
                zh="心跳报文应注明摄像机（camera_id 或 agent_uid）",
            )
        cameras.append(own)
    return [Heartbeat(camera_id=camera, at=now, vendor=vendor) for camera in cameras]

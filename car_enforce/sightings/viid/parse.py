"""GA/T 1400 ``MotorVehicleListObject`` pushes (passing-vehicle records) as plate reads: pure, no database.

Each ``MotorVehicleObject`` is one pass. A record with a bad field is rejected on its own and the others
are taken (the push is never sent again, so refusing it whole would lose them). Field implementations
send codes unpadded and numbers and booleans as strings; both are read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from car_enforce.core.clock import SHANGHAI
from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import Parsed, PlateRead, Rejected, checked_confidence, read_time
from car_enforce.sightings.vendors.common import (
    MAX_CAMERA_ID,
    as_list,
    as_object,
    content_key,
    gps_place,
    join,
    plate_text,
    strip_images,
    vendor_key,
)
from car_enforce.sightings.viid import codes
from car_enforce.vehicles.plates import is_placeholder

VENDOR = "gat1400"
LIST = "MotorVehicleListObject"
RECORDS = f"{LIST}.MotorVehicleObject"

# YYYYMMDDhhmmss in Beijing time, no offset; a few senders add milliseconds.
_PASS_TIME = re.compile(r"(\d{14})(\d{3})?")
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})
# GA/T 1400 has no resend flag of its own; Hikvision devices carry their ISAPI one into the record.
_RESENT = ("IsDataRetransmission", "isDataRetransmission")


@dataclass(slots=True)
class Push:
    """What one push carried: the reads and rejected records, and each record's id in the order sent."""

    parsed: Parsed
    record_ids: list[str | None] = field(default_factory=list)


def parse_motor_vehicles(
    document: object, *, colour_table: str, device_id: str, received_at: datetime
) -> Push:
    """The records of a ``/VIID/MotorVehicles`` body; ``device_id`` names the pushing device.

    Raises InvalidInput only when the body is not a motor-vehicle list at all.
    """
    body = as_object(document, "body")
    listing = as_object(body.get(LIST), LIST)
    records = listing.get("MotorVehicleObject")
    if isinstance(records, dict):  # one record sent bare rather than in a list
        records = [records]
    items = as_list([] if records is None else records, RECORDS)
    push = Push(parsed=Parsed())
    for index, item in enumerate(items):
        path = join(RECORDS, index)
        record_id = _record_id(item)
        push.record_ids.append(record_id)
        try:
            read = _read(item, path, colour_table, device_id, received_at, record_id)
        except InvalidInput as exc:
            push.parsed.rejected.append(Rejected(index, exc.field, exc.reason, record_id, exc.zh))
            continue
        if read is not None:
            push.parsed.reads.append(read)
    return push


def _record_id(item: object) -> str | None:
    if not isinstance(item, dict):
        return None
    value = item.get("MotorVehicleID")
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def _read(
    item: object,
    path: str,
    colour_table: str,
    device_id: str,
    received_at: datetime,
    record_id: str | None,
) -> PlateRead | None:
    record = as_object(item, path)
    if flag(record.get("HasPlate"), join(path, "HasPlate")) is False:
        return None
    raw_plate = record.get("PlateNo")
    plate = None if raw_plate is None else plate_text(raw_plate, join(path, "PlateNo")).strip()
    # Every field is checked, even of a record without a plate: a sender with a broken field hears it.
    colour = codes.plate_colour(record.get("PlateColor"), colour_table, join(path, "PlateColor"))
    class_code = codes.plate_class(record.get("PlateClass"), join(path, "PlateClass"))
    confidence = checked_confidence(
        number(record.get("PlateReliability"), join(path, "PlateReliability")),
        join(path, "PlateReliability"),
        scale=100,
    )
    camera = _camera(record.get("DeviceID"), join(path, "DeviceID")) or device_id
    place = gps_place(
        number(record.get("Longitude"), join(path, "Longitude")),
        number(record.get("Latitude"), join(path, "Latitude")),
        join(path, "Longitude"),
        join(path, "Latitude"),
    )
    resent = any(flag(record.get(name), join(path, name)) for name in _RESENT)
    stripped, images = strip_images(record)
    raw: dict[str, Any] = {"MotorVehicleObject": stripped, "User-Identify": device_id}
    when = record.get("PassTime")
    if when is None or when == "":
        read_at = read_time(received_at, join(path, "PassTime"))
        raw["note"] = "PassTime missing: the time of receipt is the read time"
    else:
        read_at = pass_time(when, join(path, "PassTime"))
    if plate is None or is_placeholder(plate):
        return None
    return PlateRead(
        plate=plate,
        read_at=read_at,
        camera_id=camera,
        vendor=VENDOR,
        confidence=confidence,
        colour=codes.colour_for_class(colour, class_code, plate),
        place=place,
        read_key=vendor_key(record_id)
        if record_id
        else content_key(VENDOR, camera, read_at.isoformat(), plate),
        raw=raw,
        images=images,
        retransmitted=resent,
    )


def _camera(value: object, path: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(
            path, f"a device id must be a string of digits, got {value!r}", zh="设备编码应为数字串"
        )
    text = str(value).strip()
    if len(text) > MAX_CAMERA_ID:
        raise InvalidInput(
            path,
            f"a device id is at most {MAX_CAMERA_ID} characters",
            zh=f"设备编码不能超过 {MAX_CAMERA_ID} 个字符",
        )
    return text or None


def pass_time(value: object, path: str) -> datetime:
    """``YYYYMMDDhhmmss`` (Beijing time, no offset) as an aware UTC instant, the camera's stamp."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    found = _PASS_TIME.fullmatch(text)
    if found is None:
        raise InvalidInput(
            path,
            f"expected YYYYMMDDhhmmss (Beijing time), got {value!r}",
            zh="时间格式应为 YYYYMMDDhhmmss（北京时间）",
        )
    digits, millis = found.group(1), int(found.group(2) or 0)
    try:
        # Sliced rather than strptime: a push carries a hundred of these, and strptime costs ten times more.
        local = datetime(
            int(digits[:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            millis * 1000,
            tzinfo=SHANGHAI,
        )
    except ValueError:
        raise InvalidInput(path, f"{value!r} is not a valid date and time", zh="不是有效的日期时间") from None
    return read_time(local, path)


def flag(value: object, path: str) -> bool | None:
    """A boolean as sent: ``true``, ``1``, ``"1"``, ``"true"`` …; None when absent or empty."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise InvalidInput(
        path, f"expected true or false (or 1 or 0), got {value!r}", zh="应为 true 或 false（或 1、0）"
    )


def number(value: object, path: str) -> float | None:
    """A number as sent, or as a string of one; None when absent or empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput(path, f"expected a number, got {value!r}", zh="应为数字")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            result = float(value.strip())
        except ValueError:
            raise InvalidInput(path, f"expected a number, got {value!r}", zh="应为数字") from None
    else:
        raise InvalidInput(path, f"expected a number, got {value!r}", zh="应为数字")
    if not math.isfinite(result):
        raise InvalidInput(path, f"expected a finite number, got {value!r}", zh="应为有效的数字")
    return result

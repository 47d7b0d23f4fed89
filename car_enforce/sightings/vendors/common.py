"""Helpers shared by the vendor adapters: typed field access naming JSON paths, times, images, keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from car_enforce.core.clock import SHANGHAI
from car_enforce.core.errors import InvalidInput
from car_enforce.core.files.evidence import kind_of
from car_enforce.sightings.reads import Candidate, Place, checked_confidence, checked_place, read_time
from car_enforce.vehicles.plates import is_placeholder

# Path used when the message itself (not one of its fields) is the wrong shape.
BODY = "body"

# Base64 images are only looked for in long strings: a short string cannot hold a useful picture, and
# decoding every string of a message would be wasted work.
_MIN_IMAGE_CHARS = 200
_IMAGE_PREFIXES = ("/9j/", "iVBOR")  # base64 of FF D8 FF (JPEG) and 89 'PNG' (PNG)
_IMAGE_KINDS = frozenset({"jpg", "png"})

# The longest values the platform stores (camera external id, read/pass key, a plate as read).
MAX_CAMERA_ID = 128
MAX_KEY = 160
MAX_PLATE = 64
# Vendor messages nest a few levels; anything far deeper is hostile, and walking it would exhaust the stack.
MAX_DEPTH = 64

# A millisecond epoch of any date after 1973 is above this; a second epoch stays below it until year 5138.
_EPOCH_UNIT_SPLIT = 1e11


def join(path: str, key: str | int) -> str:
    """The JSON path of ``key`` inside ``path``: ``results[0].plate``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return key if not path or path == BODY else f"{path}.{key}"


def as_object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(path, f"must be a JSON object, got {_kind(value)}", zh="应为 JSON 对象")
    return value


def as_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(path, f"must be a JSON array, got {_kind(value)}", zh="应为 JSON 数组")
    return value


def required(obj: dict[str, Any], key: str, path: str) -> Any:
    """``obj[key]``; InvalidInput naming its path when it is missing or null."""
    value = obj.get(key)
    if value is None:
        raise InvalidInput(join(path, key), "is required", zh="缺少此项")
    return value


def optional_list(obj: dict[str, Any], key: str, path: str) -> list[Any]:
    value = obj.get(key)
    return [] if value is None else as_list(value, join(path, key))


def items_of(obj: dict[str, Any], key: str, path: str) -> list[tuple[Any, str]]:
    """The items of an optional array field, each with its own JSON path."""
    base = join(path, key)
    return [(item, join(base, i)) for i, item in enumerate(optional_list(obj, key, path))]


def optional_object(obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = obj.get(key)
    return None if value is None else as_object(value, join(path, key))


def plate_text(value: object, path: str) -> str:
    """The plate exactly as read; only a string is a plate (a number has lost its leading zeros)."""
    if not isinstance(value, str):
        raise InvalidInput(
            path, f"a plate must be a string, got {_kind(value)}", zh="号牌应为文本，不能是数字或其他类型"
        )
    if len(value) > MAX_PLATE:
        raise InvalidInput(
            path,
            f"a plate reading of {len(value)} characters is not a plate",
            zh=f"号牌识别结果有 {len(value)} 个字符，不是号牌",
        )
    return value


def optional_text(value: object, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(path, f"must be a string, got {_kind(value)}", zh="应为文本")
    return value


def camera_text(value: object, path: str) -> str | None:
    """A camera id as text; vendors send numbers (Rekor, OpenALPR) or strings, None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(
            path,
            f"a camera id must be a string or an integer, got {_kind(value)}",
            zh="设备编号应为文本或整数",
        )
    return bounded_camera(str(value), path)


def bounded_camera(camera: str, path: str) -> str:
    if len(camera) > MAX_CAMERA_ID:
        raise InvalidInput(
            path,
            f"a camera id is at most {MAX_CAMERA_ID} characters",
            zh=f"设备编号不能超过 {MAX_CAMERA_ID} 个字符",
        )
    return camera


def epoch_time(value: object, path: str, *, unit: Literal["s", "ms"]) -> datetime:
    """A Unix epoch in the vendor's unit as an aware UTC instant (the camera's stamp, judged at ingest)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(path, f"an epoch time must be a number, got {value!r}", zh="时间戳应为数字")
    # Seconds and milliseconds are the classic mix-up between OpenALPR and Rekor: say which it looks like.
    if unit == "s" and abs(value) >= _EPOCH_UNIT_SPLIT:
        raise InvalidInput(
            path,
            f"{value!r} looks like milliseconds; this field is in seconds",
            zh="时间戳看起来是毫秒，此项应以秒为单位",
        )
    if unit == "ms" and 0 < abs(value) < _EPOCH_UNIT_SPLIT:
        raise InvalidInput(
            path,
            f"{value!r} looks like seconds; this field is in milliseconds",
            zh="时间戳看起来是秒，此项应以毫秒为单位",
        )
    seconds = value / 1000 if unit == "ms" else value
    try:
        instant = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(path, f"{value!r} is not a valid epoch time", zh="不是有效的时间戳") from None
    return read_time(instant, path)


def iso_time(value: object, path: str, *, naive_zone: Literal["shanghai"] | None = None) -> datetime:
    """An ISO 8601 text as an aware UTC instant; without an offset it is refused unless a zone is given."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            path, f"a time must be an ISO 8601 string, got {value!r}", zh="时间应为 ISO 8601 格式的文本"
        )
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            path, f"{value!r} is not an ISO 8601 time", zh="不是 ISO 8601 格式的时间"
        ) from None
    if instant.tzinfo is None and naive_zone == "shanghai":
        instant = instant.replace(tzinfo=SHANGHAI)
    return read_time(instant, path)


def candidates_of(
    items: Iterable[tuple[object, str]],
    *,
    plate_key: str,
    confidence_key: str,
    scale: float,
) -> list[Candidate]:
    """Candidate readings from ``(item, path)`` pairs, each checked and named by its own path."""
    out: list[Candidate] = []
    for item, path in items:
        obj = as_object(item, path)
        plate = plate_text(required(obj, plate_key, path), join(path, plate_key))
        confidence = checked_confidence(obj.get(confidence_key), join(path, confidence_key), scale=scale)
        out.append(Candidate(plate=plate, confidence=confidence))
    return out


def best_first(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """One candidate per text (its highest confidence), best first; unknown confidences go last."""

    def rank(candidate: Candidate) -> float:
        return -1.0 if candidate.confidence is None else candidate.confidence

    best: dict[str, Candidate] = {}
    for candidate in candidates:
        known = best.get(candidate.plate)
        if known is None or rank(candidate) > rank(known):
            best[candidate.plate] = candidate
    return tuple(sorted(best.values(), key=rank, reverse=True))


def worth_a_read(plate: str, candidates: Iterable[Candidate]) -> bool:
    """False when neither the best text nor any candidate is a real plate (NOPLATE, 0, empty …)."""
    return not is_placeholder(plate) or any(not is_placeholder(c.plate) for c in candidates)


def gps_place(lon: object, lat: object, lon_path: str, lat_path: str) -> Place | None:
    """A vendor's GPS fix (WGS84) as a place; missing or 0/0 (no fix) means no place."""
    if lon is None or lat is None:
        return None
    lon_f, lat_f = _coordinate(lon, lon_path), _coordinate(lat, lat_path)
    if lon_f == 0 and lat_f == 0:
        return None
    if not -180 <= lon_f <= 180:
        raise InvalidInput(
            lon_path, f"longitude {lon!r} is outside [-180, 180]", zh="经度应在 -180 至 180 之间"
        )
    if not -90 <= lat_f <= 90:
        raise InvalidInput(lat_path, f"latitude {lat!r} is outside [-90, 90]", zh="纬度应在 -90 至 90 之间")
    return checked_place(lon_f, lat_f, "WGS84", lon_path)


def _coordinate(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(path, f"a coordinate must be a number, got {value!r}", zh="坐标应为数字")
    return float(value)


def content_key(*parts: object) -> str:
    """A deterministic key from a read's content, for vendors without an id: a replay gets the same key."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def vendor_key(key: str) -> str:
    """A vendor's own id as a key; one too long to store is replaced by its digest, still deterministic."""
    return key if len(key) <= MAX_KEY else content_key(key)


def strip_images(document: object) -> tuple[object, tuple[bytes, ...]]:
    """A copy of a JSON document with base64 JPEG/PNG strings replaced by ``{"image": i}``, and the bytes.

    The marker (rather than dropping the key) keeps the raw evidence saying where each image was;
    ``i`` indexes the returned tuple. Strings that only look like images stay as they are.
    """
    images: list[bytes] = []

    def walk(value: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise InvalidInput(
                BODY,
                f"nests deeper than {MAX_DEPTH} levels; no vendor message does",
                zh=f"报文嵌套超过 {MAX_DEPTH} 层，不是厂商报文",
            )
        if isinstance(value, dict):
            return {key: walk(item, depth + 1) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, depth + 1) for item in value]
        if isinstance(value, str):
            data = _image_bytes(value)
            if data is not None:
                images.append(data)
                return {"image": len(images) - 1}
        return value

    return walk(document), tuple(images)


def _image_bytes(text: str) -> bytes | None:
    if len(text) <= _MIN_IMAGE_CHARS:
        return None
    payload = text
    if payload.startswith("data:image/") and ";base64," in payload[:40]:
        payload = payload.split(",", 1)[1]
    if not payload.startswith(_IMAGE_PREFIXES):
        return None
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if kind_of(data) in _IMAGE_KINDS else None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

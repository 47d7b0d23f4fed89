"""Dahua ITC traffic cameras: ``TrafficJunction`` plate events as JSON (``TrafficGate`` alike).

Messages taken, the event being the same in all of them:

- the camera's RPC event stream as a receiver relays it:
  ``{"id": 3143, "method": "client.notifyEventStream", "params": {"SID": 513, "eventList": [event, …]},
  "session": "…"}``; any other RPC method (a login, ``global.keepAlive``, an answer) carries no read;
- its ``params`` alone: ``{"SID": 513, "eventList": [event, …]}``;
- a list of events: ``{"Events": [event, …]}``;
- one event on its own.

An event is ``{"Code": "TrafficJunction", "Action": "Pulse", "Data": {…}}`` (``Data`` repeats ``Code``;
either is enough). Read from ``Data``:

- the plate: ``Object.Text`` when ``Object.ObjectType`` is ``Plate`` (or absent: for a vehicle object the
  text is its make), else ``TrafficCar.PlateNumber``. The colour may be written in front of it
  (``蓝浙C12345``). Empty, ``无车牌``, ``unknown`` … is a pass without a plate and gives no read;
- the colour: ``TrafficCar.PlateColor`` — ``Blue``, ``Yellow``, ``White``, ``Black``, ``Green``,
  ``ShadowGreen``, ``YellowGreen``, ``YellowbottomBlackText``, ``BluebottomWhiteText``,
  ``BlackBottomWhiteText``; ``Unknown`` and ``Other`` tell nothing;
- the confidence: ``Object.Confidence``, 0–255 (0: not computed);
- the time: ``RealUTC`` (true UTC, seconds) when the firmware sends it, else ``UTC`` — the camera's local
  wall clock written as if it were UTC (see ``_read_at``) — plus ``UTCMS`` milliseconds; ``LocaleTime``
  (``2024-01-30 14:34:55``, local) tells the two apart and stands in when neither is sent;
- the place: ``CommInfo.GPSInfo`` ``Longitude``/``Latitude``, WGS84 degrees (0/0: no fix);
- the camera: ``TrafficCar.MachineName`` (the device name, by default its serial number; else
  ``Data.MachineName``), followed by ``/Channel`` when the event names its channel;
- the ids: ``EventID`` and ``GroupID`` (one vehicle pass, photographed ``CountInGroup`` times, this being
  snapshot ``IndexInGroup``).

Base64 pictures anywhere in an event are cut out of its evidence and become the read's images. An event
whose ``Code`` is ``Heartbeat`` or ``KeepAlive`` is a heartbeat of the camera it names; an event of any
other code is nothing. A bad event is rejected alone, naming the JSON path of its bad value; the other
events of the message are read.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from car_enforce.core import clock
from car_enforce.core.clock import SHANGHAI
from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import (
    Heartbeat,
    Parsed,
    Place,
    PlateRead,
    Rejected,
    checked_confidence,
    colour_of,
    read_time,
)
from car_enforce.sightings.vendors.common import (
    BODY,
    as_list,
    as_object,
    bounded_camera,
    camera_text,
    content_key,
    epoch_time,
    gps_place,
    join,
    optional_object,
    optional_text,
    plate_text,
    required,
    strip_images,
    vendor_key,
)
from car_enforce.vehicles.plates import is_placeholder

VENDOR = "dahua"

_EVENT_STREAM = "client.notifyeventstream"
# TrafficGate is the checkpoint (卡口) rule's event: the same pass, its structure beginning like
# TrafficJunction's (Object, Vehicle, UTC, Lane, TrafficCar) in Dahua's NetSDK.
PLATE_EVENTS = frozenset({"trafficjunction", "trafficgate"})
_KEEPALIVE_EVENTS = frozenset({"heartbeat", "keepalive"})
# The words the camera writes for "saw a vehicle, read no plate" that ``is_placeholder`` does not know.
_NO_PLATE = frozenset({"unknown", "无法识别", "未知"})
_CONFIDENCE_SCALE = 255
_LOCALE_TIME = "%Y-%m-%d %H:%M:%S"


def parse_dahua(document: object) -> Parsed:
    """A Dahua ITC message as reads (plate events), heartbeats and rejected events, or nothing."""
    doc = as_object(document, BODY)
    method = doc.get("method")
    if method is not None:
        if (optional_text(method, "method") or "").strip().lower() != _EVENT_STREAM:
            return Parsed()
        params = as_object(required(doc, "params", ""), "params")
        # The session is the camera's login token for the receiver: no evidence, and not to be kept.
        header = {key: value for key, value in doc.items() if key not in ("params", "session")}
        header["params"] = {key: value for key, value in params.items() if key != "eventList"}
        items = as_list(required(params, "eventList", "params"), "params.eventList")
        return _events(items, "params.eventList", header)
    for key in ("eventList", "Events"):
        if key in doc:
            items = as_list(required(doc, key, ""), key)
            return _events(items, key, {name: value for name, value in doc.items() if name != key})
    if "Code" in doc or "Data" in doc:
        return _events([doc], None, {})
    raise InvalidInput(
        BODY,
        "is not a Dahua event message: expected client.notifyEventStream, an eventList or Events array, "
        "or an event with Code and Data",
        zh="不是大华的事件报文：应含 client.notifyEventStream、eventList 或 Events 数组，"
        "或含 Code 和 Data 的单个事件",
    )


def _events(items: list[Any], list_path: str | None, header: dict[str, Any]) -> Parsed:
    parsed = Parsed()
    # Pictures belong to events; the header is only walked for its depth and kept as context.
    envelope, _ = strip_images(header)
    for index, item in enumerate(items):
        path = "" if list_path is None else join(list_path, index)
        try:
            _event(item, path, envelope, parsed)
        except InvalidInput as exc:
            parsed.rejected.append(
                Rejected(
                    index=index,
                    field=exc.field,
                    detail=exc.reason,
                    record_id=_record_id(item),
                    detail_zh=exc.zh,
                )
            )
    return parsed


def _event(item: object, path: str, envelope: object, parsed: Parsed) -> None:
    stripped, images = strip_images(as_object(item, path or BODY))
    event = as_object(stripped, path or BODY)
    data_path = join(path, "Data")
    data = optional_object(event, "Data", path) or {}
    code = _code(event, data, path)
    if code in _KEEPALIVE_EVENTS:
        camera_id = _camera(data, data_path)
        if camera_id is not None:
            parsed.heartbeats.append(Heartbeat(camera_id=camera_id, at=clock.now(), vendor=VENDOR))
        return
    if code not in PLATE_EVENTS:
        return
    if not data:
        raise InvalidInput(data_path, "a plate event must carry its Data", zh="车牌事件缺少 Data")
    # Each read owns its evidence: the message around the event, and the event as sent.
    read = _read(data, data_path, images, {"envelope": copy.deepcopy(envelope), "event": event})
    if read is not None:
        parsed.reads.append(read)


def _code(event: dict[str, Any], data: dict[str, Any], path: str) -> str:
    for obj, code_path in ((event, join(path, "Code")), (data, join(join(path, "Data"), "Code"))):
        code = optional_text(obj.get("Code"), code_path)
        if code:
            return code.strip().lower()
    raise InvalidInput(
        join(path, "Code"), "is required (TrafficJunction, …)", zh="缺少事件代码 Code（如 TrafficJunction）"
    )


def _read(
    data: dict[str, Any], path: str, images: tuple[bytes, ...], raw: dict[str, Any]
) -> PlateRead | None:
    traffic = optional_object(data, "TrafficCar", path)
    traffic_path = join(path, "TrafficCar")
    plate_object = optional_object(data, "Object", path)
    object_path = join(path, "Object")
    plate = _plate(plate_object, object_path, traffic, traffic_path)
    if plate is None:
        return None  # a vehicle (or a bicycle) passed without a plate read

    read_at = _read_at(data, path, traffic, traffic_path)
    confidence = None
    if plate_object is not None and plate_object.get("Confidence") not in (None, 0):
        # 0 is what the firmware writes when it computed none (it does so for passes without a plate).
        confidence = checked_confidence(
            plate_object["Confidence"], join(object_path, "Confidence"), scale=_CONFIDENCE_SCALE
        )
    colour = colour_of(traffic.get("PlateColor")) if traffic is not None else None
    camera_id = _camera(data, path)

    # EventID (a running count: 516 in a real push) and GroupID are numbers of one camera, not ids unique
    # beyond it, and nothing says they survive a restart. Keyed with the camera, the stamp and the plate,
    # a replay is still recognised and a new pass is never taken for an old one that had the same numbers.
    ids = [data.get(name) for name in ("EventID", "GroupID", "IndexInGroup")]
    read_key = content_key(VENDOR, camera_id, *ids, read_at.isoformat(), plate)
    pass_key = None
    group = data.get("GroupID")
    if camera_id is not None and isinstance(group, int | str) and not isinstance(group, bool) and group != "":
        # The day keeps a group number the camera uses again (after a restart) from joining an old pass.
        pass_key = vendor_key(f"{camera_id}:{group}:{read_at.astimezone(SHANGHAI).date().isoformat()}")

    return PlateRead(
        plate=plate,
        read_at=read_at,
        camera_id=camera_id,
        vendor=VENDOR,
        confidence=confidence,
        colour=colour,
        place=_place(data, path),
        read_key=read_key,
        pass_key=pass_key,
        raw=raw,
        images=images,
    )


def _plate(
    plate_object: dict[str, Any] | None,
    object_path: str,
    traffic: dict[str, Any] | None,
    traffic_path: str,
) -> str | None:
    """The first real plate of Object.Text and TrafficCar.PlateNumber; None when both say "no plate"."""
    sources: list[tuple[object, str]] = []
    if plate_object is not None:
        kind = plate_object.get("ObjectType")
        if kind is None or (isinstance(kind, str) and kind.strip().lower() == "plate"):
            sources.append((plate_object.get("Text"), join(object_path, "Text")))
    if traffic is not None:
        sources.append((traffic.get("PlateNumber"), join(traffic_path, "PlateNumber")))
    told = False
    for value, path in sources:
        if value is None:
            continue
        told = True
        text = plate_text(value, path).strip()
        if text and not is_placeholder(text) and text.lower() not in _NO_PLATE:
            return text
    if not told:
        raise InvalidInput(
            join(object_path, "Text"),
            "a plate event must carry Object.Text or TrafficCar.PlateNumber",
            zh="车牌事件缺少号牌（Object.Text 或 TrafficCar.PlateNumber）",
        )
    return None


def _read_at(data: dict[str, Any], path: str, traffic: dict[str, Any] | None, traffic_path: str) -> datetime:
    """When the camera took the read, in UTC.

    Dahua's ITC firmware writes its local wall clock into ``UTC`` as if it were UTC: a camera set to
    UTC+7 sends ``UTC`` 1706625295 (14:34:55 "UTC") with ``LocaleTime`` "2024-01-30 14:34:55" and
    ``RealUTC`` 1706600095 (07:34:55, the true instant); the NetSDK calls ``RealUTC`` the standard UTC and
    flags it as not always valid. So ``RealUTC`` is taken when given; else ``UTC`` is read as a local
    clock — unless ``LocaleTime`` differs from it, as it does on firmware whose ``UTC`` is true UTC. The
    local clock is Beijing time: the platform's cameras are in China, and ``TimeZone`` is an index into
    Dahua's zone table, which is not read here. Only the offset is applied: judging a stamp far ahead or
    far back is ingest's work.
    """
    millis = _millis(data.get("UTCMS"), join(path, "UTCMS"))
    real = data.get("RealUTC")
    if real is not None and real != 0:
        return epoch_time(real, join(path, "RealUTC"), unit="s") + millis
    value, value_path = data.get("UTC"), join(path, "UTC")
    if value is None and traffic is not None:
        value, value_path = traffic.get("UTC"), join(traffic_path, "UTC")
    locale_path = join(path, "LocaleTime")
    if value is None:
        locale = _locale_time(data.get("LocaleTime"), locale_path)
        if locale is None:
            raise InvalidInput(
                value_path,
                "is required (or RealUTC, or LocaleTime)",
                zh="缺少时间（UTC、RealUTC 或 LocaleTime）",
            )
        return _beijing(locale, locale_path) + millis
    stamp = epoch_time(value, value_path, unit="s")
    wall = stamp.replace(tzinfo=None)
    try:
        locale = _locale_time(data.get("LocaleTime"), locale_path)
    except InvalidInput:
        locale = None  # only a hint beside UTC: a strange one must not cost the read
    if locale is not None and locale != wall:
        return stamp + millis
    return _beijing(wall, value_path) + millis


def _beijing(wall: datetime, path: str) -> datetime:
    try:
        return read_time(wall.replace(tzinfo=SHANGHAI), path)
    except OverflowError:
        raise InvalidInput(path, f"{wall.isoformat()} is not a valid time", zh="不是有效的时间") from None


def _locale_time(value: object, path: str) -> datetime | None:
    text = optional_text(value, path)
    if text is None or not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), _LOCALE_TIME)
    except ValueError:
        raise InvalidInput(
            path, f"{text!r} is not a time like 2024-01-30 14:34:55", zh="时间格式应为 2024-01-30 14:34:55"
        ) from None


def _millis(value: object, path: str) -> timedelta:
    if value is None:
        return timedelta()
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 999:
        raise InvalidInput(
            path, f"must be milliseconds from 0 to 999, got {value!r}", zh="毫秒应为 0 至 999 的整数"
        )
    return timedelta(milliseconds=value)


def _place(data: dict[str, Any], path: str) -> Place | None:
    comm_path = join(path, "CommInfo")
    comm = optional_object(data, "CommInfo", path)
    gps = optional_object(comm, "GPSInfo", comm_path) if comm is not None else None
    if gps is None:
        return None
    gps_path = join(comm_path, "GPSInfo")
    return gps_place(
        gps.get("Longitude"), gps.get("Latitude"), join(gps_path, "Longitude"), join(gps_path, "Latitude")
    )


def _camera(data: dict[str, Any], path: str) -> str | None:
    traffic = data.get("TrafficCar")
    name, name_path = None, join(join(path, "TrafficCar"), "MachineName")
    if isinstance(traffic, dict):
        name = camera_text(traffic.get("MachineName"), name_path)
    if name is None:
        name_path = join(path, "MachineName")
        name = camera_text(data.get("MachineName"), name_path)
    if name is None:
        return None
    channel = camera_text(data.get("Channel"), join(path, "Channel"))
    return bounded_camera(name if channel is None else f"{name}/{channel}", name_path)


def _record_id(item: object) -> str | None:
    """The camera's id of a rejected event, when it can be read."""
    data = item.get("Data") if isinstance(item, dict) else None
    event_id = data.get("EventID") if isinstance(data, dict) else None
    if isinstance(event_id, int | str) and not isinstance(event_id, bool):
        return str(event_id)[:64]
    return None

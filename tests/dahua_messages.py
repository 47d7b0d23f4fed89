"""Dahua ITC traffic events as the cameras send them, for the parser's tests and the adapter tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CAMERA = "8M049B2PAJF3085"

REAL_UTC = int(datetime(2026, 11, 23, 0, 59, 30, tzinfo=UTC).timestamp())

# What the firmware writes into "UTC": the Beijing wall clock as if it were UTC.
WALL_AS_UTC = int(datetime(2026, 11, 23, 8, 59, 30, tzinfo=UTC).timestamp())

LOCALE = "2026-11-23 08:59:30"

OMIT: Any = object()


def event(
    *,
    plate: Any = "浙C12345",
    colour: Any = "Blue",
    code: str = "TrafficJunction",
    event_id: Any = 516,
    group: Any = 175706653,
    real_utc: Any = REAL_UTC,
    utc: Any = WALL_AS_UTC,
    utcms: Any = 305,
    locale: Any = LOCALE,
    machine: Any = CAMERA,
    confidence: Any = 200,
    object_type: Any = "Plate",
    plate_number: Any = OMIT,
    gps: tuple[Any, Any] = (0.0, 0.0),
    **more: Any,
) -> dict[str, Any]:
    """One event as the camera writes it into its event list (fields set to OMIT are left out)."""
    plate_object = {
        "Action": "Appear",
        "BoundingBox": [1220, 2080, 1520, 2180],
        "Category": "Normal",
        "Confidence": confidence,
        "ObjectID": 5995,
        "ObjectType": object_type,
        "Text": plate,
    }
    traffic_car = {
        "CountInGroup": 1,
        "DrivingDirection": ["Approach", "温州", "杭州"],
        "Event": code,
        "GroupID": group,
        "IndexInGroup": 1,
        "Lane": 2,
        "MachineName": machine,
        "PlateColor": colour,
        "PlateNumber": plate if plate_number is OMIT else plate_number,
        "PlateType": "Normal",
        "UTC": utc,
        "VehicleColor": "White",
        "VehicleSize": "Light-duty",
        "ViolationName": "ANPR",
    }
    data = {
        "Action": "Pulse",
        "Class": "Traffic",
        "Code": code,
        "CommInfo": {"GPSInfo": {"Longitude": gps[0], "Latitude": gps[1]}, "SnapCategory": "Motor"},
        "CountInGroup": 1,
        "EventID": event_id,
        "GroupID": group,
        "IndexInGroup": 1,
        "Lane": 2,
        "LocaleTime": locale,
        "Name": "TrafficJunction0",
        "Object": {k: v for k, v in plate_object.items() if v is not OMIT},
        "RealUTC": real_utc,
        "TimeZone": 13,
        "TrafficCar": {k: v for k, v in traffic_car.items() if v is not OMIT},
        "UTC": utc,
        "UTCMS": utcms,
        "Vehicle": {"Category": "Sedan", "Confidence": 160, "ObjectType": "Vehicle", "Text": "Audi"},
        **more,
    }
    return {"Action": "Pulse", "Code": code, "Data": {k: v for k, v in data.items() if v is not OMIT}}


def stream(*events: Any) -> dict[str, Any]:
    """The RPC event stream as a receiver relays it."""
    return {
        "id": 3143,
        "method": "client.notifyEventStream",
        "params": {"SID": 513, "eventList": list(events)},
        "session": "537478f7285075076ff055201d96d1a4",
    }

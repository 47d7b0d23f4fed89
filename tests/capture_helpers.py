"""Reporting a capture over the HTTP API and reading what it caused: shared by the capture, custody, stage
and inspection tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from car_enforce.core.db import Database
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.watches.models import Watch
from tests.api_helpers import issue_watch, login, open_case, register_vehicle

# A real 1×1 PNG.
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

IN_PINGYANG = (120.45, 27.65)

IN_YUEQING = (121.0, 28.2)

OFFICER_PHONE = "13800000326"

APPLICANT_PHONE = "13900000001"

CENTER_STAFF_PHONE = "13800000999"


def police(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


@dataclass
class Watched:
    officer: dict[str, str]
    case: dict[str, Any]
    vehicle: dict[str, Any]
    watch: dict[str, Any]


def watched_car(client: TestClient, scope: str = "330326", **vehicle: Any) -> Watched:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case, vehicle_type="小型轿车", **vehicle)
    watch = issue_watch(client, officer, case, link["vehicle"]["id"], scope=scope)
    return Watched(officer, case, link["vehicle"], watch)


def report(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "report_number": "PY-KY-20261123-0007",
        "plate": "浙C12345",
        "plate_colour": "blue",
        "captured_at": "2026-11-23T08:40:00+08:00",
        "place": {
            "lon": IN_PINGYANG[0],
            "lat": IN_PINGYANG[1],
            "datum": "WGS84",
            "address": "平阳县昆阳镇万全大道",
        },
        "officers": [{"name": "陈警官", "badge_number": "033261"}],
        "handover": {"registration_certificate": True, "keys": 2, "belongings": ["雨伞一把"], "notes": ""},
        "photos": [{"caption": "车辆左前方", "content_base64": PNG_BASE64}],
    }
    body.update(changes)
    return body


def texts_to(db: Database, phone: str) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return list(
            s.scalars(
                select(Notification.body)
                .where(Notification.channel == Channel.SMS, Notification.recipient == phone)
                .order_by(Notification.id)
            )
        )


def watch_status(db: Database, watch_id: int) -> str:
    with db.unit_of_work(read_only=True) as s:
        watch = s.get(Watch, watch_id)
        assert watch is not None
        return watch.status

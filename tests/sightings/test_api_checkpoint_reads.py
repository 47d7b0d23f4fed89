"""What Chinese checkpoints really send, through the HTTP API: no hit of a watched car is lost.

Colour written into the plate text, GBK bodies, camera clocks years off, buffered reads a week late, and
a car driving past eleven cameras in two minutes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.sightings.jobs import send_alert_digests
from car_enforce.sightings.models import Alert, AlertDigest, AlertDispatch, ReadCount, Sighting
from tests import factories
from tests.adapter_messages import HITS, Message, send
from tests.api_helpers import issue_watch, login, open_case, register_vehicle

IN_PINGYANG = (120.45, 27.65)
OFFICER_PHONE = "13800000326"


def key(secret: str) -> dict[str, str]:
    return {"X-Api-Key": secret}


def read(plate: str, *, at: datetime | None = None, camera: str = "cam-1", **extra: Any) -> dict[str, Any]:
    return {
        "plate": plate,
        "read_at": (at or clock_mod.now()).isoformat(),
        "camera_id": camera,
        "lon": IN_PINGYANG[0],
        "lat": IN_PINGYANG[1],
        "datum": "WGS84",
        **extra,
    }


def post(client: TestClient, secret: str, *reads: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/police/reads", json={"reads": list(reads)}, headers=key(secret))
    assert r.status_code == 200, r.text
    return dict(r.json())


def count(db: Database, *columns: Any) -> int:
    with db.session(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(*columns)) or 0)


def officer_texts(db: Database) -> list[str]:
    with db.session(read_only=True) as s:
        return list(
            s.scalars(
                select(Notification.body)
                .where(Notification.channel == Channel.SMS, Notification.recipient == OFFICER_PHONE)
                .order_by(Notification.id)
            )
        )


def nothing_kept(db: Database) -> bool:
    return count(db, Sighting) == count(db, Alert) == 0


# --- colour written into the plate text ------------------------------------------------------------

PREFIXES = ["蓝", "蓝牌", "蓝色", "蓝-", "蓝 ", "蓝_", "蓝·", "蓝：", "蓝牌-"]


def test_a_colour_prefixed_plate_in_the_canonical_batch_is_a_hit(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    reads = [read(f"{prefix}浙C12345", camera=f"K{n}") for n, prefix in enumerate(PREFIXES)]
    result = post(client, world.pingyang_key, *reads)
    assert result["hits"] == len(PREFIXES)
    with db.session(read_only=True) as s:
        sightings = s.scalars(select(Sighting).order_by(Sighting.id)).all()
    assert {(x.colour_read, x.colour_in_text) for x in sightings} == {("blue", "blue")}
    assert sorted(x.plate_read for x in sightings) == sorted(f"{p}浙C12345" for p in PREFIXES)  # as read


@pytest.mark.parametrize("name", list(HITS))
def test_every_adapter_takes_the_colour_from_the_plate_text(
    client: TestClient, world: factories.World, watched: dict[str, Any], name: str
) -> None:
    prefix = PREFIXES[list(HITS).index(name) % len(PREFIXES)]  # each adapter with another way of writing it
    message = HITS[name].build(world.pingyang_key)
    body = message.body
    for plate in ("浙C12345", "浙c12345"):  # Plate Recognizer reads in lower case
        body = body.replace(plate.encode(), f"{prefix}{plate}".encode())
    assert body != message.body
    r = send(client, Message(message.path, body, message.headers))
    assert r.status_code == 200, r.text
    assert r.json()["hits"] == 1


def test_the_same_characters_in_another_colour_are_another_car(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    result = post(client, world.pingyang_key, read("黄浙C12345"), read("绿-浙C12345", camera="cam-2"))
    assert (result["reads"], result["matched"]) == (2, 0)
    assert nothing_kept(db)


def test_the_colour_field_decides_and_a_conflicting_prefix_is_recorded(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    # The field says blue, the text says yellow: matched as blue, the yellow kept on record.
    assert post(client, world.pingyang_key, read("黄浙C12345", colour="blue"))["hits"] == 1
    # The field says it does not know: the prefix decides.
    assert post(client, world.pingyang_key, read("蓝浙C12345", colour="unknown", camera="cam-2"))["hits"] == 1
    with db.session(read_only=True) as s:
        rows = s.execute(select(Sighting.colour_read, Sighting.colour_in_text).order_by(Sighting.id)).all()
    assert [tuple(r) for r in rows] == [("blue", "yellow"), ("blue", "blue")]


def test_a_new_energy_plate_with_its_colour_written_in_front(
    client: TestClient, world: factories.World, db: Database
) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(
        client, officer, case, plate="浙CD12345", vin=None, colour="green", type_code="52"
    )
    issue_watch(client, officer, case, link["vehicle"]["id"])
    assert post(client, world.pingyang_key, read("绿浙CD12345"))["hits"] == 1
    assert post(client, world.pingyang_key, read("渐变绿浙CD12345", camera="cam-2"))["hits"] == 1
    assert post(client, world.pingyang_key, read("黄绿浙CD12345", camera="cam-3"))["matched"] == 0


def test_a_heilongjiang_plate_is_not_a_black_one(
    client: TestClient, world: factories.World, db: Database
) -> None:
    # 黑 is a colour and a province: a watched blue Heilongjiang car read as 黑A12345 is a hit (its 黑 is
    # the province, not a colour), and read as 黑黑A12345 it is a black plate, another car.
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case, plate="黑A12345", vin=None)
    issue_watch(client, officer, case, link["vehicle"]["id"])
    assert post(client, world.pingyang_key, read("黑A12345"))["hits"] == 1
    assert post(client, world.pingyang_key, read("黑黑A12345", camera="cam-2"))["matched"] == 0
    assert post(client, world.pingyang_key, read("蓝黑A12345", camera="cam-3"))["hits"] == 1


# --- what Chinese devices encode in ----------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=GBK"])
def test_a_gbk_batch_of_a_watched_car_gives_a_hit(
    client: TestClient, world: factories.World, watched: dict[str, Any], content_type: str
) -> None:
    body = json.dumps({"reads": [read("浙C12345", camera="平阳卡口3")]}, ensure_ascii=False).encode("gbk")
    r = client.post(
        "/api/police/reads",
        content=body,
        headers={**key(world.pingyang_key), "Content-Type": content_type},
    )
    assert r.status_code == 200, r.text
    assert r.json()["hits"] == 1


def test_undecodable_bytes_are_a_clear_422_never_a_500(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    body = b'{"reads":[{"plate":"\xff\xfe\x81","read_at":"2026-11-23T09:00:00+08:00"}]}'
    for path in ("/api/police/reads", "/api/police/adapters/openalpr", "/api/police/adapters/rekor"):
        r = client.post(
            path, content=body, headers={**key(world.pingyang_key), "Content-Type": "application/json"}
        )
        assert r.status_code == 422, (path, r.text)
        assert "UTF-8" in r.json()["detail"]
    r = client.post(
        "/api/police/reads",
        content=body,
        headers={**key(world.pingyang_key), "Content-Type": "application/json; charset=EBCDIC-XYZ"},
    )
    assert r.status_code == 422
    assert nothing_kept(db) and count(db, ReadCount) == 0


def test_a_gb2312_hikvision_push_gives_a_hit(
    client: TestClient, world: factories.World, watched: dict[str, Any]
) -> None:
    message = HITS["hikvision-xml"].build(world.pingyang_key)
    xml = message.body.decode().replace('encoding="UTF-8"', 'encoding="GB2312"')
    xml = xml.replace("<channelName>", "<channelName>平阳县鳌江收费站卡口")
    body = xml.encode("gb18030")
    assert b'encoding="GB2312"' in body and "浙".encode("gbk") in body
    r = send(client, Message(message.path, body, message.headers))
    assert r.status_code == 200, r.text
    assert r.json()["hits"] == 1


# --- camera clocks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    [datetime(2031, 5, 1, 12, 0, tzinfo=UTC), datetime(2000, 1, 1, 0, 0, tzinfo=UTC)],
    ids=["years-ahead", "reset-to-2000"],
)
def test_a_read_from_a_camera_whose_clock_is_wrong_is_a_hit_at_its_receipt_time(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, stamp: datetime
) -> None:
    result = post(client, world.pingyang_key, read("浙C12345", at=stamp, camera="K104"))
    assert (result["hits"], result["clock_skewed"], result["late"]) == (1, 1, 0)
    alert = client.get(f"/api/alerts/{result['alerts'][0]}", headers=login(client, "py.officer")).json()
    assert alert["status"] == "open"  # dispatched: the car passed just now
    (evidence,) = alert["evidence"]
    assert evidence["clock_skewed"] is True
    assert datetime.fromisoformat(evidence["camera_read_at"]) == stamp
    assert datetime.fromisoformat(evidence["read_at"]) == clock_mod.now()
    assert count(db, AlertDispatch) == 1
    # The unit that owns the camera sees the skew, to have its clock reset.
    (camera,) = client.get("/api/police/cameras", headers=key(world.pingyang_key)).json()
    assert camera["external_id"] == "K104"
    assert camera["clock_skew_s"] == int((stamp - clock_mod.now()).total_seconds())
    assert camera["clock_skew_at"] is not None


def test_an_uninvolved_plate_with_a_wrong_clock_leaves_no_row(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    post(client, world.pingyang_key, read("蓝浙C99999", at=datetime(2000, 1, 1, tzinfo=UTC)))
    post(
        client,
        world.pingyang_key,
        read("浙C99998", at=clock_mod.now() - timedelta(days=6), retransmitted=True),
    )
    assert nothing_kept(db)


# --- buffered and retransmitted reads --------------------------------------------------------------


def test_a_week_old_retransmitted_read_tells_the_officer_and_dispatches_nobody(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    seen = clock_mod.now() - timedelta(days=7)
    result = post(client, world.pingyang_key, read("浙C12345", at=seen, retransmitted=True))
    assert (result["hits"], result["late"], result["clock_skewed"]) == (1, 1, 0)
    alert = client.get(f"/api/alerts/{result['alerts'][0]}", headers=login(client, "py.officer")).json()
    assert alert["status"] == "late" and alert["routed_unit_id"] is None
    (evidence,) = alert["evidence"]
    assert evidence["late"] is True and evidence["retransmitted"] is True
    assert datetime.fromisoformat(evidence["read_at"]) == seen  # a believable stamp is kept as the time
    assert count(db, AlertDispatch) == 0
    assert client.get("/api/police/alerts", headers=key(world.pingyang_key)).json()["dispatches"] == []
    (text,) = officer_texts(db)
    assert "浙C12345" in text and "11月16日" in text and "未派警" in text
    # a live read of the same car afterwards is dispatched, and told at once: it is more urgent
    assert post(client, world.pingyang_key, read("浙C12345"))["hits"] == 1
    assert count(db, AlertDispatch) == 1
    assert len(officer_texts(db)) == 2


def test_a_late_read_does_not_settle_or_swallow_a_live_pass(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    # 35 minutes old (late) then 25 minutes old (live) at one camera: within one retrigger window, but
    # the live read must not join the late alert, or it would never be dispatched.
    post(client, world.pingyang_key, read("浙C12345", at=clock_mod.now() - timedelta(minutes=35)))
    post(client, world.pingyang_key, read("浙C12345", at=clock_mod.now() - timedelta(minutes=25)))
    with db.session(read_only=True) as s:
        assert sorted(s.scalars(select(Alert.status))) == ["late", "open"]
    assert count(db, AlertDispatch) == 1


# --- no alert storm --------------------------------------------------------------------------------


def test_eleven_passes_in_two_minutes_give_one_text_and_one_digest(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, clock: MovableClock
) -> None:
    for n in range(11):
        post(client, world.pingyang_key, read("浙C12345", camera=f"K{n:03d}"))
        clock.advance(timedelta(seconds=12))
    assert count(db, Alert) == 11
    # The brigade's feed gets every pass; the officer one text.
    feed = client.get("/api/police/alerts", headers=key(world.pingyang_key)).json()
    assert len(feed["dispatches"]) == 11
    assert len(officer_texts(db)) == 1
    assert send_alert_digests(db) == []  # not due yet: the first waiting alert waited two minutes
    clock.advance(timedelta(minutes=9))
    (digest_id,) = send_alert_digests(db)
    assert send_alert_digests(db) == []  # sent once
    texts = officer_texts(db)
    assert len(texts) == 2 and "又被识别10次" in texts[1]
    with db.session(read_only=True) as s:
        digest = s.get(AlertDigest, digest_id)
        assert digest is not None and digest.alerts == 10 and len(digest.route) == 10
        assert [p["camera"] for p in digest.route] == [f"K{n:03d}" for n in range(1, 11)]
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.told_at.is_(None))) == 0
        assert s.scalar(select(func.count()).where(TimelineEvent.kind == "alert.digest")) == 1
    # Passes after the digest wait for the next one: the officer is never texted more than every 10 min.
    post(client, world.pingyang_key, read("浙C12345", camera="K999"))
    assert len(officer_texts(db)) == 2
    clock.advance(timedelta(minutes=10))
    assert len(send_alert_digests(db)) == 1 and len(officer_texts(db)) == 3


def test_a_car_seen_again_after_a_quiet_hour_is_told_at_once(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, clock: MovableClock
) -> None:
    post(client, world.pingyang_key, read("浙C12345", camera="K1"))
    clock.advance(timedelta(hours=1))
    post(client, world.pingyang_key, read("浙C12345", camera="K2"))
    assert len(officer_texts(db)) == 2

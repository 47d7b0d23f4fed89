"""Plate reads through the HTTP API: hits routed to the right brigade, one alert per pass, nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.geo.datum import wgs84_to_gcj02
from car_enforce.core.identity.models import Organisation
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.sightings.cameras import camera_ids, count_reads
from car_enforce.sightings.jobs import sweep_read_batches
from car_enforce.sightings.models import Alert, AlertDispatch, Camera, ReadBatch, ReadCount, Sighting
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle
from tests.read_helpers import key, post, read

IN_YUEQING = (121.0, 28.2)


def count(db: Database, *columns: Any) -> int:
    with db.session(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(*columns)) or 0)


def org_id(db: Database, name: str) -> int:
    with db.session(read_only=True) as s:
        return int(s.scalar(select(Organisation.id).where(Organisation.name == name)) or 0)


PINGYANG_BRIGADE = "平阳县公安局交通警察大队"
YUEQING_BRIGADE = "乐清市公安局交通警察大队"


def test_a_watched_cars_read_is_a_hit_routed_to_the_brigade_of_the_place(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    noise = [read(f"浙C{n:05d}", camera="cam-9") for n in range(20000, 20050)]
    result = post(client, world.city_key, read("浙c·12345"), *noise)
    assert result["reads"] == 51 and result["matched"] == 1 and result["hits"] == 1
    (alert_id,) = result["alerts"]

    alert = client.get(f"/api/alerts/{alert_id}", headers=login(client, "py.officer")).json()
    assert (alert["kind"], alert["status"], alert["plate"]) == ("hit", "open", "浙C12345")
    assert alert["routed_unit_id"] == org_id(db, PINGYANG_BRIGADE) and alert["in_scope"] is True
    assert [e["plate_read"] for e in alert["evidence"]] == ["浙c·12345"]

    # The brigade of the place takes it from its alert feed; the city detachment that sent it does not.
    feed = client.get("/api/police/alerts", headers=key(world.pingyang_key)).json()
    assert [d["alert"]["id"] for d in feed["dispatches"]] == [alert_id]
    assert feed["dispatches"][0]["court"]["name"] == "平阳县人民法院"
    assert client.get("/api/police/alerts", headers=key(world.city_key)).json()["dispatches"] == []
    again = client.get(
        "/api/police/alerts", params={"after": feed["cursor"]}, headers=key(world.pingyang_key)
    )
    assert again.json()["dispatches"] == []

    with db.session(read_only=True) as s:
        texts = s.scalars(select(Notification.body).where(Notification.channel == Channel.SMS)).all()
        kinds = s.scalars(
            select(TimelineEvent.kind).where(TimelineEvent.subject == f"alert:{alert_id}")
        ).all()
    assert any("浙C12345" in t and "平阳县公安局交通警察大队辖区" in t for t in texts)
    assert kinds == ["alert.raised"]
    # Privacy: the 50 reads that matched nothing are counted, not kept.
    assert count(db, Sighting) == 1
    with db.session(read_only=True) as s:
        assert sorted(s.execute(select(ReadCount.reads, ReadCount.matched)).all()) == [(1, 1), (50, 0)]


def test_a_read_outside_the_watch_scope_goes_to_the_brigade_there_as_information(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    gcj = wgs84_to_gcj02(*IN_YUEQING)  # a Chinese-map coordinate, converted at the edge
    body = read("浙C12345", where=None, lon=gcj[0], lat=gcj[1], datum="GCJ02")
    (alert_id,) = post(client, world.city_key, body)["alerts"]
    with db.session(read_only=True) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        assert alert.routed_unit_id == org_id(db, YUEQING_BRIGADE)
        assert alert.in_scope is False
        assert alert.lon == pytest.approx(IN_YUEQING[0], abs=1e-6)


def test_a_pass_of_ten_reads_raises_one_alert_and_keeps_every_read(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    start = clock_mod.now() - timedelta(minutes=15)
    frames = [read("浙C12345", at=start + timedelta(seconds=i), read_id=f"frame-{i}") for i in range(10)]
    first = post(client, world.pingyang_key, *frames[:4])
    second = post(client, world.pingyang_key, *frames[4:])
    assert first["alerts"] == second["alerts"] and len(first["alerts"]) == 1
    assert count(db, Alert) == 1 and count(db, Sighting) == 10
    with db.session(read_only=True) as s:
        assert s.scalar(select(Alert.sightings)) == 10
        assert s.scalar(select(func.count()).select_from(AlertDispatch)) == 1
        texts = s.scalars(select(Notification.body).where(Notification.channel == Channel.SMS)).all()
    assert len([t for t in texts if "被识别" in t]) == 1  # one text to the officer, not ten

    # The same car at the same camera after the re-trigger window is a new pass; another camera too.
    later = post(client, world.pingyang_key, read("浙C12345", at=start + timedelta(minutes=11)))
    elsewhere = post(client, world.pingyang_key, read("浙C12345", camera="cam-2", read_id="other"))
    assert len({*first["alerts"], *later["alerts"], *elsewhere["alerts"]}) == 3


def test_a_vendor_pass_id_joins_reads_from_several_cameras(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    one = post(client, world.pingyang_key, read("浙C12345", camera="lane-1", pass_id="p-77"))
    two = post(client, world.pingyang_key, read("浙C12345", camera="lane-2", pass_id="p-77", read_id="x"))
    assert one["alerts"] == two["alerts"]


def test_a_reposted_batch_or_a_replayed_read_raises_nothing_twice(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    batch = [read("浙C12345", read_id="r-1"), read("浙C99999")]
    first = post(client, world.pingyang_key, *batch)
    again = post(client, world.pingyang_key, *batch)
    assert again == {**first, "replayed": True}
    # The same read inside another batch is recognised by its id.
    mixed = post(client, world.pingyang_key, batch[0], read("浙C88888"))
    assert (mixed["duplicates"], mixed["hits"]) == (1, 0)
    assert count(db, Sighting) == 1 and count(db, Alert) == 1 and count(db, ReadBatch) == 2
    with db.session(read_only=True) as s:
        assert s.scalar(select(func.sum(ReadCount.reads))) == 4  # the replay was not counted again


def test_a_look_alike_is_a_possible_hit_for_the_officer_not_the_police(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    result = post(client, world.pingyang_key, read("浙C1234S", candidates=[{"plate": "浙C12345S"}]))
    assert (result["hits"], result["possible_hits"]) == (0, 1)
    (alert_id,) = result["alerts"]
    officer = login(client, "py.officer")
    pending = client.get("/api/alerts", params={"status": "pending"}, headers=officer).json()
    assert [a["id"] for a in pending] == [alert_id]
    assert client.get("/api/police/alerts", headers=key(world.pingyang_key)).json()["dispatches"] == []

    # Another court's officer cannot see or decide it.
    other = login(client, "lc.officer")
    assert client.post(f"/api/alerts/{alert_id}/confirm", json={}, headers=other).status_code == 404

    r = client.post(f"/api/alerts/{alert_id}/confirm", json={"note": "照片核对一致"}, headers=officer)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decided_by"]) == ("open", "user:py.officer")
    feed = client.get("/api/police/alerts", headers=key(world.pingyang_key)).json()
    assert [d["alert"]["id"] for d in feed["dispatches"]] == [alert_id]
    assert client.post(f"/api/alerts/{alert_id}/reject", json={}, headers=officer).status_code == 409


def test_an_exact_read_in_the_same_pass_settles_a_possible_hit(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    (alert_id,) = post(client, world.pingyang_key, read("浙C1234S", read_id="a"))["alerts"]
    assert post(client, world.pingyang_key, read("浙C12345", read_id="b"))["alerts"] == [alert_id]
    with db.session(read_only=True) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and (alert.kind, alert.status) == ("hit", "open")
        assert alert.routed_unit_id == org_id(db, PINGYANG_BRIGADE)


def test_a_rejected_look_alike_stays_rejected_for_its_pass(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    (alert_id,) = post(client, world.pingyang_key, read("浙C1234S", read_id="a"))["alerts"]
    officer = login(client, "py.officer")
    assert (
        client.post(f"/api/alerts/{alert_id}/reject", json={"note": "车型不符"}, headers=officer).status_code
        == 200
    )
    assert post(client, world.pingyang_key, read("浙C1234S", read_id="b"))["alerts"] == [alert_id]
    assert count(db, Alert) == 1


def test_a_lifted_watch_no_longer_matches(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    assert post(client, world.pingyang_key, read("浙C12345", read_id="before"))["hits"] == 1
    officer = login(client, "py.officer")
    r = client.post(f"/api/watches/{watched['id']}/lift", json={"reason": "debtor_paid"}, headers=officer)
    assert r.status_code == 200, r.text
    after = post(client, world.pingyang_key, read("浙C12345", read_id="after"))
    assert (after["matched"], after["alerts"]) == (0, [])


def test_every_server_process_follows_the_change_feed(
    db: Database, world: factories.World, clock: MovableClock
) -> None:
    """Two app instances over one database, each with its own in-memory index (two worker processes)."""
    second_db = Database(db.url)
    try:
        with TestClient(create_app(db)) as one, TestClient(create_app(second_db)) as two:
            # Worker one loads its index before the watch exists.
            assert post(one, world.pingyang_key, read("浙C12345", read_id="0"))["matched"] == 0
            officer = login(two, "py.officer")
            case = open_case(two, officer)
            link = register_vehicle(two, officer, case)
            watch = issue_watch(two, officer, case, link["vehicle"]["id"])  # issued through worker two
            assert post(one, world.pingyang_key, read("浙C12345", read_id="1"))["hits"] == 1
            r = two.post(f"/api/watches/{watch['id']}/lift", json={"reason": "settlement"}, headers=officer)
            assert r.status_code == 200
            assert post(one, world.pingyang_key, read("浙C12345", read_id="2"))["matched"] == 0
    finally:
        second_db.dispose()


BAD_READS = [
    ({"read_at": "2026-11-23T09:00:00"}, "reads[1].read_at"),  # no offset
    ({"read_at": "soon"}, "reads[1].read_at"),
    ({"lon": 200.0}, "reads[1]"),
    ({"datum": None}, "reads[1].datum"),
    ({"datum": "BD09"}, "reads[1].datum"),
    ({"colour": "purple"}, "reads[1].colour"),
    ({"plate": 12345}, "reads[1].plate"),
    ({"confidence": 1.5}, "reads[1].confidence"),
    ({"surprise": 1}, "reads[1]"),  # the detail names the unknown field
]


@pytest.mark.parametrize(("change", "field"), BAD_READS)
def test_a_bad_read_is_rejected_alone_and_the_good_reads_hit_is_taken(
    client: TestClient,
    world: factories.World,
    watched: dict[str, Any],
    db: Database,
    change: dict[str, Any],
    field: str,
) -> None:
    bad = read("浙C99999", read_id="bad-1") | change
    body = post(client, world.pingyang_key, read("浙C12345"), bad)
    assert (body["reads"], body["hits"]) == (1, 1)
    (rejected,) = body["rejected"]
    assert rejected["index"] == 1
    assert rejected["field"].startswith(field) and rejected["detail"]
    assert count(db, Sighting) == count(db, Alert) == 1
    # the same body again is its first answer, rejection included, and changes nothing
    again = post(client, world.pingyang_key, read("浙C12345"), bad)
    assert again["replayed"] and again["rejected"] == body["rejected"]
    assert count(db, Sighting) == count(db, Alert) == 1


@pytest.mark.parametrize(("change", "field"), BAD_READS[:3])
def test_a_batch_of_only_bad_reads_is_refused_and_stores_nothing(
    client: TestClient,
    world: factories.World,
    watched: dict[str, Any],
    db: Database,
    change: dict[str, Any],
    field: str,
) -> None:
    bad = read("浙C12345") | change
    r = client.post("/api/police/reads", json={"reads": [bad, bad]}, headers=key(world.pingyang_key))
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0].startswith(field.replace("[1]", "[0]"))
    assert "1 more" in r.json()["detail"]
    assert count(db, Sighting) == count(db, Alert) == count(db, ReadCount) == count(db, ReadBatch) == 0
    assert count(db, Camera) == 0


def test_batches_are_limited_and_need_a_police_key(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    too_many = {"reads": [read("浙C99999")] * 5001}
    assert client.post("/api/police/reads", json=too_many, headers=key(world.pingyang_key)).status_code == 422
    assert (
        client.post("/api/police/reads", json={"reads": []}, headers=key(world.pingyang_key)).status_code
        == 422
    )
    body = {"reads": [read("浙C12345")]}
    assert client.post("/api/police/reads", json=body).status_code == 401
    assert client.post("/api/police/reads", json=body, headers=key("ck_nope_000000")).status_code == 401
    officer = login(client, "py.officer")
    assert client.post("/api/police/reads", json=body, headers=officer).status_code == 403
    assert (
        client.post("/api/police/reads", content=b"{not json", headers=key(world.pingyang_key)).status_code
        == 422
    )
    assert count(db, Sighting) == 0


def test_cameras_are_known_from_their_reads_and_placed_by_their_unit(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, clock: MovableClock
) -> None:
    # A camera with no coordinates in its reads is routed by where its unit says it stands.
    r = client.put(
        "/api/police/cameras/gate-3",
        json={"name": "乐清 104国道卡口", "lon": IN_YUEQING[0], "lat": IN_YUEQING[1], "datum": "WGS84"},
        headers=key(world.city_key),
    )
    assert r.status_code == 200, r.text
    assert r.json()["last_seen_at"] is None
    (alert_id,) = post(client, world.city_key, read("浙C12345", camera="gate-3", where=None))["alerts"]
    with db.session(read_only=True) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None and alert.routed_unit_id == org_id(db, YUEQING_BRIGADE)
    cameras = client.get("/api/police/cameras", headers=key(world.city_key)).json()
    assert [(c["external_id"], c["name"]) for c in cameras] == [("gate-3", "乐清 104国道卡口")]
    assert cameras[0]["last_seen_at"] is not None
    assert client.get("/api/police/cameras", headers=key(world.pingyang_key)).json() == []


def test_received_messages_are_forgotten_after_eight_days_and_a_late_re_post_raises_nothing_twice(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, clock: MovableClock
) -> None:
    body = {"reads": [read("浙C12345")]}
    assert client.post("/api/police/reads", json=body, headers=key(world.pingyang_key)).json()["hits"] == 1
    clock.advance(timedelta(days=7, hours=23))
    assert sweep_read_batches(db) == 0
    clock.advance(timedelta(hours=2))
    assert sweep_read_batches(db) == 1 and count(db, ReadBatch) == 0
    again = client.post("/api/police/reads", json=body, headers=key(world.pingyang_key))
    assert again.status_code == 200 and not again.json()["replayed"]
    assert again.json()["duplicates"] == 1  # matched again, but the sighting is unique by its read key
    assert count(db, Sighting) == count(db, Alert) == 1


def test_a_camera_created_by_a_rolled_back_batch_is_not_remembered(
    db: Database, world: factories.World, clock: MovableClock
) -> None:
    unit = org_id(db, PINGYANG_BRIGADE)
    seen = {"new-gate": ("canonical", clock_mod.now())}
    with db.session() as session:
        camera_ids(session, unit, seen)
        session.rollback()  # say the batch failed after its cameras were written
    with db.unit_of_work() as session:
        ids = camera_ids(session, unit, seen)
        count_reads(session, {(ids["new-gate"], 493_000): (5, 0)})  # would break the foreign key
    with db.session(read_only=True) as session:
        assert session.scalar(select(Camera.external_id).where(Camera.id == ids["new-gate"])) == "new-gate"

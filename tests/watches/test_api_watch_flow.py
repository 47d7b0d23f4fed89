"""The watch stage through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import select

from car_enforce.core.db import Database
from car_enforce.core.notify.models import Channel, Notification
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle


def police(key: str) -> dict[str, str]:
    return {"X-Api-Key": key}


def test_officer_watch_reaches_police_and_change_feed_shows_renewal_and_lift(
    client: TestClient, world: factories.World
) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case)
    watch = issue_watch(client, officer, case, link["vehicle"]["id"])
    assert watch["status"] == "active"
    assert watch["starts_on"] == "2026-11-23"
    assert watch["expires_on"] == "2028-11-23"  # two years, 民诉法解释 Art. 485; a Thursday

    snap = client.get("/api/police/watchlist/snapshot", headers=police(world.pingyang_key))
    assert snap.status_code == 200
    body = snap.json()
    assert [e["plate"] for e in body["entries"]] == ["浙C12345"]
    entry = body["entries"][0]
    assert entry["watch_id"] == watch["id"] and entry["vin"] == "LSVAU218XN2183294"
    assert entry["court"] == {"name": "平阳县人民法院", "phone": "0577-63600000"}
    assert "林某某" not in snap.text and "330326198808080019" not in snap.text  # no debtor data
    cursor = int(snap.headers["X-Watchlist-Cursor"])
    assert body["cursor"] == cursor

    r = client.post(
        f"/api/watches/{watch['id']}/renew",
        headers=officer,
        json={"ruling_number": "(2026)浙0326执1234号之二"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["expires_on"] == "2030-11-25"  # 2030-11-23 is a Saturday: rolled to Monday
    r = client.post(
        f"/api/watches/{watch['id']}/lift",
        headers=officer,
        json={"reason": "debtor_paid", "note": "执行款已全部到账"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "lifted"

    delta = client.get(
        "/api/police/watchlist/changes", params={"after": cursor}, headers=police(world.pingyang_key)
    ).json()
    assert [(c["kind"], c["watch_id"]) for c in delta["changes"]] == [
        ("renewed", watch["id"]),
        ("lifted", watch["id"]),
    ]
    assert delta["changes"][0]["entry"]["expires_on"] == "2030-11-25"
    assert delta["has_more"] is False
    assert (
        client.get("/api/police/watchlist/snapshot", headers=police(world.pingyang_key)).json()["entries"]
        == []
    )


def test_unit_outside_the_scope_sees_nothing(client: TestClient, world: factories.World) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    issue_watch(
        client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"], scope="330326"
    )

    for key in (world.yueqing_key, world.hangzhou_key):
        assert client.get("/api/police/watchlist/snapshot", headers=police(key)).json()["entries"] == []
        assert client.get("/api/police/watchlist/changes", headers=police(key)).json()["changes"] == []
    # The city's detachment covers the county, so it sees the county-scoped watch.
    city = client.get("/api/police/watchlist/snapshot", headers=police(world.city_key)).json()
    assert [e["plate"] for e in city["entries"]] == ["浙C12345"]


def test_province_scope_reaches_every_unit_in_the_province(
    client: TestClient, world: factories.World
) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    issue_watch(
        client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"], scope="330000"
    )
    for key in (world.pingyang_key, world.yueqing_key, world.city_key, world.hangzhou_key):
        plates = [
            e["plate"]
            for e in client.get("/api/police/watchlist/snapshot", headers=police(key)).json()["entries"]
        ]
        assert plates == ["浙C12345"]


def test_officer_of_another_court_gets_404(client: TestClient, world: factories.World) -> None:
    case = open_case(client, login(client, "py.officer"))
    other = login(client, "lc.officer")
    assert client.get(f"/api/cases/{case['id']}", headers=other).status_code == 404
    assert client.get(f"/api/cases/{case['id']}/timeline", headers=other).status_code == 404
    r = client.post(
        f"/api/cases/{case['id']}/vehicles",
        headers=other,
        json={"plate": "浙C12345", "plate_colour": "blue", "plate_type": "02", "owner_party_id": 1},
    )
    assert r.status_code == 404
    assert r.json()["error"] == "NotFound"
    assert [c["id"] for c in client.get("/api/cases", headers=other).json()] == []


def test_snapshot_formats_csv_and_genetec(client: TestClient, world: factories.World) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    watch = issue_watch(client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"])

    r = client.get(
        "/api/police/watchlist/snapshot", params={"format": "csv"}, headers=police(world.pingyang_key)
    )
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["Plate Number", "Description", "Match Strategy"]
    assert rows[1][0] == "浙C12345" and rows[1][2] in ("exact", "lenient")
    assert f"布控#{watch['id']}" in rows[1][1] and "平阳县人民法院" in rows[1][1]

    r = client.get(
        "/api/police/watchlist/snapshot", params={"format": "genetec"}, headers=police(world.pingyang_key)
    )
    rows = list(csv.reader(io.StringIO(r.text), delimiter=";"))
    assert rows[0][:5] == ["Category", "PlateState", "PlateNumber", "EffectiveDate", "ExpiryDate"]
    assert rows[1][1:5] == ["浙", "浙C12345", "2026-11-23", "2028-11-23"]


def test_snapshot_and_changes_answer_304_when_unchanged(client: TestClient, world: factories.World) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case)
    issue_watch(client, officer, case, link["vehicle"]["id"])
    headers = police(world.pingyang_key)
    first = client.get("/api/police/watchlist/snapshot", headers=headers)
    tag = first.headers["ETag"]
    again = client.get("/api/police/watchlist/snapshot", headers={**headers, "If-None-Match": tag})
    assert again.status_code == 304
    changes = client.get("/api/police/watchlist/changes", headers=headers)
    assert (
        client.get(
            "/api/police/watchlist/changes", headers={**headers, "If-None-Match": changes.headers["ETag"]}
        ).status_code
        == 304
    )


def test_police_key_cannot_read_cases_and_officer_cannot_read_feed(
    client: TestClient, world: factories.World
) -> None:
    assert client.get("/api/cases", headers=police(world.pingyang_key)).status_code == 403
    officer = login(client, "py.officer")
    assert client.get("/api/police/watchlist/snapshot", headers=officer).status_code == 403
    assert client.get("/api/police/watchlist/snapshot").status_code == 401
    assert (
        client.get("/api/police/watchlist/snapshot", headers={"X-Api-Key": "ck_nothere_x"}).status_code == 401
    )


def test_revoked_key_is_refused(client: TestClient, world: factories.World) -> None:
    admin = login(client, "root.admin")
    keys = client.get("/api/admin/api-keys", headers=admin).json()
    prefix = "_".join(world.pingyang_key.split("_")[:2])
    key_id = next(k["id"] for k in keys if k["prefix"] == prefix)
    assert client.post(f"/api/admin/api-keys/{key_id}/revoke", headers=admin).status_code == 200
    r = client.get("/api/police/watchlist/snapshot", headers=police(world.pingyang_key))
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"


def test_admin_issues_a_key_shown_once_that_works(client: TestClient, world: factories.World) -> None:
    admin = login(client, "root.admin")
    orgs = client.get("/api/admin/organisations", headers=admin).json()
    unit = next(o for o in orgs if o["name"] == "乐清市公安局交通警察大队")
    r = client.post(
        "/api/admin/api-keys", headers=admin, json={"organisation_id": unit["id"], "name": "卡口"}
    )
    assert r.status_code == 201
    secret = r.json()["secret"]
    assert "secret" not in client.get("/api/admin/api-keys", headers=admin).json()[0]
    assert client.get("/api/police/watchlist/changes", headers=police(secret)).status_code == 200


def test_applicant_is_told_when_the_watch_starts_and_is_lifted(
    client: TestClient, world: factories.World, db: Database
) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    watch = issue_watch(client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"])
    client.post(f"/api/watches/{watch['id']}/lift", headers=officer, json={"reason": "debtor_paid"})
    with db.unit_of_work(read_only=True) as s:
        texts = list(
            s.scalars(
                select(Notification.body)
                .where(Notification.channel == Channel.SMS, Notification.recipient == "13900000001")
                .order_by(Notification.id)
            )
        )
    assert len(texts) == 2
    assert texts[0].startswith("【平阳县人民法院】您申请执行的(2026)浙0326执1234号一案")
    assert "浙C12345发布布控" in texts[0] and "2028年11月23日" in texts[0]
    assert "解除" in texts[1] and "被执行人已履行" in texts[1]
    assert all("330326198808080019" not in t and "林某某" not in t for t in texts)

"""The seeded demo region works as the README says: its logins, keys and watches."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.demo import seed as demo
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database


def test_demo_region_logins_keys_and_watch_scopes(app: FastAPI, db: Database, clock: MovableClock) -> None:
    with db.unit_of_work() as s:
        demo.seed(s)
        assert demo.is_seeded(s)
    with TestClient(app) as client:
        for login in demo.LOGINS:
            r = client.post(
                "/api/auth/login", json={"username": login.username, "password": demo.DEMO_PASSWORD}
            )
            assert r.status_code == 200, login.username

        def plates(key: str) -> list[str]:
            r = client.get("/api/police/watchlist/snapshot", headers={"X-Api-Key": key})
            return sorted(e["plate"] for e in r.json()["entries"])

        pingyang, yueqing, city = (k.secret for k in demo.KEYS)
        assert plates(pingyang) == ["浙C12345", "浙C8Y9Z1", "浙CD12345"]
        assert plates(yueqing) == ["浙C8Y9Z1", "浙CD12345"]  # the county-scoped watch is Pingyang's only
        assert plates(city) == ["浙C12345", "浙C8Y9Z1", "浙CD12345"]

        token = client.post(
            "/api/auth/login", json={"username": "lucheng.officer", "password": demo.DEMO_PASSWORD}
        ).json()["access_token"]
        cases = client.get("/api/cases", headers={"Authorization": f"Bearer {token}"}).json()
        assert [c["case_number"] for c in cases] == ["(2026)浙0302执567号"]


def test_a_demo_capture_in_pingyang_goes_to_the_pingyang_station(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    with db.unit_of_work() as s:
        demo.seed(s)
    with TestClient(app) as client:
        r = client.post(
            "/api/police/captures",
            headers={"X-Api-Key": demo.KEYS[0].secret},
            json={
                "report_number": "DEMO-1",
                "plate": "浙C12345",
                "captured_at": clock.now().isoformat(),
                "place": {"lon": 120.5644, "lat": 27.6693, "datum": "GCJ02", "address": "平阳县昆阳镇"},
                "officers": [{"name": "陈警官", "badge_number": "033261"}],
                "handover": {"registration_certificate": True, "keys": 2},
            },
        )
        assert r.status_code == 201, r.text
        capture = r.json()
        assert capture["destination"]["name"] == "法拍车辅助事务办理中心（温州平阳站）"
        assert capture["designated"] is True and capture["vehicle"]["vehicle_type"] == "小型轿车"

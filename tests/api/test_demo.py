"""The seeded demo region works as the README says: its logins, keys and watches."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.demo import seed as demo
from api.demo.reset import reset
from car_enforce.cases.models import EnforcementCase
from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import open_case
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.core.settings import Settings, get_settings
from car_enforce.custody.models import Custody
from car_enforce.watches.models import Watch
from tests.api_helpers import case_body
from tests.live import serve
from valuation.reference_price import rules, sending

COUNTED = (EnforcementCase, Custody, Watch, User)


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
        # 浙CD12345 was seized already (the demo's car in custody): its watch is fulfilled.
        assert plates(pingyang) == ["浙C12345", "浙C8Y9Z1"]
        assert plates(yueqing) == ["浙C8Y9Z1"]  # the county-scoped watch is Pingyang's only
        assert plates(city) == ["浙C12345", "浙C8Y9Z1"]

        token = client.post(
            "/api/auth/login", json={"username": "lucheng.officer", "password": demo.DEMO_PASSWORD}
        ).json()["access_token"]
        cases = client.get("/api/cases", headers={"Authorization": f"Bearer {token}"}).json()
        assert [c["case_number"] for c in cases] == ["(2026)浙0302执567号"]


def test_the_demo_buyer_won_a_car_yesterday_and_its_settlement_waits_for_the_balance(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    with db.unit_of_work() as s:
        demo.seed(s)
    with TestClient(app) as client:
        r = client.post("/api/auth/login", json={"username": "demo.buyer", "password": demo.DEMO_PASSWORD})
        me = {"Authorization": f"Bearer {r.json()['access_token']}"}
        [won] = client.get("/api/auction/settlements", headers=me).json()
        assert won["status"] == "awaiting_balance" and won["buyer_name"] == "赵演示"
        assert won["balance_fen"] == won["price_fen"] - won["deposit_fen"] > 0


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


def test_the_demo_car_in_custody_gets_its_reference_price_from_the_simulated_platforms_of_the_demo(
    app: FastAPI, db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        # The seed addresses the platforms at the server's public URL: this server's, here.
        monkeypatch.setenv("CARENFORCE_PUBLIC_BASE_URL", base)
        get_settings.cache_clear()
        try:
            with db.unit_of_work() as s:
                demo.seed(s)
        finally:
            monkeypatch.delenv("CARENFORCE_PUBLIC_BASE_URL")
            get_settings.cache_clear()
        r = http.post(
            "/api/auth/login", json={"username": "pingyang.officer", "password": demo.DEMO_PASSWORD}
        )
        officer = {"Authorization": f"Bearer {r.json()['access_token']}"}
        held = http.get("/api/custody", headers=officer).json()
        # the Magotan sold yesterday, the Camry on auction, the BYD
        assert sorted(c["plate"] for c in held) == ["浙C5D6E7", "浙C7A8B9", "浙CD12345"]
        [custody] = [c for c in held if c["plate"] == "浙CD12345"]
        assert custody["status"] == "in_custody"
        body = {
            "custody_id": custody["id"],
            "brand_model": "比亚迪 汉EV",
            "first_registered_on": "2022-06-18",
            "fuel": "electric",
            "passed": [
                {"method": "agreed", "reason": "party_unreachable"},
                {"method": "directed", "reason": "no_official_price"},
            ],
            "online_reason": "车辆已在中心按GB/T 30323检测（88分），无需现场勘验",
        }
        opened = http.post("/api/reference-prices", json=body, headers=officer)
        assert opened.status_code == 201, opened.text
        sent = sending.send_due(db, Settings(database_url=db.url, public_base_url=base))
        assert len(sent.received) == 3, sent
        deadline = time.monotonic() + 15
        while (pricing := http.get(f"/api/reference-prices/{opened.json()['id']}", headers=officer).json())[
            "status"
        ] != "priced":
            assert time.monotonic() < deadline, pricing
            time.sleep(0.05)
        assert [r["platform"] for r in pricing["requests"]] == ["platform-a", "platform-b", "platform-c"]
        assert pricing["price_fen"] == rules.mean_fen(
            [r["reports"][0]["result_fen"] for r in pricing["requests"]]
        )


def test_the_demo_starts_over_with_the_same_ids(db: Database, clock: MovableClock) -> None:
    with db.unit_of_work() as s:
        demo.seed(s)
        fresh = {model.__tablename__: s.scalar(select(func.count()).select_from(model)) for model in COUNTED}
    with db.unit_of_work() as s:  # what a visitor did to the demo: another case
        officer = principal_of_user(s.scalars(select(User).where(User.username == "pingyang.officer")).one())
        open_case(s, actor=officer, data=CaseCreate(**case_body("(2026)浙0326执77号")))
    reset(db)
    with db.unit_of_work(read_only=True) as s:
        again = {model.__tablename__: s.scalar(select(func.count()).select_from(model)) for model in COUNTED}
        assert again == fresh
        assert (
            s.scalar(select(func.min(Custody.id))) == 1
        )  # ids start again: the README's custody 1 is the BYD
        assert (
            s.scalar(select(EnforcementCase.case_number).where(EnforcementCase.case_number.like("%77号")))
            is None
        )

"""The running app over real HTTP: reminders reach the officer through the SMS simulator; every route
says who may call it; the scheduler's lease keeps a second scheduler idle."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import PUBLIC_ROUTES, create_app
from api.deps import roles_of_route
from api.web.pages import PageRoute
from car_enforce.core import lease
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.notify.delivery import deliver_due
from car_enforce.core.settings import Settings
from car_enforce.watches.jobs import sweep_watches
from tests import factories
from tests.api_helpers import DEBTOR_ID, issue_watch, login, open_case, register_vehicle
from tests.live import serve


def test_expiry_reminder_reaches_the_officer_through_the_sms_simulator(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    factories.world(db)
    settings = Settings(database_url=db.url)
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        officer = login(http, "py.officer")
        case = open_case(http, officer)
        link = register_vehicle(http, officer, case, vin=None)
        watch = issue_watch(http, officer, case, link["vehicle"]["id"], expires_on="2026-12-31")
        assert watch["status"] == "active"

        clock.set(datetime(2026, 12, 24, 8, tzinfo=SHANGHAI))
        assert sweep_watches(db).reminded == [(watch["id"], 7)]
        sms_settings = settings.model_copy(update={"sms_gateway_url": f"{base}/sim/sms"})
        report = deliver_due(db, settings=sms_settings)
        assert report.sent == 2  # the reminder to the officer, and the applicant's news of the watch
        assert deliver_due(db, settings=sms_settings).sent == 0  # never twice

        inbox = http.get(
            "/sim/sms/messages", params={"to": "13800000326"}, headers={"X-Api-Key": settings.sms_gateway_key}
        ).json()
        texts = [m["text"] for m in inbox]
        assert len(texts) == 1
        assert "浙C12345" in texts[0] and "2026年12月31日" in texts[0] and "还有7天" in texts[0]


def test_a_capture_reaches_the_officer_and_the_applicant_through_the_sms_simulator(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    world = factories.world(db)
    centers = factories.centers(db, world.region)
    settings = Settings(database_url=db.url)
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        officer = login(http, "py.officer")
        case = open_case(http, officer)
        link = register_vehicle(http, officer, case, vehicle_type="小型轿车")
        watch = issue_watch(http, officer, case, link["vehicle"]["id"])
        sms_settings = settings.model_copy(update={"sms_gateway_url": f"{base}/sim/sms"})
        deliver_due(db, settings=sms_settings)

        # A checkpoint camera of the city detachment reads the car inside Pingyang: a hit, routed to the
        # Pingyang brigade, and the officer is told.
        clock.set(datetime(2026, 11, 25, 14, 31, tzinfo=SHANGHAI))
        read = {
            "plate": "浙C12345",
            "read_at": "2026-11-25T14:30:12+08:00",
            "camera_id": "G104-K23",
            "lon": 120.45,
            "lat": 27.65,
            "datum": "WGS84",
        }
        r = http.post("/api/police/reads", headers={"X-Api-Key": world.city_key}, json={"reads": [read]})
        assert r.status_code == 200 and r.json()["hits"] == 1, r.text
        feed = http.get("/api/police/alerts", headers={"X-Api-Key": world.pingyang_key}).json()
        [dispatch] = feed["dispatches"]
        assert dispatch["alert"]["plate"] == "浙C12345" and dispatch["court"]["name"] == "平阳县人民法院"
        assert deliver_due(db, settings=sms_settings).sent == 1  # the officer's hit text

        clock.set(datetime(2026, 11, 25, 15, 10, tzinfo=SHANGHAI))
        r = http.post(
            "/api/police/captures",
            headers={"X-Api-Key": world.pingyang_key},
            json={
                "report_number": "PY-KY-20261125-0003",
                "plate": "浙C12345",
                "plate_colour": "blue",
                "watch_id": watch["id"],
                "captured_at": "2026-11-25T14:55:00+08:00",
                "place": {"lon": 120.45, "lat": 27.65, "datum": "WGS84", "address": "平阳县昆阳镇万全大道"},
                "officers": [{"name": "陈警官", "badge_number": "033261"}],
                "handover": {"registration_certificate": True, "keys": 1, "belongings": []},
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "in_transit" and r.json()["destination"]["id"] == centers.pingyang

        assert deliver_due(db, settings=sms_settings).sent == 3  # the officer, the applicant, the center
        officer = login(http, "py.officer")  # two days on: yesterday's token has expired
        alert = http.get(f"/api/alerts/{dispatch['alert']['id']}", headers=officer).json()
        assert alert["status"] == "closed"  # the car is held: nobody is sent after it any more

        def inbox(phone: str) -> list[str]:
            messages = http.get(
                "/sim/sms/messages", params={"to": phone}, headers={"X-Api-Key": settings.sms_gateway_key}
            ).json()
            return [m["text"] for m in messages]

        [hit_text] = [t for t in inbox("13800000326") if "被识别" in t]
        assert "平阳县公安局交通警察大队辖区" in hit_text and "11月25日14:30" in hit_text
        [to_officer] = [t for t in inbox("13800000326") if "扣押至" in t]
        assert to_officer.startswith(f"【云执车】您布控的车辆浙C12345已被扣押至{factories.PINGYANG_CENTER}")
        assert "11月25日14:55" in to_officer and "钥匙1把" in to_officer
        to_applicant = inbox("13900000001")[-1]
        assert to_applicant.startswith(
            "【平阳县人民法院】您申请执行的(2026)浙0326执1234号一案，本院于11月25日"
        )
        assert "依法扣押被执行人林某某名下的小型轿车" in to_applicant
        assert factories.PINGYANG_CENTER in to_applicant and "处置变现" in to_applicant
        for text in (to_officer, to_applicant):
            assert DEBTOR_ID not in text and "13900000002" not in text


def test_every_route_states_who_may_call_it() -> None:
    app = create_app()
    spec = app.openapi()
    routes = [c.original_route for c in iter_route_contexts(app.routes)]
    # The console's pages guard themselves with the session (tests/web checks each one without a login).
    api_routes = [r for r in routes if isinstance(r, APIRoute) and not isinstance(r, PageRoute)]
    assert len(api_routes) >= 40  # the routers' routes, not only the app's own few
    for route in api_routes:
        if roles_of_route(route.dependant) is None:
            assert route.path in PUBLIC_ROUTES or route.path.startswith("/sim/"), f"{route.path} has no guard"
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) >= 40
    for path, method, operation in operations:
        assert "**Who may call:**" in operation.get("description", ""), f"{method} {path}"


def test_only_one_scheduler_holds_the_lease(db: Database, clock: MovableClock) -> None:
    ttl = timedelta(seconds=60)
    assert lease.hold(db, "scheduler", "host-a", ttl) is True
    assert lease.hold(db, "scheduler", "host-b", ttl) is False
    assert lease.hold(db, "scheduler", "host-a", ttl) is True  # the holder renews
    clock.advance(timedelta(seconds=61))  # host-a died: its lease runs out
    assert lease.hold(db, "scheduler", "host-b", ttl) is True
    assert lease.hold(db, "scheduler", "host-a", ttl) is False


def test_api_docs_are_served_without_any_network(app: FastAPI, db: Database) -> None:
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        page = http.get("/docs")
        assert page.status_code == 200
        assert "/static/swagger/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
        assert http.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
        assert http.get("/static/swagger/swagger-ui.css").status_code == 200
        assert http.get("/openapi.json").json()["info"]["title"] == "car-enforce"

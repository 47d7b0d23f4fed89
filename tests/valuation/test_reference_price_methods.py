"""The methods in their order (参考价规定 Art. 2–7) through the HTTP API: opening, passing over, the agreed
price, the directed inquiry, the online inquiry's start and its refusals. The platforms' side of the
online inquiry is tested over real HTTP with the simulators (test_reference_price_online.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.cases.models import Party
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import OrgKind
from car_enforce.core.identity.service import create_organisation
from car_enforce.core.notify.models import Notification
from car_enforce.core.timeline.models import TimelineEvent
from tests import factories
from tests.api_helpers import VIN
from tests.pricing_helpers import (
    FACTS,
    ONLINE_REASON,
    PASSED,
    Inspected,
    configure_platforms,
    inspect,
    inspected_car,
    open_online,
)
from valuation.reference_price import online
from valuation.reference_price.models import Appraisal, InquiryRequest, PriceObjection, ReferencePrice

pytestmark = pytest.mark.usefixtures("centers")

TODAY = date(2026, 11, 23)
SECRET = "s" * 40


@pytest.fixture
def car(
    client: TestClient, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> Inspected:
    return inspected_car(client, world, centers, TODAY)


def _open(client: TestClient, car: Inspected, **changes: Any) -> Any:
    body = {"custody_id": car.custody_id, **FACTS, **changes}
    return client.post("/api/reference-prices", json=body, headers=car.car.officer)


def _count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_an_agreed_price_is_the_reference_price_at_once_and_valid_for_a_year(
    client: TestClient, car: Inspected
) -> None:
    opened = _open(client, car)
    assert opened.status_code == 201, opened.text
    assert opened.json()["next_method"] == "agreed"
    r = client.post(
        f"/api/reference-prices/{opened.json()['id']}/agreed",
        json={"price_fen": 8_000_000, "document": "议价笔录（2026-11-23）"},
        headers=car.car.officer,
    )
    assert r.status_code == 200, r.text
    priced = r.json()
    assert (priced["status"], priced["method"], priced["price_fen"]) == ("priced", "agreed", 8_000_000)
    assert priced["price_text"] == "80,000.00元"
    assert priced["valid_until"] == "2027-11-23"  # Art. 27: a year at most
    assert "议价笔录" in priced["price_basis"]


def test_the_online_inquiry_before_the_earlier_methods_were_passed_over_is_refused_naming_the_articles(
    client: TestClient, db: Database, car: Inspected
) -> None:
    configure_platforms(db, car.car.custody["court_id"], {"platform-a": ("http://127.0.0.1:9/a", SECRET)})
    r = _open(client, car, online_reason=ONLINE_REASON)
    assert r.status_code == 400, r.text
    assert "参考价规定 Art. 4, 5, 7, 14" in r.json()["rule"] and "当事人议价" in r.json()["detail"]
    assert _count(db, ReferencePrice) == 0  # nothing stored


def test_a_method_passed_over_for_a_reason_its_article_does_not_accept_is_refused(
    client: TestClient, db: Database, car: Inspected
) -> None:
    r = _open(client, car, passed=[{"method": "agreed", "reason": "no_official_price"}])
    assert r.status_code == 400 and "cannot be passed over" in r.json()["detail"], r.text
    assert _count(db, ReferencePrice) == 0


def test_the_online_inquiry_without_a_reason_is_refused_by_article_7(
    client: TestClient, db: Database, car: Inspected
) -> None:
    configure_platforms(db, car.car.custody["court_id"], {"platform-a": ("http://127.0.0.1:9/a", SECRET)})
    r = _open(client, car, passed=PASSED, online_reason="  ")
    assert r.status_code == 400 and "Art. 7" in r.json()["rule"], r.text
    assert _count(db, ReferencePrice) == 0


def test_a_car_with_flood_damage_needs_an_on_site_appraisal_not_an_online_inquiry(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    from tests.api_helpers import login
    from tests.custody_helpers import in_custody

    built = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=TODAY, intake={})
    car = Inspected(built | (login(client, "py.officer"), login(client, "py.center")), 0)
    car.inspection_id = inspect(db, car.custody_id, flood=True)
    configure_platforms(db, world.pingyang_court, {"platform-a": ("http://127.0.0.1:9/a", SECRET)})
    r = _open(client, car, passed=PASSED, online_reason=ONLINE_REASON)
    assert r.status_code == 400 and "flood" in r.json()["detail"] and "Art. 7" in r.json()["rule"], r.text


def test_the_online_inquiry_asks_every_platform_of_the_court_at_once(
    client: TestClient, db: Database, car: Inspected
) -> None:
    court = car.car.custody["court_id"]
    configure_platforms(
        db,
        court,
        {code: (f"http://127.0.0.1:9/{code}", SECRET) for code in ("platform-a", "platform-b", "platform-c")},
    )
    pricing = open_online(client, car)
    assert pricing["status"] == "inquiring" and pricing["round"] == "reports"
    assert [(r["platform"], r["status"]) for r in pricing["requests"]] == [
        ("platform-a", "to_send"),
        ("platform-b", "to_send"),
        ("platform-c", "to_send"),
    ]
    assert [s["method"] + ":" + s["outcome"] for s in pricing["steps"]] == [
        "agreed:passed",
        "directed:passed",
        "online:started",
    ]
    assert _count(db, InquiryRequest) == 3
    with db.unit_of_work(read_only=True) as s:
        query = select(TimelineEvent.kind).where(TimelineEvent.case_id == car.car.case["id"])
        kinds = list(s.scalars(query.order_by(TimelineEvent.id)))  # in the order they were recorded
    assert kinds[-4:] == [
        "reference_price.opened",
        "reference_price.method_passed",
        "reference_price.method_passed",
        "reference_price.online_started",
    ]


def test_a_second_price_while_one_is_valid_is_refused_naming_article_27(
    client: TestClient, db: Database, car: Inspected
) -> None:
    opened = _open(client, car).json()
    client.post(
        f"/api/reference-prices/{opened['id']}/agreed",
        json={"price_fen": 8_000_000, "document": "议价笔录"},
        headers=car.car.officer,
    )
    again = _open(client, car)
    assert again.status_code == 400 and "Art. 27" in again.json()["rule"], again.text
    assert _count(db, ReferencePrice) == 1


def test_a_directed_inquiry_goes_out_with_its_deadline_and_its_answer_is_the_price(
    client: TestClient, car: Inspected
) -> None:
    opened = _open(client, car, passed=[PASSED[0]]).json()
    assert opened["next_method"] == "directed"
    asked = client.post(
        f"/api/reference-prices/{opened['id']}/directed",
        json={"body": "国家税务总局平阳县税务局", "due_on": "2026-11-30", "document": "定向询价函"},
        headers=car.car.officer,
    )
    assert asked.status_code == 200 and asked.json()["status"] == "directing", asked.text
    answered = client.post(
        f"/api/reference-prices/{opened['id']}/directed/answer",
        json={"price_fen": 7_650_000, "document": "复函（平税函〔2026〕88号）"},
        headers=car.car.officer,
    )
    assert answered.status_code == 200, answered.text
    priced = answered.json()
    assert (priced["status"], priced["method"], priced["price_fen"]) == ("priced", "directed", 7_650_000)
    assert "国家税务总局平阳县税务局" in priced["price_basis"]


def test_center_staff_may_run_the_inquiry_but_not_record_an_agreed_price(
    client: TestClient, car: Inspected
) -> None:
    opened = client.post(
        "/api/reference-prices", json={"custody_id": car.custody_id, **FACTS}, headers=car.car.staff
    )
    assert opened.status_code == 201, opened.text
    r = client.post(
        f"/api/reference-prices/{opened.json()['id']}/agreed",
        json={"price_fen": 8_000_000, "document": "议价笔录"},
        headers=car.car.staff,
    )
    assert r.status_code == 403, r.text


def test_the_price_is_served_by_text_on_each_party_and_by_public_notice_on_one_without_a_phone(
    client: TestClient, db: Database, car: Inspected
) -> None:
    debtor_id = next(p["id"] for p in car.car.case["parties"] if p["role"] == "debtor")
    with db.unit_of_work() as s:
        debtor = s.get(Party, debtor_id)
        assert debtor is not None
        debtor.phone = ""  # cannot be reached
    opened = _open(client, car).json()
    client.post(
        f"/api/reference-prices/{opened['id']}/agreed",
        json={"price_fen": 8_000_000, "document": "议价笔录"},
        headers=car.car.officer,
    )
    notice = client.get(f"/api/reference-prices/{opened['id']}/notice", headers=car.car.officer).json()
    services = {s["party_id"]: s for s in notice["services"]}
    applicant_id = next(p["id"] for p in car.car.case["parties"] if p["role"] == "applicant")
    assert (services[applicant_id]["channel"], services[applicant_id]["served_on"]) == ("sms", "2026-11-23")
    # Art. 21: deemed served 15 days after the public notice (8 December, a Tuesday).
    assert (services[debtor_id]["channel"], services[debtor_id]["served_on"]) == (
        "public_notice",
        "2026-12-08",
    )
    assert all(s["objection_due_on"] is None for s in services.values())  # none against 议价 (Art. 24)
    with db.unit_of_work(read_only=True) as s:
        texts = list(s.scalars(select(Notification.body).where(Notification.recipient == "13900000001")))
        published = s.scalar(
            select(TimelineEvent.data).where(TimelineEvent.kind == "reference_price.notice_issued")
        )
    [served] = [t for t in texts if notice["number"] in t]
    assert "80,000.00元" in served and served.startswith("【平阳县人民法院】")
    assert published is not None and "视为" in published["public_notice"][0]
    assert "林某某" not in str(published)  # the name is masked on the timeline


def _appraised(client: TestClient, db: Database, car: Inspected) -> dict[str, Any]:
    """Priced by an appraisal: the methods before it passed over, three firms drawn by lot."""
    passed = [
        *PASSED,
        {"method": "online", "reason": "needs_on_site_inspection", "note": "车辆改装，需现场勘验"},
    ]
    opened = _open(client, car, passed=passed).json()
    assert opened["next_method"] == "appraisal", opened
    with db.unit_of_work() as s:
        for name in ("甲评估", "乙评估", "丙评估", "丁评估"):
            create_organisation(s, actor=factories.SYSTEM, kind=OrgKind.APPRAISAL_FIRM, name=name)
    entrusted = client.post(
        f"/api/reference-prices/{opened['id']}/appraisal", json={}, headers=car.car.officer
    )
    assert entrusted.status_code == 201, entrusted.text
    reported = client.post(
        f"/api/reference-prices/{opened['id']}/appraisal/report",
        json={"number": "温评字〔2026〕第118号", "result_fen": 8_100_000},
        headers=car.car.officer,
    )
    assert reported.status_code == 200, reported.text
    return dict(reported.json())


def test_a_party_files_its_own_objection_with_the_code_texted_to_it(
    client: TestClient, db: Database, car: Inspected
) -> None:
    priced = _appraised(client, db, car)
    assert (priced["status"], priced["method"], priced["price_fen"]) == ("priced", "appraisal", 8_100_000)
    with db.unit_of_work(read_only=True) as s:
        [text] = s.scalars(
            select(Notification.body).where(
                Notification.recipient == "13900000001", Notification.body.like("%异议码%")
            )
        )
    code = re.search(r"异议码([A-Z2-7]{16})", text)
    assert code is not None, text
    body = {"code": code.group(1), "grounds": ["procedure"], "statement": "评估程序违法：未通知当事人到场"}
    filed = client.post("/api/reference-price-objections", json=body)  # no account: the code says who
    assert filed.status_code == 201, filed.text
    applicant_id = next(p["id"] for p in car.car.case["parties"] if p["role"] == "applicant")
    assert filed.json()["party_id"] == applicant_id and filed.json()["grounds"] == ["procedure"]
    wrong = client.post("/api/reference-price-objections", json={**body, "code": "A" * 16})
    assert wrong.status_code == 404, wrong.text


def test_an_objection_on_another_ground_is_refused_and_nothing_is_stored(
    client: TestClient, db: Database, car: Inspected
) -> None:
    priced = _appraised(client, db, car)
    applicant_id = next(p["id"] for p in car.car.case["parties"] if p["role"] == "applicant")
    r = client.post(
        f"/api/reference-prices/{priced['id']}/objections",
        json={"party_id": applicant_id, "grounds": ["too_low"], "statement": "价格太低"},
        headers=car.car.officer,
    )
    assert r.status_code == 400 and "Art. 22" in r.json()["rule"] and "too_low" in r.json()["detail"], r.text
    assert _count(db, PriceObjection) == 0


def test_an_appraisal_gets_two_extensions_of_at_most_15_days(
    client: TestClient, db: Database, car: Inspected
) -> None:
    passed = [*PASSED, {"method": "online", "reason": "needs_on_site_inspection"}]
    opened = _open(client, car, passed=passed).json()
    with db.unit_of_work() as s:
        for name in ("甲评估", "乙评估", "丙评估"):
            create_organisation(s, actor=factories.SYSTEM, kind=OrgKind.APPRAISAL_FIRM, name=name)
    url = f"/api/reference-prices/{opened['id']}/appraisal"
    first = client.post(url, json={}, headers=car.car.officer).json()
    assert first["due_on"] == "2026-12-23"  # 30 days (Art. 19)
    too_long = client.post(f"{url}/extend", json={"days": 16}, headers=car.car.officer)
    assert too_long.status_code == 400 and "Art. 19" in too_long.json()["rule"], too_long.text
    for _ in range(2):
        assert client.post(f"{url}/extend", json={"days": 15}, headers=car.car.officer).status_code == 200
    third = client.post(f"{url}/extend", json={"days": 5}, headers=car.car.officer)
    assert third.status_code == 400 and "Art. 19" in third.json()["rule"], third.text
    declined = client.post(f"{url}/decline", json={"note": "该机构拒绝接受委托"}, headers=car.car.officer)
    assert declined.status_code == 200, declined.text
    with db.unit_of_work(read_only=True) as s:
        firms = list(s.scalars(select(Appraisal.firm_id).order_by(Appraisal.id)))
    assert firms == first["order"][:2]  # the next firm of the drawn order took it


def test_a_report_that_beats_the_stored_answer_to_the_request_is_taken_and_the_receipt_kept(
    client: TestClient, db: Database, car: Inspected
) -> None:
    """A fast platform reports before its 202 to our request is stored (they race): the request counts as
    received then, and the platform's id is kept when the answer is stored after all."""
    configure_platforms(db, car.car.custody["court_id"], {"platform-a": ("http://127.0.0.1:9/a", SECRET)})
    pricing_id = open_online(client, car)["id"]
    report = online.ReportIn(
        number="PA-1",
        issued_on=TODAY,
        valid_until=date(2027, 5, 23),
        vehicle={"plate": "浙C12345", "vin": VIN},
        samples=[{"source": "二手车成交", "date": "2026-10-02", "price_fen": 8_000_000}],
        method="重置成本法",
        result_fen=8_100_000,
    )
    with db.unit_of_work() as s:
        [request] = s.scalars(select(InquiryRequest))
        online.take_report(
            s, request, message_id="msg-1", report=report, correction=False, plate="浙C12345", vin=VIN
        )
    with db.unit_of_work() as s:
        [request] = s.scalars(select(InquiryRequest))
        assert request.status == "reported" and str(request.due_on) == "2026-11-26"
        assert online.received(s, request, "remote-7", load_calendar(s)) is False
        assert request.remote_id == "remote-7"
        priced = s.get(ReferencePrice, pricing_id)
        assert priced is not None and priced.price_fen == 8_100_000  # the only platform: its result

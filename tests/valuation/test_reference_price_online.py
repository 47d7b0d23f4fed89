"""The online inquiry over real HTTP (参考价规定 Art. 10–13): the platform on a real uvicorn, three simulated
inquiry platforms each on its own, requests signed one way and reports signed the other. Every scenario of
the issue: all on time, one late, the extension, nobody (appraisal), corrections, an objection upheld,
expiry, and a platform that hangs or fails."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pypdf
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.simulators.inquiry import SimPlatform, create_app, demo_platforms
from car_enforce.case_money.models import CasePayee, PayeeKind
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import OrgKind
from car_enforce.core.identity.service import create_organisation
from car_enforce.core.outbound.standard_webhooks import sign
from car_enforce.core.settings import Settings
from car_enforce.core.timeline.models import TimelineEvent
from tests import factories
from tests.api_helpers import login
from tests.case_money_helpers import balances
from tests.custody_helpers import in_custody
from tests.live import serve
from tests.pricing_helpers import FACTS, ONLINE_REASON, PASSED, Inspected, configure_platforms, inspect
from valuation.reference_price import rules, sending, validity
from valuation.reference_price.models import ReferencePrice

pytestmark = pytest.mark.usefixtures("centers")

CONTROL_KEY = "test-inquiry-control"
CODES = ("platform-a", "platform-b", "platform-c")
WAIT_S = 15.0
INQUIRY_FEE = 30_001  # fen: an agreement's fee (no national figure), odd so that a half share rounds


@dataclass
class Net:
    base: str  # the platform's URL
    http: httpx.Client  # to the platform
    sims: dict[str, str]  # code -> the simulator's URL
    settings: Settings
    db: Database
    car: Inspected
    clock: MovableClock

    def mode(self, code: str, mode: str, delay_s: float = 0.0) -> None:
        r = httpx.post(
            f"{self.sims[code]}/control/mode",
            json={"mode": mode, "delay_s": delay_s},
            headers={"X-Control-Key": CONTROL_KEY},
        )
        assert r.status_code == 200, r.text

    def release(self, code: str) -> None:
        r = httpx.post(f"{self.sims[code]}/control/release", headers={"X-Control-Key": CONTROL_KEY})
        assert r.status_code == 200, r.text

    def log(self, code: str) -> dict[str, Any]:
        r = httpx.get(f"{self.sims[code]}/control/log", headers={"X-Control-Key": CONTROL_KEY})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def open(self) -> dict[str, Any]:
        body = {"custody_id": self.car.custody_id, **FACTS, "passed": PASSED, "online_reason": ONLINE_REASON}
        r = self.http.post("/api/reference-prices", json=body, headers=self.car.car.officer)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def send(self) -> sending.DispatchReport:
        return sending.send_due(self.db, self.settings)

    def pricing(self, pricing_id: int) -> dict[str, Any]:
        r = self.http.get(f"/api/reference-prices/{pricing_id}", headers=self.car.car.officer)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait(self, pricing_id: int, until: Any, what: str) -> dict[str, Any]:
        """Poll until the platforms' callbacks (sent in the background) have landed."""
        deadline = time.monotonic() + WAIT_S
        while True:
            pricing = self.pricing(pricing_id)
            if until(pricing):
                return pricing
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {WAIT_S} s for {what}; the procedure: {pricing}")
            time.sleep(0.05)

    def results(self, pricing: dict[str, Any]) -> dict[str, int]:
        return {r["platform"]: r["reports"][-1]["result_fen"] for r in pricing["requests"] if r["reports"]}

    def later(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))
        self.car.car.officer = login(self.http, "py.officer")  # a login lasts 12 hours


def _reported(n: int) -> Any:
    return lambda p: sum(1 for r in p["requests"] if r["reports"]) >= n


def _status(status: str) -> Any:
    return lambda p: p["status"] == status


@pytest.fixture
def net(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> Iterator[Net]:
    platforms: tuple[SimPlatform, ...] = demo_platforms("test-inquiry-secret")
    with ExitStack() as stack:
        sims = {p.code: stack.enter_context(serve(create_app(p, control_key=CONTROL_KEY))) for p in platforms}
        configure_platforms(
            db,
            world.pingyang_court,
            {p.code: (sims[p.code], p.secret) for p in platforms},
            fee_fen=INQUIRY_FEE,
        )
        base = stack.enter_context(serve(app))
        http = stack.enter_context(httpx.Client(base_url=base, timeout=10))
        settings = Settings(
            database_url=db.url, public_base_url=base, inquiry_timeout_s=2.0, inquiry_attempts=2
        )
        built = in_custody(
            db, world.pingyang_key, centers.pingyang, tariff_from=clock.now().date(), intake={}
        )
        car = Inspected(built | (login(http, "py.officer"), login(http, "py.center")), 0)
        car.inspection_id = inspect(db, car.custody_id)
        yield Net(base, http, sims, settings, db, car, clock)


def test_all_on_time_the_price_is_the_mean_served_in_a_notice_on_the_timeline_and_on_the_stage_clock(
    net: Net,
) -> None:
    opened = net.open()
    report = net.send()
    assert sorted(r[:-9] for r in report.received) == [f"inq-{opened['id']:06d}-{c}" for c in CODES], report
    priced = net.wait(opened["id"], _status("priced"), "the three reports")
    results = net.results(priced)
    assert sorted(results) == list(CODES) and len(set(results.values())) == 3  # three plausible, different
    assert max(results.values()) < 1.2 * min(results.values())
    assert priced["price_fen"] == rules.mean_fen(list(results.values()))
    assert priced["method"] == "online" and "算术平均值" in priced["price_basis"]
    assert all(r["due_on"] == "2026-11-26" for r in priced["requests"])  # received Monday: 3 days (Art. 11)

    # The notice: numbered, served on both parties, and its PDF names the court, the case, the car, the price.
    notice = net.http.get(f"/api/reference-prices/{opened['id']}/notice", headers=net.car.car.officer).json()
    assert notice["price_fen"] == priced["price_fen"] and notice["number"].startswith("参价通〔2026〕")
    pdf = net.http.get(f"/api/reference-prices/{opened['id']}/notice.pdf", headers=net.car.car.officer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = (
        "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        .replace(" ", "")
        .replace("\n", "")
    )
    case_number = net.car.car.case["case_number"]
    for expected in (
        "平阳县人民法院",
        case_number,
        "浙C12345",
        notice["number"],
        f"{priced['price_fen'] / 100:,.2f}",
    ):
        assert expected.replace(" ", "") in text, expected

    with net.db.unit_of_work(read_only=True) as s:
        kinds = list(
            s.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.case_id == net.car.car.case["id"], TimelineEvent.kind.like("%price%"))
                .order_by(TimelineEvent.id)
            )
        )
    assert kinds[:4] == [
        "reference_price.opened",
        "reference_price.method_passed",
        "reference_price.method_passed",
        "reference_price.online_started",
    ]
    assert kinds[-2:] == ["reference_price.fixed", "reference_price.notice_issued"]
    stages = net.http.get(
        f"/api/captures/{net.car.car.capture['id']}/stages", headers=net.car.car.officer
    ).json()
    reached = {s["stage"]: (s["status"], s["reached_at"]) for s in stages["stages"]}
    assert reached["reference_price"] == ("on_time", priced["fixed_at"])
    legal = {d["deadline"]: d for d in stages["legal_deadlines"]}
    assert legal["inquiry_started"]["status"] == "on_time"  # Art. 1
    assert legal["disposal_started"]["due_on"] == "2026-12-03"  # Art. 30: 10 days from the price


def test_one_platform_late_the_mean_of_the_others_and_its_late_report_is_refused(net: Net) -> None:
    net.mode("platform-c", "late")
    opened = net.open()
    net.send()
    waiting = net.wait(opened["id"], _reported(2), "two reports")
    assert waiting["status"] == "inquiring"  # platform-c's 3 days are not over
    net.later(4)  # past Thursday 26 November
    assert sending.decide_due(net.db) == [(opened["id"], "price")]
    priced = net.pricing(opened["id"])
    results = net.results(priced)
    assert sorted(results) == ["platform-a", "platform-b"]
    assert priced["price_fen"] == rules.mean_fen(list(results.values()))
    net.release("platform-c")
    deadline = time.monotonic() + WAIT_S
    while not net.log("platform-c")["callbacks"] and time.monotonic() < deadline:
        time.sleep(0.05)
    [answer] = net.log("platform-c")["callbacks"]
    assert answer["status"] == 409, answer
    assert net.pricing(opened["id"])["price_fen"] == priced["price_fen"]  # nothing stored


def test_nobody_delivered_those_who_asked_in_time_get_three_more_days(net: Net) -> None:
    for code in CODES:
        net.mode(code, "extension")
    opened = net.open()
    net.send()
    net.wait(
        opened["id"], lambda p: all(r["extension_asked"] for r in p["requests"]), "three extension requests"
    )
    net.later(4)
    assert sending.decide_due(net.db) == [(opened["id"], "extend")]
    extended = net.pricing(opened["id"])
    assert (extended["round"], extended["round_due_on"]) == (
        "extension",
        "2026-11-30",
    )  # 3 more days, Art. 11
    sent = net.send()
    assert sent.notices_sent == 3
    assert [n["type"] for n in net.log("platform-a")["notices"]] == ["extension_granted"]
    for code in CODES:
        net.release(code)
    priced = net.wait(opened["id"], _status("priced"), "the extended reports")
    assert priced["price_fen"] == rules.mean_fen(list(net.results(priced).values()))


def test_nobody_delivered_and_nobody_asked_the_court_entrusts_an_appraisal_drawn_by_lot(net: Net) -> None:
    for code in CODES:
        net.mode(code, "late")
    opened = net.open()
    net.send()
    net.later(4)
    assert sending.decide_due(net.db) == [(opened["id"], "appraise")]
    failed = net.pricing(opened["id"])
    assert (failed["status"], failed["next_method"]) == ("open", "appraisal")
    assert failed["steps"][-1]["method"] == "online" and failed["steps"][-1]["reason"] == "failed"
    with net.db.unit_of_work() as s:
        for name in ("温州甲评估公司", "温州乙评估公司", "温州丙评估公司", "温州丁评估公司"):
            create_organisation(s, actor=factories.SYSTEM, kind=OrgKind.APPRAISAL_FIRM, name=name)
    entrusted = net.http.post(
        f"/api/reference-prices/{opened['id']}/appraisal", json={}, headers=net.car.car.officer
    )
    assert entrusted.status_code == 201, entrusted.text
    appraisal = entrusted.json()
    assert appraisal["chosen_by"] == "lot" and len(appraisal["order"]) == 3 and len(appraisal["seed"]) >= 16
    with net.db.unit_of_work(read_only=True) as s:
        event = s.scalar(
            select(TimelineEvent).where(TimelineEvent.kind == "reference_price.appraisal_entrusted")
        )
        assert event is not None and event.data["seed"] == appraisal["seed"]
    reported = net.http.post(
        f"/api/reference-prices/{opened['id']}/appraisal/report",
        json={"number": "温评字〔2026〕第118号", "result_fen": 8_100_000},
        headers=net.car.car.officer,
    )
    assert reported.status_code == 200 and reported.json()["price_fen"] == 8_100_000, reported.text


def test_every_report_about_the_wrong_car_is_corrected_within_three_days(net: Net) -> None:
    for code in CODES:
        net.mode(code, "wrong_car")
    opened = net.open()
    net.send()
    corrections = net.wait(opened["id"], lambda p: p["round"] == "corrections", "the corrections round")
    assert all(r["reports"][0]["basic_errors"] for r in corrections["requests"])
    net.send()  # the notices: correction_requested; each platform corrects at once
    priced = net.wait(opened["id"], _status("priced"), "the corrected reports")
    assert all(r["reports"][-1]["correction"] for r in priced["requests"])
    assert priced["price_fen"] == rules.mean_fen(list(net.results(priced).values()))


def test_an_objection_upheld_against_one_report_leaves_the_mean_of_the_others(net: Net) -> None:
    opened = net.open()
    net.send()
    priced = net.wait(opened["id"], _status("priced"), "the three reports")
    results = net.results(priced)
    applicant = next(p for p in net.car.car.case["parties"] if p["role"] == "applicant")
    net.later(2)  # within 5 days of service
    filed = net.http.post(
        f"/api/reference-prices/{opened['id']}/objections",
        json={
            "party_id": applicant["id"],
            "grounds": ["basic_data"],
            "platforms": ["platform-a"],
            "statement": "甲平台报告所载里程与实际不符",
        },
        headers=net.car.car.officer,
    )
    assert filed.status_code == 201, filed.text
    decided = net.http.post(
        f"/api/reference-price-objections/{filed.json()['id']}/decide",
        json={"upheld": True, "note": "经审查，甲平台报告车辆基本信息错误，异议成立"},
        headers=net.car.car.officer,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["price_fen"] == rules.mean_fen([results["platform-b"], results["platform-c"]])
    notice = net.http.get(f"/api/reference-prices/{opened['id']}/notice", headers=net.car.car.officer).json()
    assert notice["price_fen"] == decided.json()["price_fen"]  # served again


def test_a_late_objection_is_refused_naming_article_22(net: Net) -> None:
    opened = net.open()
    net.send()
    net.wait(opened["id"], _status("priced"), "the three reports")
    applicant = next(p for p in net.car.car.case["parties"] if p["role"] == "applicant")
    net.later(10)
    late = net.http.post(
        f"/api/reference-prices/{opened['id']}/objections",
        json={
            "party_id": applicant["id"],
            "grounds": ["basic_data"],
            "platforms": ["platform-a"],
            "statement": "迟到",
        },
        headers=net.car.car.officer,
    )
    assert late.status_code == 400 and "Art. 22" in late.json()["rule"], late.text


def test_a_price_past_its_validity_unused_is_asked_again(net: Net) -> None:
    opened = net.open()
    net.send()
    priced = net.wait(opened["id"], _status("priced"), "the three reports")
    until = datetime.fromisoformat(priced["valid_until"])
    net.clock.set(datetime(until.year, until.month, until.day, 9, tzinfo=SHANGHAI) + timedelta(days=1))
    net.car.car.officer = login(net.http, "py.officer")
    [fresh_id] = validity.expire_due(net.db)
    assert net.pricing(opened["id"])["status"] == "expired"
    fresh = net.pricing(fresh_id)
    assert fresh["previous_id"] == opened["id"] and fresh["status"] == "inquiring"
    net.send()
    again = net.wait(fresh_id, _status("priced"), "the new reports")
    assert again["price_fen"] is not None and again["valid_until"] > priced["valid_until"]


def test_a_platform_that_hangs_or_fails_never_delays_the_others(net: Net) -> None:
    net.mode("platform-b", "slow", delay_s=5.0)  # longer than the 2 s timeout, twice
    net.mode("platform-c", "fail")
    opened = net.open()
    started = time.monotonic()
    report = net.send()
    took = time.monotonic() - started
    assert [r[:-9] for r in report.received] == [f"inq-{opened['id']:06d}-platform-a"]
    assert sorted(r[:-9] for r in report.failed) == [
        f"inq-{opened['id']:06d}-platform-b",
        f"inq-{opened['id']:06d}-platform-c",
    ]
    assert took < 2 * 2.0 + 1.5 + 2.0  # b's two timed-out tries and a backoff; a and c did not wait for it
    priced = net.wait(opened["id"], _status("priced"), "platform-a's report")
    assert sorted(net.results(priced)) == ["platform-a"]


def test_a_report_with_a_bad_signature_is_refused_and_nothing_is_stored(net: Net) -> None:
    net.mode("platform-a", "bad_signature")
    net.mode("platform-b", "malformed")
    opened = net.open()
    net.send()
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and not (
        net.log("platform-a")["callbacks"] and net.log("platform-b")["callbacks"]
    ):
        time.sleep(0.05)
    assert [c["status"] for c in net.log("platform-a")["callbacks"]] == [401]
    assert [c["status"] for c in net.log("platform-b")["callbacks"]] == [422]
    pricing = net.wait(opened["id"], _reported(1), "platform-c's report")
    assert sorted(net.results(pricing)) == ["platform-c"]


def test_the_center_sees_its_own_estimate_beside_the_reports_and_the_fee_goes_to_the_closest(
    net: Net,
) -> None:
    opened = net.open()
    net.send()
    priced = net.wait(opened["id"], _status("priced"), "the three reports")
    check = net.http.get(f"/api/reference-prices/{opened['id']}/estimate", headers=net.car.car.staff)
    assert check.status_code == 200, check.text
    estimate = check.json()
    assert estimate["price_fen"] == priced["price_fen"] and "不作为财产处置参考价" in estimate["note"]
    assert estimate["working"][0].startswith("评估方法：重置成本法")
    assert abs(estimate["gap_percent"]) < 10  # the platforms' profiles sit within a few percent of it
    results = net.results(priced)
    closest = min(results, key=lambda code: abs(results[code] - 7_000_000))
    with net.db.unit_of_work() as s:
        pricing = s.get(ReferencePrice, opened["id"])
        assert pricing is not None
        fees = validity.award_fee(s, pricing, 7_000_000)  # after the sale (Art. 31)
        assert [(f.share, f.result_fen, f.amount_fen) for f in fees] == [("1", results[closest], INQUIRY_FEE)]
        assert validity.award_fee(s, pricing, 7_000_000)[0].id == fees[0].id  # recorded once
    # The fee is a cost of the case, owed to that platform and covered first from the proceeds.
    case_id = int(net.car.car.case["id"])
    with net.db.unit_of_work(read_only=True) as s:
        payee = s.scalars(select(CasePayee).where(CasePayee.case_id == case_id)).one()
        assert (payee.kind, payee.account_number) == (PayeeKind.COST, f"PLATFORM-{closest}")
        payee_id = payee.id
    assert balances(net.db, case_id) == {
        f"cost:inquiry_fee:{payee_id}": INQUIRY_FEE,
        "costs:charged": INQUIRY_FEE,
    }


def test_a_signed_report_for_a_request_never_sent_is_404_and_stores_nothing(net: Net) -> None:
    [platform] = [p for p in demo_platforms("test-inquiry-secret") if p.code == "platform-a"]
    body = json.dumps({"type": "extension_request", "request_id": "inq-999999-platform-a"}).encode()
    headers = sign(platform.secret, "msg_unknown_1", int(net.clock.now().timestamp()), body)
    r = net.http.post("/api/inquiry-platforms/platform-a/reports", content=body, headers=headers)
    assert r.status_code == 404 and "inq-999999-platform-a" in r.json()["detail"], r.text
    unsigned = net.http.post("/api/inquiry-platforms/platform-a/reports", content=body)
    assert unsigned.status_code == 401, unsigned.text
    # An id the platform could not have its replays kept under is refused as such, not failed on storing.
    for msg_id, status in (("m" * 129, 422), ("m" * 128, 404)):
        headers = sign(platform.secret, msg_id, int(net.clock.now().timestamp()), body)
        r = net.http.post("/api/inquiry-platforms/platform-a/reports", content=body, headers=headers)
        assert r.status_code == status, r.text
    assert r.status_code == 404 and "webhook-id" not in r.text


def test_a_signed_message_that_is_not_a_report_is_422_naming_article_11(net: Net) -> None:
    [platform] = [p for p in demo_platforms("test-inquiry-secret") if p.code == "platform-a"]

    def post(msg_id: str, body: bytes) -> httpx.Response:
        headers = sign(platform.secret, msg_id, int(net.clock.now().timestamp()), body)
        return net.http.post("/api/inquiry-platforms/platform-a/reports", content=body, headers=headers)

    not_json = post("msg_not_json_1", b"{not json")
    assert not_json.status_code == 422, not_json.text
    assert not_json.json()["detail"].startswith("body: not JSON (参考价规定 Art. 11: a report carries"), (
        not_json.text
    )
    assert (
        not_json.json()["detail_zh"]
        == "询价报告内容不全或格式不对：报告应载明车辆、样本、询价方法、结果和有效期"
    )
    no_report = post("msg_no_report_1", json.dumps({"type": "report", "request_id": "inq-1"}).encode())
    assert no_report.status_code == 422, no_report.text
    assert no_report.json()["detail"].startswith("body: report.report: Field required (参考价规定 Art. 11"), (
        no_report.text
    )

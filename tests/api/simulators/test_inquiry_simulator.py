"""The simulated price-inquiry platform (api/simulators/inquiry), over real HTTP both ways: the court's
signed requests in, the platform's signed callbacks out to a receiver that verifies them as the court does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from inquiry_sim_helpers import CONTROL_KEY, Receiver, SimClient, inquiry, receiving, simulator_client

from api.simulators.inquiry import SimPlatform, create_app, demo_platforms, mount
from api.simulators.inquiry.reports import SAMPLE_SOURCES, purchase_tax_rate
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.outbound.client import OutboundClient, OutboundError, Service
from car_enforce.core.outbound.signing import HmacRequestSigner, SigningInput
from car_enforce.core.outbound.standard_webhooks import signing_key
from tests.live import serve
from valuation.catalogue import LIST_PRICES_FEN
from valuation.estimate import PLATFORMS, Car, estimate

PLATFORMS_DEMO = demo_platforms("tests")
A = PLATFORMS_DEMO[0]
TODAY = date(2026, 11, 23)  # the tests' clock: Monday 23 November 2026, 09:00 in Wenzhou
LAVIDA = Car(
    new_price_fen=LIST_PRICES_FEN["大众 朗逸"],
    registered_on=date(2021, 3, 15),
    odometer_km=86420,
    inspection_score=83,  # 82.5, half up
)


@pytest.fixture
def receiver(clock: MovableClock) -> Iterator[Receiver]:
    with receiving(PLATFORMS_DEMO) as r:
        yield r


@pytest.fixture
def sim(receiver: Receiver) -> Iterator[SimClient]:
    with serve(create_app(A, control_key=CONTROL_KEY)) as base, simulator_client(base, A) as client:
        yield client


def ask(sim: SimClient, receiver: Receiver, request_id: str = "inq-000042-platform-a") -> str:
    answer = sim.inquire(inquiry(request_id, receiver.url(sim.platform.code)))
    assert answer.status_code == 202, answer.text
    inquiry_id: str = answer.json()["inquiry_id"]
    return inquiry_id


def test_a_report_is_signed_valued_by_the_platforms_profile_and_complete(
    sim: SimClient, receiver: Receiver
) -> None:
    inquiry_id = ask(sim, receiver)
    [taken] = receiver.wait(1)
    expected = estimate(LAVIDA, on=TODAY, source=PLATFORMS[0])
    assert taken.message_id.startswith("msg_platform-a_")
    assert taken.body is not None and taken.body["type"] == "report"
    assert taken.body["request_id"] == "inq-000042-platform-a"
    report = taken.body["report"]
    assert report["result_fen"] == expected.value_fen
    assert report["number"] == "PLATFORM-A-2026-000001"
    assert (report["issued_on"], report["valid_until"]) == ("2026-11-23", "2027-05-23")
    assert report["vehicle"] == {
        "plate": "浙C12345",
        "vin": "LSVAU2180N2123456",
        "brand_model": "大众 朗逸 1.5L 自动",
    }
    assert report["method"].split("\n") == [expected.method_zh, *expected.working()]
    assert len(report["samples"]) == 3
    for sample in report["samples"]:
        assert abs(sample["price_fen"] - expected.value_fen) <= expected.value_fen * Decimal("0.08") + 100
        assert TODAY - timedelta(days=90) <= date.fromisoformat(sample["date"]) < TODAY
        assert sample["source"] in SAMPLE_SOURCES
    assert len({s["price_fen"] for s in report["samples"]}) == 3
    log = sim.log()
    assert [(i["request_id"], i["inquiry_id"], i["mode"]) for i in log["inquiries"]] == [
        ("inq-000042-platform-a", inquiry_id, "ok")
    ]
    [sent] = log["callbacks"]
    assert (sent["message_id"], sent["status"], sent["attempts"]) == (taken.message_id, 200, 1)
    assert sent["answer"] == {"ok": True, "message": taken.message_id}


def test_the_three_demo_platforms_mounted_under_a_prefix_give_three_results(receiver: Receiver) -> None:
    parent = FastAPI()
    mount(parent, PLATFORMS_DEMO, control_key=CONTROL_KEY, prefix="/sim/inquiry")
    results = {}
    with serve(parent) as base:
        for platform, source in zip(PLATFORMS_DEMO, PLATFORMS, strict=True):
            with simulator_client(f"{base}/sim/inquiry/{platform.code}", platform) as client:
                request_id = f"inq-000042-{platform.code}"
                inquiry_id = ask(client, receiver, request_id)
                assert inquiry_id.startswith(platform.code)
                notice = {"type": "extension_refused", "request_id": request_id}
                assert client.notify(inquiry_id, f"{request_id}:x", notice).json() == {"ok": True}
                assert client.log()["notices"][0]["type"] == "extension_refused"
            results[platform.code] = estimate(LAVIDA, on=TODAY, source=source).value_fen
        taken = receiver.wait(3)
    got = {t.code: t.body["report"]["result_fen"] for t in taken if t.body}
    assert got == results
    assert len(set(results.values())) == 3
    assert [p.name for p in PLATFORMS_DEMO] == ["模拟询价平台甲", "模拟询价平台乙", "模拟询价平台丙"]


def test_a_signature_over_the_path_without_the_mount_prefix_is_refused(receiver: Receiver) -> None:
    parent = FastAPI()
    mount(parent, (A,), control_key=CONTROL_KEY, prefix="/sim/inquiry")
    with serve(parent) as base:
        body = inquiry("inq-1", receiver.url(A.code))
        signer = HmacRequestSigner(key=signing_key(A.secret))
        # Signed for /inquiries (what the sub-app's routing sees), sent to the prefixed path.
        headers = signer.headers(_signing_input(f"{base}/inquiries", body))
        answer = httpx.post(
            f"{base}/sim/inquiry/{A.code}/inquiries",
            content=_json(body),
            headers={**headers, "Idempotency-Key": "inq-1", "Content-Type": "application/json"},
        )
    assert answer.status_code == 401
    assert answer.json()["error"] == "InvalidSignature"


def test_a_repeat_answers_the_same_inquiry_and_changes_nothing(sim: SimClient, receiver: Receiver) -> None:
    first = ask(sim, receiver)
    again = ask(sim, receiver)
    assert again == first
    receiver.wait(1)
    time.sleep(0.2)
    assert len(receiver.taken()) == 1
    assert len(sim.log()["inquiries"]) == 1


def test_unsigned_badly_signed_and_stale_requests_are_refused(sim: SimClient, receiver: Receiver) -> None:
    body = inquiry("inq-1", receiver.url(A.code))
    unsigned = httpx.post(f"{sim.base_url}/inquiries", json=body, headers={"Idempotency-Key": "inq-1"})
    assert unsigned.status_code == 401
    assert unsigned.json()["error"] == "InvalidSignature"
    wrong = SimPlatform(code=A.code, name=A.name, secret="x" * 40, source=A.source)
    with simulator_client(sim.base_url, wrong) as impostor, pytest.raises(OutboundError) as refused:
        impostor.inquire(body)
    assert refused.value.status == 401
    stale_clock = MovableClock(datetime_at(TODAY) - timedelta(minutes=10))
    stale = OutboundClient(
        Service(name="stale", base_url=sim.base_url, signer=HmacRequestSigner(key=signing_key(A.secret))),
        clock=stale_clock,
    )
    with stale, pytest.raises(OutboundError) as too_old:
        stale.post("/inquiries", idempotency_key="inq-1", json=body)
    assert too_old.value.status == 401
    assert sim.log()["inquiries"] == []


def test_malformed_requests_are_422_and_store_nothing(sim: SimClient, receiver: Receiver) -> None:
    body = inquiry("inq-1", receiver.url(A.code))
    del body["vehicle"]["first_registered_on"]
    with pytest.raises(OutboundError) as malformed:
        sim.inquire(body)
    assert malformed.value.status == 422
    good = inquiry("inq-2", receiver.url(A.code))
    with pytest.raises(OutboundError) as wrong_key:
        sim.court.post("/inquiries", idempotency_key="another-key", json=good)
    assert wrong_key.value.status == 422
    future = inquiry("inq-3", receiver.url(A.code), first_registered_on="2027-01-01")
    with pytest.raises(OutboundError) as unvaluable:
        sim.inquire(future)
    assert unvaluable.value.status == 422
    assert sim.log()["inquiries"] == []


def test_fail_mode_answers_500_and_stores_nothing(sim: SimClient, receiver: Receiver) -> None:
    sim.mode("fail")
    with pytest.raises(OutboundError) as failed:
        sim.inquire(inquiry("inq-1", receiver.url(A.code)))
    assert failed.value.status == 500
    assert "HTTP 500" in str(failed.value)
    log = sim.log()
    assert log["inquiries"] == [] and log["refused"] == [
        {"request_id": "inq-1", "status": 500, "mode": "fail"}
    ]
    sim.mode("ok")
    ask(sim, receiver, "inq-1")  # the court's next try is taken
    assert len(receiver.wait(1)) == 1


def test_slow_mode_answers_after_the_delay_then_reports(sim: SimClient, receiver: Receiver) -> None:
    sim.mode("slow", delay_s=0.4)
    started = time.monotonic()
    ask(sim, receiver)
    assert time.monotonic() - started >= 0.4
    [taken] = receiver.wait(1)
    assert taken.body is not None and taken.body["type"] == "report"
    assert sim.log()["inquiries"][0]["mode"] == "slow"


def test_ok_mode_with_a_delay_reports_after_it(sim: SimClient, receiver: Receiver) -> None:
    sim.mode("ok", delay_s=0.3)
    started = time.monotonic()
    ask(sim, receiver)
    assert time.monotonic() - started < 0.3  # the answer does not wait
    receiver.wait(1)
    assert time.monotonic() - started >= 0.3


def test_late_mode_holds_the_report_until_release(
    sim: SimClient, receiver: Receiver, clock: MovableClock
) -> None:
    sim.mode("late")
    ask(sim, receiver)
    time.sleep(0.3)
    assert receiver.tries == []
    assert sim.log()["held"] == 1
    clock.advance(timedelta(days=4))
    [released] = sim.release()
    assert released["status"] == 200
    [taken] = receiver.taken()
    assert taken.body is not None
    report = taken.body["report"]
    on = TODAY + timedelta(days=4)
    assert report["issued_on"] == on.isoformat()
    assert report["result_fen"] == estimate(LAVIDA, on=on, source=PLATFORMS[0]).value_fen
    assert sim.release() == []  # held once, sent once


def test_extension_mode_asks_for_time_first_and_reports_on_release(
    sim: SimClient, receiver: Receiver
) -> None:
    sim.mode("extension")
    ask(sim, receiver)
    [asked] = receiver.wait(1)
    assert asked.body is not None
    assert asked.body["type"] == "extension_request"
    assert asked.body["request_id"] == "inq-000042-platform-a"
    assert asked.body["reason"]
    time.sleep(0.2)
    assert len(receiver.taken()) == 1
    sim.release()
    _, reported = receiver.taken()
    assert reported.body is not None and reported.body["type"] == "report"
    assert reported.message_id != asked.message_id


def test_malformed_mode_sends_a_report_without_its_result(sim: SimClient, receiver: Receiver) -> None:
    sim.mode("malformed")
    ask(sim, receiver)
    [sent] = _wait_for_callbacks(sim, 1)
    assert (sent["status"], sent["attempts"]) == (422, 1)  # a 4xx is the court's word: not tried again
    [seen] = receiver.tries
    assert seen.body is not None
    assert "result_fen" not in seen.body["report"] and seen.body["report"]["samples"]


def test_bad_signature_mode_is_refused_by_the_receiver(sim: SimClient, receiver: Receiver) -> None:
    sim.mode("bad_signature")
    ask(sim, receiver)
    [sent] = _wait_for_callbacks(sim, 1)
    assert (sent["status"], sent["attempts"], sent["signed_rightly"]) == (401, 1, False)
    assert sent["answer"]["error"] == "InvalidSignature"
    assert [t.status for t in receiver.tries] == [401]


def test_wrong_car_is_corrected_once_after_the_courts_notice(sim: SimClient, receiver: Receiver) -> None:
    sim.mode("wrong_car")
    inquiry_id = ask(sim, receiver)
    [first] = receiver.wait(1)
    assert first.body is not None
    wrong = first.body["report"]["vehicle"]
    assert wrong["plate"] != "浙C12345" and wrong["vin"] != "LSVAU2180N2123456"
    notice = {"type": "correction_requested", "request_id": "inq-000042-platform-a", "due_on": "2026-11-26"}
    key = "inq-000042-platform-a:correction_requested"
    assert sim.notify(inquiry_id, key, notice).json() == {"ok": True}
    assert sim.notify(inquiry_id, key, notice).json() == {"ok": True}  # a retry
    _, corrected = receiver.wait(2)
    assert corrected.body is not None and corrected.body["type"] == "correction"
    report = corrected.body["report"]
    assert report["vehicle"]["plate"] == "浙C12345" and report["vehicle"]["vin"] == "LSVAU2180N2123456"
    assert report["number"] != first.body["report"]["number"]
    assert report["result_fen"] == estimate(LAVIDA, on=TODAY, source=PLATFORMS[0]).value_fen
    time.sleep(0.2)
    assert len(receiver.taken()) == 2
    [logged] = sim.log()["notices"]
    assert (logged["type"], logged["due_on"]) == ("correction_requested", "2026-11-26")


def test_notices_for_unknown_inquiries_are_404_and_withdrawn_drops_held_reports(
    sim: SimClient, receiver: Receiver
) -> None:
    with pytest.raises(OutboundError) as unknown:
        sim.notify("nope", "k", {"type": "withdrawn", "request_id": "inq-1"})
    assert unknown.value.status == 404
    sim.mode("late")
    inquiry_id = ask(sim, receiver)
    withdrawn = {"type": "withdrawn", "request_id": "inq-000042-platform-a", "reason": "案件已执行完毕"}
    sim.notify(inquiry_id, "inq-000042-platform-a:withdrawn", withdrawn)
    assert sim.release() == []
    assert receiver.tries == []


def test_a_callback_is_tried_again_after_5xx_with_the_same_id(sim: SimClient, receiver: Receiver) -> None:
    receiver.unavailable = 2
    ask(sim, receiver)
    [taken] = receiver.wait(1)
    assert [(t.status, t.message_id) for t in receiver.tries] == [
        (503, taken.message_id),
        (503, taken.message_id),
        (200, taken.message_id),
    ]
    [sent] = _wait_for_callbacks(sim, 1)
    assert (sent["status"], sent["attempts"]) == (200, 3)


def test_the_controls_need_their_key_and_reset_forgets(sim: SimClient, receiver: Receiver) -> None:
    for call in (
        httpx.get(f"{sim.base_url}/control/log"),
        httpx.post(f"{sim.base_url}/control/mode", json={"mode": "fail"}, headers={"X-Control-Key": "no"}),
    ):
        assert call.status_code == 401
        assert call.json()["error"] == "Unauthenticated"
    assert sim.control.post("/control/mode", json={"mode": "sideways"}).status_code == 422
    ask(sim, receiver)
    receiver.wait(1)
    assert sim.control.post("/control/reset").json() == {"ok": True}
    log = sim.log()
    assert (log["mode"], log["inquiries"], log["callbacks"]) == ("ok", [], [])


def test_an_electric_car_is_valued_with_its_purchase_tax_relief() -> None:
    assert purchase_tax_rate("electric", date(2025, 6, 1)) == 0
    assert purchase_tax_rate("electric", TODAY) == Decimal("0.05")
    assert purchase_tax_rate("electric", date(2028, 1, 1)) == Decimal("0.10")
    assert purchase_tax_rate("petrol", TODAY) == Decimal("0.10")


# --- helpers ---------------------------------------------------------------------------------------------


def _wait_for_callbacks(sim: SimClient, count: int, timeout_s: float = 5.0) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout_s
    while True:
        callbacks: list[dict[str, object]] = sim.log()["callbacks"]
        if len(callbacks) >= count or time.monotonic() > deadline:
            return callbacks
        time.sleep(0.02)


def datetime_at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)


def _json(body: dict[str, object]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _signing_input(url: str, body: dict[str, object]) -> SigningInput:
    return SigningInput(
        method="POST",
        url=httpx.URL(url),
        body=_json(body),
        timestamp=int(datetime_at(TODAY).timestamp()),
        idempotency_key="inq-1",
    )

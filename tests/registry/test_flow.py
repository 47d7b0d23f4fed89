"""The platform's side: requests queued once, sent by the sweep, settled by the registry's answer, its signed
callbacks or a poll, each change one event on the case's timeline told to the applicants."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.simulators import registry as registry_sim
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict
from car_enforce.core.notify.service import texts_to
from car_enforce.core.outbound.standard_webhooks import sign
from car_enforce.core.settings import get_settings
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.registry import (
    HandedOver,
    RegistryRequest,
    RequestStatus,
    queue_release,
    queue_seizure,
    queue_transfer,
    send_due,
)
from car_enforce.registry.models import RegistryMessage
from tests.api_helpers import login
from tests.factories import World
from tests.registry_helpers import ALL_HANDED, BUYER, HOOK_PATH, CourtCase, Harness, court_case, seizure_body

APPLICANT_PHONE = "13900000001"  # the applicant of tests.api_helpers.case_body


@pytest.fixture
def case(harness: Harness, world: World, db: Database) -> CourtCase:
    harness.file()
    return court_case(db)


def seizure(db: Database, case: CourtCase, notice: str = "(2026)浙0326执1234号之二") -> int:
    with db.unit_of_work() as s:
        request = queue_seizure(
            s,
            actor=case.officer,
            case_id=case.case_id,
            vehicle_id=case.vehicle_id,
            ruling_number="(2026)浙0326执1234号之一",
            notice_number=notice,
        )
        return request.id


def sale(db: Database, case: CourtCase, handed_over: HandedOver = ALL_HANDED, **changes: Any) -> int:
    with db.unit_of_work() as s:
        request = queue_transfer(
            s,
            actor=case.officer,
            case_id=case.case_id,
            vehicle_id=case.vehicle_id,
            ruling_number="(2026)浙0326执1234号之三",
            notice_number="(2026)浙0326执1234号之四",
            buyer=BUYER,
            handed_over=handed_over,
            **changes,
        )
        return request.id


def sweep(harness: Harness, db: Database) -> Any:
    with harness.client() as client:
        report = send_due(db, client)
    registry_sim.wait_for_deliveries()  # the callbacks the calls caused have been answered
    return report


def request(db: Database, request_id: int) -> RegistryRequest:
    with db.unit_of_work(read_only=True) as s:
        found = s.get(RegistryRequest, request_id)
        assert found is not None
        s.expunge(found)
        return found


def kinds(db: Database, case: CourtCase) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return list(
            s.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.case_id == case.case_id, TimelineEvent.kind.like("registry.%"))
                .order_by(TimelineEvent.seq)
            )
        )


def texts(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return [n.body for n in reversed(texts_to(s, APPLICANT_PHONE))]


def messages_taken(db: Database) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(RegistryMessage)) or 0)


def completes(harness: Harness, clock: MovableClock, hours: float = 2) -> None:
    """The registry's working time passes, and something asks it (as any request would)."""
    clock.advance(timedelta(hours=hours))
    assert harness.control.post("/control/process-due").status_code == 200
    registry_sim.wait_for_deliveries()


# --- queuing ------------------------------------------------------------------------------------------


def test_asking_twice_queues_one_request_and_records_one_event(case: CourtCase, db: Database) -> None:
    first = seizure(db, case)
    assert seizure(db, case) == first
    assert request(db, first).status == RequestStatus.QUEUED
    assert kinds(db, case) == ["registry.seizure_queued"]


def test_the_same_notice_with_other_contents_is_refused(case: CourtCase, db: Database) -> None:
    sale(db, case)
    with pytest.raises(Conflict):
        sale(db, case, out_of_area=True)


def test_a_release_without_a_seizure_at_the_registry_is_refused(case: CourtCase, db: Database) -> None:
    with db.unit_of_work() as s, pytest.raises(Conflict):
        queue_release(
            s, actor=case.officer, case_id=case.case_id, vehicle_id=case.vehicle_id, notice_number="解1"
        )


# --- seizure and release ------------------------------------------------------------------------------


def test_the_sweep_registers_the_seizure_and_the_applicants_are_told(
    harness: Harness, case: CourtCase, db: Database
) -> None:
    request_id = seizure(db, case)
    report = sweep(harness, db)
    assert report.sent == [request_id]
    done = request(db, request_id)
    assert (done.status, done.registry_status) == (RequestStatus.DONE, "active")
    # The callback saying the same arrived after the answer: taken, and it changed nothing.
    assert messages_taken(db) == 1
    assert kinds(db, case) == ["registry.seizure_queued", "registry.seizure_effective"]
    assert any("查封登记" in t and "查封生效" in t for t in texts(db))


def test_a_release_ends_the_seizure_and_the_next_courts_seizure_takes_effect(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    own = seizure(db, case)
    # The 鹿城 court pursues the same car on this platform too.
    other = court_case(
        db, number="(2026)浙0302执77号", officer="lc.officer", known_vehicle_id=case.vehicle_id
    )
    other_request = seizure(db, other, notice="(2026)浙0302执77号之二")
    sweep(harness, db)
    assert request(db, other_request).registry_status == "queued"
    assert kinds(db, other)[-1] == "registry.seizure_waiting"

    harness.stage("bad_signature", count=10)  # every callback from now on is lost
    with db.unit_of_work() as s:
        release_id = queue_release(
            s, actor=case.officer, case_id=case.case_id, vehicle_id=case.vehicle_id, notice_number="解除1号"
        ).id
    sweep(harness, db)
    assert request(db, release_id).status == RequestStatus.DONE
    assert request(db, own).registry_status == "released"
    assert kinds(db, case)[-2:] == ["registry.release_queued", "registry.seizure_released"]
    # The word that the queued seizure took effect was lost; the next poll of it finds out.
    assert request(db, other_request).registry_status == "queued"
    clock.advance(timedelta(minutes=11))
    assert sweep(harness, db).polled == [other_request]
    assert request(db, other_request).registry_status == "active"
    assert kinds(db, other)[-1] == "registry.seizure_effective"
    assert messages_taken(db) == 1  # the first seizure's taking effect; the refused ones stored nothing


# --- transfer -----------------------------------------------------------------------------------------


def test_a_sold_car_is_transferred_within_the_working_day_through_the_callback(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    own = seizure(db, case)
    sweep(harness, db)
    transfer_id = sale(db, case)  # ends every seizure on the file (查封规定 Art. 27)
    sweep(harness, db)
    accepted = request(db, transfer_id)
    assert (accepted.status, accepted.registry_status) == (RequestStatus.SENT, "processing")
    assert accepted.payload["ends_seizures"] == [request(db, own).registry_id]

    completes(harness, clock)  # the callback tells the platform; no sweep ran
    done = request(db, transfer_id)
    assert done.status == RequestStatus.DONE
    assert done.result["owner"] == "张*丰" and done.result["plate_changed"]
    assert request(db, own).registry_status == "lapsed"
    assert kinds(db, case)[-3:] == [
        "registry.transfer_queued",
        "registry.transfer_accepted",
        "registry.transfer_completed",
    ]
    assert any("已办结该车的转让登记" in t for t in texts(db))
    assert sweep(harness, db).polled == []  # nothing left to ask after


def test_a_lost_callback_does_not_stall_the_transfer_the_sweep_polls_it(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    transfer_id = sale(db, case)
    sweep(harness, db)
    harness.stage("bad_signature", count=10)
    completes(harness, clock)
    assert request(db, transfer_id).status == RequestStatus.SENT  # the callback was refused: nothing stored
    assert sweep(harness, db).polled == [transfer_id]
    assert request(db, transfer_id).status == RequestStatus.DONE
    assert kinds(db, case).count("registry.transfer_completed") == 1


def test_a_sale_ends_another_cases_seizure_and_that_case_is_told_even_when_the_callbacks_are_lost(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    # The 鹿城 court seized the car first; this case's seizure waits behind it.
    own = case
    other = court_case(db, number="(2026)浙0302执77号", officer="lc.officer", known_vehicle_id=own.vehicle_id)
    other_request = seizure(db, other, notice="(2026)浙0302执77号之二")
    own_request = seizure(db, own)
    sweep(harness, db)
    assert request(db, own_request).registry_status == "queued"
    transfer_id = sale(db, own)  # a sale ends every seizure (查封规定 Art. 27)
    sweep(harness, db)
    harness.stage("bad_signature", count=20)
    clock.advance(timedelta(hours=2))
    # A seizure in effect is checked only daily; the sale found done makes the sweep ask after it at once.
    assert sweep(harness, db).polled == [own_request, transfer_id]
    assert sweep(harness, db).polled == [other_request]
    assert request(db, other_request).registry_status == "lapsed"
    assert kinds(db, other)[-1] == "registry.seizure_lapsed"
    assert request(db, own_request).registry_status == "lapsed"
    assert "registry.seizure_lapsed" not in kinds(db, own)  # its own sale's event says it


def test_papers_not_handed_over_are_voided_and_reissued_and_the_applicants_read_so(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    transfer_id = sale(db, case, HandedOver(certificate=False, licence=True, plates=False))
    sweep(harness, db)
    completes(harness, clock)
    result = request(db, transfer_id).result
    assert result["voided"] == ["certificate", "plates"] and result["certificate_reissued"]
    assert any("原机动车登记证书、号牌已公告作废，已补发机动车登记证书" in t for t in texts(db))


def test_a_refused_transfer_is_recorded_with_its_reasons_in_chinese(
    harness: Harness, case: CourtCase, db: Database
) -> None:
    harness.change(violations=3, inspection_valid_until="2026-01-31")
    transfer_id = sale(db, case)
    sweep(harness, db)
    refused = request(db, transfer_id)
    assert refused.status == RequestStatus.REFUSED
    assert refused.result["code"] == "uncleared_violations"
    assert [r["code"] for r in refused.result["refusals"]] == ["uncleared_violations", "inspection_overdue"]
    assert "3起" in refused.result["zh"] and "检验有效期" in refused.result["zh"]
    assert kinds(db, case)[-1] == "registry.transfer_refused"
    assert any("不予办理该车的转让登记" in t for t in texts(db))
    assert messages_taken(db) == 1  # the refusal's callback, taken after the answer, changing nothing


def test_a_callback_before_the_answer_is_stored_settles_the_request_by_its_reference(
    harness: Harness, case: CourtCase, db: Database
) -> None:
    harness.change(stolen=True)
    harness.stage("malformed", count=5)  # the registry acts; every answer to us is garbled
    transfer_id = sale(db, case, ends_seizures=[])
    sweep(harness, db)
    refused = request(db, transfer_id)
    assert refused.status == RequestStatus.REFUSED and refused.result["code"] == "stolen"
    assert refused.attempts == 0  # the failure recorded for the garbled answer was settled


# --- failures -----------------------------------------------------------------------------------------


def test_a_failing_registry_leaves_the_request_for_a_later_try_under_the_same_key(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    request_id = seizure(db, case)
    harness.stage("error500", count=3)  # every try of this sweep
    report = sweep(harness, db)
    assert report.waiting == [request_id]
    waiting = request(db, request_id)
    assert (waiting.status, waiting.attempts) == (
        RequestStatus.QUEUED,
        1,
    ) and "HTTP 500" in waiting.last_error
    assert sweep(harness, db).sent == []  # not due again yet
    clock.advance(timedelta(seconds=31))
    assert sweep(harness, db).sent == [request_id]
    assert len(harness.vehicle()["seizures"]) == 1


def test_a_permanent_refusal_fails_the_request_and_the_officer_sees_why(
    harness: Harness, world: World, db: Database
) -> None:
    case = court_case(db)  # no file at the registry for this car
    request_id = seizure(db, case)
    report = sweep(harness, db)
    assert request_id in report.failed
    failed = request(db, request_id)
    assert failed.status == RequestStatus.FAILED and "404" in failed.last_error
    assert kinds(db, case)[-1] == "registry.request_failed"


# --- the callback's door ------------------------------------------------------------------------------


def _completed_callback(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> dict[str, Any]:
    sale(db, case)
    sweep(harness, db)
    completes(harness, clock)
    [message] = [m for m in harness.messages() if m["type"] == "transfer.completed"]
    return message


def test_a_replayed_callback_is_taken_once_and_changes_nothing(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    message = _completed_callback(harness, case, db, clock)
    before = (kinds(db, case), messages_taken(db))
    response = harness.control.post(f"/messages/{message['message_id']}/redeliver")
    assert response.status_code == 202
    registry_sim.wait_for_deliveries()
    redelivered = next(m for m in harness.messages() if m["message_id"] == message["message_id"])
    assert redelivered["last_status"] == 200
    assert (kinds(db, case), messages_taken(db)) == before


def test_a_callback_with_a_bad_signature_is_refused_and_stores_nothing(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    transfer_id = sale(db, case)
    sweep(harness, db)
    harness.stage("bad_signature", count=10)  # the registry's own word is lost: only ours below arrives
    clock.advance(timedelta(hours=2))
    done = harness.control.get(f"/transfers/{request(db, transfer_id).registry_id}").json()
    registry_sim.wait_for_deliveries()
    body = json.dumps(
        {"type": "transfer.completed", "timestamp": clock.now().isoformat(), "data": done}
    ).encode()
    forged = sign("whsec_" + "QUJD" * 8, "msg_forged", int(clock.now().timestamp()), body)
    taken_before = messages_taken(db)
    response = httpx.post(f"{harness.base_url}{HOOK_PATH}", content=body, headers=forged)
    assert (response.status_code, response.json()["error"]) == (401, "InvalidSignature")
    assert messages_taken(db) == taken_before
    assert request(db, transfer_id).status == RequestStatus.SENT
    # The same body rightly signed is taken.
    right = sign(get_settings().registry_webhook_secret, "msg_right", int(clock.now().timestamp()), body)
    assert httpx.post(f"{harness.base_url}{HOOK_PATH}", content=body, headers=right).json() == {"taken": True}
    assert request(db, transfer_id).status == RequestStatus.DONE


def test_a_callback_about_nothing_of_ours_is_refused_and_stores_nothing(
    harness: Harness, case: CourtCase, db: Database, clock: MovableClock
) -> None:
    response = harness.post("/seizures", {**seizure_body(), "reference": "not-ours"}, "sz-x")
    assert response.status_code == 201
    [message] = harness.messages()
    assert message["last_status"] == 404
    assert messages_taken(db) == 0


def test_the_officer_sees_the_cases_requests_without_the_buyers_number(
    client: TestClient, db: Database, world: World
) -> None:
    case = court_case(db)
    sale(db, case)
    response = client.get(f"/api/cases/{case.case_id}/registry-requests", headers=login(client, "py.officer"))
    assert response.status_code == 200
    [shown] = response.json()
    assert (shown["kind"], shown["status"]) == ("transfer", "queued")
    assert "330302199001011235" not in response.text and "payload" not in shown
    other = client.get(f"/api/cases/{case.case_id}/registry-requests", headers=login(client, "lc.officer"))
    assert other.status_code == 404

"""The registry's client: what it asks over real HTTP, how it tries again, and how it checks each answer."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.outbound import MalformedResponse, OutboundError, RetryPolicy
from car_enforce.registry.client import (
    HandedOver,
    RegistryClient,
    SeizureStatus,
    TransferStatus,
    seizure_of,
    transfer_of,
    vehicle_file_of,
)
from tests.api_helpers import VIN
from tests.registry_helpers import OTHER_COURT, PLATE, Harness

NOTICE = "(2026)浙0326执1234号之二"

SEIZURE: dict[str, Any] = {
    "id": "sz_1",
    "status": "active",
    "plate": PLATE,
    "court": "平阳县人民法院",
    "document_number": NOTICE,
    "reference": "rr-1",
    "ahead": None,
    "effective_at": "2026-11-23T01:00:00+00:00",
    "ended_at": None,
}
TRANSFER: dict[str, Any] = {
    "id": "tf_1",
    "status": "processing",
    "plate": PLATE,
    "notice_number": "(2026)浙0326执1234号之四",
    "reference": "rr-2",
    "due_at": "2026-11-23T03:00:00+00:00",
    "refusals": [],
    "result": None,
    "ends_seizures": ["sz_1"],
}
RESULT: dict[str, Any] = {
    "owner": {"name": "张*丰", "id_number": "3303**********1235"},
    "certificate_number": "330000123456",
    "certificate_reissued": False,
    "previous_plate": PLATE,
    "plate": "浙CA1234",
    "plate_changed": True,
    "voided": [],
    "temporary_plate": None,
    "completed_at": "2026-11-23T03:00:00+00:00",
}


@pytest.fixture
def registry(harness: Harness) -> RegistryClient:
    harness.file()
    return harness.client()


def seize(registry: RegistryClient, key: str = "rr-1", **changes: Any) -> Any:
    args: dict[str, Any] = {
        "court": "平阳县人民法院",
        "case_number": "(2026)浙0326执1234号",
        "document_number": NOTICE,
        "plate": PLATE,
        "vin": VIN,
        "reference": key,
        **changes,
    }
    return registry.seize(key, **args)


def sell(registry: RegistryClient, key: str = "rr-2", ends: tuple[str, ...] = ()) -> Any:
    return registry.transfer(
        key,
        court="平阳县人民法院",
        ruling_number="(2026)浙0326执1234号之三",
        notice_number="(2026)浙0326执1234号之四",
        plate=PLATE,
        vin=VIN,
        buyer_name="张三丰",
        buyer_id_number="330302199001011235",
        handed_over=HandedOver(certificate=True, licence=False, plates=True),
        ends_seizures=ends,
        reference=key,
    )


# --- over HTTP ----------------------------------------------------------------------------------------


def test_a_seizure_is_registered_and_read_back(registry: RegistryClient) -> None:
    seizure = seize(registry)
    assert (seizure.status, seizure.document_number, seizure.reference) == (
        SeizureStatus.ACTIVE,
        NOTICE,
        "rr-1",
    )
    assert registry.get_seizure(seizure.id) == seizure
    assert registry.vehicle(PLATE).live_seizures() == [seizure.id]


def test_a_second_courts_seizure_queues_and_takes_effect_on_the_release(registry: RegistryClient) -> None:
    first = seize(registry)
    second = seize(registry, "rr-3", court=OTHER_COURT, document_number="(2026)浙0302执567号之二")
    assert (second.status, second.ahead) == (SeizureStatus.QUEUED, 1)
    released = registry.release("rr-4", first.id, court="平阳县人民法院", notice_number="解除通知书1号")
    assert released.status is SeizureStatus.RELEASED and released.ended_at is not None
    assert registry.get_seizure(second.id).status is SeizureStatus.ACTIVE


def test_a_transfer_is_processing_then_completed_with_its_result(
    registry: RegistryClient, clock: MovableClock
) -> None:
    seizure = seize(registry)
    transfer = sell(registry, ends=(seizure.id,))
    assert (transfer.status, transfer.result, transfer.ends_seizures) == (
        TransferStatus.PROCESSING,
        None,
        (seizure.id,),
    )
    clock.advance(timedelta(hours=2))
    done = registry.get_transfer(transfer.id)
    assert done.status is TransferStatus.COMPLETED and done.result is not None
    assert done.result.voided == ("licence",) and done.result.plate_changed
    assert done.result.owner_name == "张*丰" and done.result.completed_at == clock.now()


def test_a_refused_transfer_says_why(registry: RegistryClient) -> None:
    seize(registry)
    transfer = sell(registry)
    assert transfer.status is TransferStatus.REFUSED
    assert [r.code for r in transfer.refusals] == ["under_seizure"] and "查封" in transfer.refusals[0].zh


def test_a_registry_error_is_tried_again_and_acts_once(harness: Harness, registry: RegistryClient) -> None:
    harness.stage("error500", count=2)
    seizure = seize(registry)
    assert seizure.status is SeizureStatus.ACTIVE
    assert len(harness.vehicle()["seizures"]) == 1


def test_a_malformed_answer_is_tried_again_and_the_retry_gets_the_first_answer(
    harness: Harness, registry: RegistryClient
) -> None:
    harness.stage("malformed")  # the registry acts, then garbles its answer
    transfer = sell(registry)
    assert transfer.status is TransferStatus.PROCESSING
    assert [t for t in harness.messages() if t["type"].startswith("transfer")] == []
    again = sell(registry)  # the same key later (the next sweep): the same transfer, made once
    assert again.id == transfer.id


def test_a_slow_answer_times_out_and_the_retry_gets_the_first_answer(harness: Harness) -> None:
    harness.file()
    harness.stage("slow", delay_s=1.5)
    with harness.client(http_timeout_s=0.5) as registry:
        seizure = seize(registry)
    assert seizure.status is SeizureStatus.ACTIVE
    time.sleep(1.5)  # the slow first try ends too (on this test's database, not the next test's)
    assert len(harness.vehicle()["seizures"]) == 1


def test_an_answer_that_stays_malformed_is_a_temporary_error(
    harness: Harness, registry: RegistryClient
) -> None:
    harness.stage("malformed", count=5)
    with pytest.raises(OutboundError) as raised:
        seize(registry)
    assert not raised.value.permanent and "malformed" in raised.value.reason


def test_a_plate_without_a_file_is_a_permanent_error(registry: RegistryClient) -> None:
    with pytest.raises(OutboundError) as raised:
        seize(registry, plate="浙C54321")
    assert raised.value.permanent and raised.value.status == 404


def test_a_key_reused_for_another_notice_is_refused_for_good(registry: RegistryClient) -> None:
    seize(registry)
    with pytest.raises(OutboundError) as raised:
        seize(registry, document_number="(2026)浙0326执1234号之九")
    assert raised.value.permanent and raised.value.status == 409


def test_a_wrong_key_is_refused(harness: Harness) -> None:
    harness.file()
    with harness.client(registry_key="wrong") as registry, pytest.raises(OutboundError) as raised:
        seize(registry)
    assert raised.value.status == 401


def test_failures_past_the_last_try_are_a_temporary_error(harness: Harness) -> None:
    harness.file()
    harness.stage("error500", count=5)
    registry = harness.client(retry=RetryPolicy(attempts=2, base_delay_s=0.01, jitter=0))
    with registry, pytest.raises(OutboundError) as raised:
        seize(registry)
    assert not raised.value.permanent and raised.value.attempts == 2


# --- the answers' checks, without a server --------------------------------------------------------------


def test_a_well_formed_seizure_and_transfer_are_read() -> None:
    assert seizure_of(SEIZURE).status is SeizureStatus.ACTIVE
    done = transfer_of({**TRANSFER, "status": "completed", "result": RESULT})
    assert done.result is not None and done.result.plate == "浙CA1234"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "frozen"},
        {"id": ""},
        {"effective_at": None},  # in effect since when?
        {"effective_at": "2026-11-23T01:00:00"},  # no offset
        {"ahead": True},
        {"status": "released", "ended_at": None},
    ],
)
def test_a_seizure_answer_that_is_not_what_was_promised_is_malformed(change: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        seizure_of({**SEIZURE, **change})


@pytest.mark.parametrize(
    "change",
    [
        {"status": "refused"},  # refused without a reason
        {"refusals": [{"code": "stolen", "detail": "", "zh": "被盗抢", "rule": ""}]},  # reasons, not refused
        {"status": "completed"},  # completed without a result
        {"result": RESULT},  # a result, not completed
        {"status": "completed", "result": {**RESULT, "voided": ["keys"]}},
        {"status": "completed", "result": {**RESULT, "certificate_reissued": "no"}},
        {"ends_seizures": [1]},
        {"due_at": "tomorrow"},
    ],
)
def test_a_transfer_answer_that_is_not_what_was_promised_is_malformed(change: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        transfer_of({**TRANSFER, **change})


@pytest.mark.parametrize("value", [20270531, ["2027-05-31"], {"on": "2027-05-31"}, True, "2027-05-31T00:00"])
def test_a_date_in_an_answer_that_is_not_an_iso_date_string_is_malformed(value: Any) -> None:
    file = {"plate": PLATE, "vin": VIN, "violations": 0, "stolen": False, "inspection_valid_until": value}
    with pytest.raises(MalformedResponse, match="inspection_valid_until is not a date"):
        vehicle_file_of(file)
    temporary = {"number": "浙C0T123", "valid_until": value}
    done = {**TRANSFER, "status": "completed", "result": {**RESULT, "temporary_plate": temporary}}
    with pytest.raises(MalformedResponse, match="valid_until is not a date"):
        transfer_of(done)


def test_a_date_in_an_answer_may_be_null_or_absent() -> None:
    file = {"plate": PLATE, "vin": VIN, "violations": 0, "stolen": False, "inspection_valid_until": None}
    read = vehicle_file_of(file)
    assert read.inspection_valid_until is None and read.scrapping_on is None
    assert vehicle_file_of({**file, "scrapping_on": "2027-05-31"}).scrapping_on == date(2027, 5, 31)


def test_a_file_answer_whose_seizures_are_malformed_is_malformed() -> None:
    file = {
        "plate": PLATE,
        "vin": VIN,
        "violations": 0,
        "stolen": False,
        "seizures": [{**SEIZURE, "id": None}],
    }
    with pytest.raises(MalformedResponse):
        vehicle_file_of(file)
    assert vehicle_file_of({**file, "seizures": [SEIZURE]}).live_seizures() == ["sz_1"]

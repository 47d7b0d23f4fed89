"""The simulated registry over real HTTP: its rules (登记规定, 查封规定), its keys and its callbacks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.simulators import registry as registry_sim
from car_enforce.core.clock import SHANGHAI, MovableClock
from tests.api_helpers import VIN
from tests.live import serve
from tests.registry_helpers import (
    OTHER_COURT,
    PLATE,
    REGISTRY_KEY,
    Harness,
    seizure_body,
    settings,
    transfer_body,
)

OTHER_VIN = "LFV2A21K8G4012345"


def seize(harness: Harness, key: str, **changes: Any) -> dict[str, Any]:
    response = harness.post("/seizures", seizure_body(**changes), key)
    assert response.status_code in (200, 201), response.text
    document: dict[str, Any] = response.json()
    return document


def release(
    harness: Harness, seizure: dict[str, Any], key: str, court: str = "平阳县人民法院"
) -> httpx.Response:
    body = {"court": court, "notice_number": f"解除-{seizure['document_number']}"}
    return harness.post(f"/seizures/{seizure['id']}/release", body, key)


def transfer(harness: Harness, key: str = "tf-1", **changes: Any) -> dict[str, Any]:
    response = harness.post("/transfers", transfer_body(**changes), key)
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def refused_codes(document: dict[str, Any]) -> list[str]:
    assert document["status"] == "refused"
    return [r["code"] for r in document["refusals"]]


# --- seizures -----------------------------------------------------------------------------------------


def test_a_seizure_on_a_free_car_takes_effect_at_once(harness: Harness) -> None:
    harness.file()
    seizure = seize(harness, "sz-1")
    assert seizure["status"] == "active" and seizure["effective_at"] is not None
    assert harness.vehicle()["seizures"][0]["id"] == seizure["id"]


def test_seizures_of_other_courts_queue_and_take_effect_in_order_as_each_is_released(
    harness: Harness,
) -> None:
    harness.file()
    first = seize(harness, "sz-1")
    second = seize(harness, "sz-2", court=OTHER_COURT, document_number="(2026)浙0302执567号之二")
    third = seize(harness, "sz-3", court="温州市龙湾区人民法院", document_number="(2026)浙0303执8号之二")
    assert (second["status"], second["ahead"]) == ("queued", 1)
    assert (third["status"], third["ahead"]) == ("queued", 2)

    assert release(harness, first, "rl-1").json()["status"] == "released"
    statuses = {s["id"]: s["status"] for s in harness.vehicle()["seizures"]}
    assert statuses == {first["id"]: "released", second["id"]: "active", third["id"]: "queued"}

    assert release(harness, second, "rl-2", court=OTHER_COURT).status_code == 200
    statuses = {s["id"]: s["status"] for s in harness.vehicle()["seizures"]}
    assert statuses[third["id"]] == "active"
    effective = [m["body"]["data"]["id"] for m in harness.messages() if m["type"] == "seizure.effective"]
    assert effective == [first["id"], second["id"], third["id"]]


def test_releasing_a_queued_seizure_leaves_the_one_in_effect_alone(harness: Harness) -> None:
    harness.file()
    first = seize(harness, "sz-1")
    second = seize(harness, "sz-2", court=OTHER_COURT, document_number="(2026)浙0302执567号之二")
    assert release(harness, second, "rl-2", court=OTHER_COURT).json()["status"] == "released"
    assert {s["id"]: s["status"] for s in harness.vehicle()["seizures"]} == {
        first["id"]: "active",
        second["id"]: "released",
    }


def test_only_the_seizing_court_releases_and_a_released_seizure_stays_released(harness: Harness) -> None:
    harness.file()
    first = seize(harness, "sz-1")
    assert release(harness, first, "rl-x", court=OTHER_COURT).status_code == 409
    assert release(harness, first, "rl-1").status_code == 200
    again = harness.post(
        f"/seizures/{first['id']}/release", {"court": "平阳县人民法院", "notice_number": "另一"}, "k"
    )
    assert again.status_code == 409


def test_the_same_notice_under_another_key_is_registered_once(harness: Harness) -> None:
    harness.file()
    first = seize(harness, "sz-1")
    assert seize(harness, "sz-1-again")["id"] == first["id"]
    assert len(harness.vehicle()["seizures"]) == 1


def test_a_seizure_of_a_plate_without_a_file_or_of_another_vin_is_refused(harness: Harness) -> None:
    assert harness.post("/seizures", seizure_body(), "sz-1").status_code == 404
    harness.file()
    response = harness.post("/seizures", seizure_body(vin=OTHER_VIN), "sz-2")
    assert (response.status_code, response.json()["error"]) == (409, "VinMismatch")


# --- transfers: refusals ------------------------------------------------------------------------------


def test_a_car_still_under_a_seizure_the_notice_does_not_end_is_refused(harness: Harness) -> None:
    harness.file()
    seize(harness, "sz-1")
    document = transfer(harness)
    assert refused_codes(document) == ["under_seizure"]
    assert "第二十九条" in document["refusals"][0]["zh"]


def test_a_queued_seizure_of_another_court_the_notice_does_not_end_refuses_it_too(harness: Harness) -> None:
    harness.file()
    own = seize(harness, "sz-1")
    seize(harness, "sz-2", court=OTHER_COURT, document_number="(2026)浙0302执567号之二")
    assert refused_codes(transfer(harness, ends_seizures=[own["id"]])) == ["under_seizure"]


def test_uncleared_violations_refuse_it_until_cleared(harness: Harness) -> None:
    harness.file(violations=2)
    document = transfer(harness, "tf-1")
    assert refused_codes(document) == ["uncleared_violations"]
    assert "2起" in document["refusals"][0]["zh"]
    assert harness.control.post(f"/control/files/{VIN}/clear-violations").json()["violations"] == 0
    assert transfer(harness, "tf-2")["status"] == "processing"


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"inspection_valid_until": "2026-11-22"}, "inspection_overdue"),
        ({"scrapping_on": "2027-06-01"}, "scrapping_within_year"),
        ({"scrapping_on": "2026-11-01"}, "scrapping_reached"),
        ({"stolen": True}, "stolen"),
    ],
)
def test_each_fact_of_the_file_refuses_it_with_its_reason(
    harness: Harness, facts: dict[str, Any], code: str
) -> None:
    harness.file(**facts)
    document = transfer(harness)
    assert refused_codes(document) == [code]
    assert document["refusals"][0]["zh"] and document["refusals"][0]["rule"].startswith("登记规定")
    assert [m["type"] for m in harness.messages()] == ["transfer.refused"]


def test_a_vin_other_than_the_files_is_refused(harness: Harness) -> None:
    harness.file()
    assert refused_codes(transfer(harness, vin=OTHER_VIN)) == ["vin_mismatch"]


def test_the_setting_lets_a_court_sale_through_uncleared_violations(harness: Harness) -> None:
    harness.file(violations=1)
    response = harness.post("/transfers", transfer_body(), "tf-1")
    assert response.json()["status"] == "refused"
    # The simulator reads the platform's settings: a server of its own with the setting on.
    app = FastAPI()
    registry_sim.mount(app, settings=settings(registry_court_sale_exempts_violations=True))
    with serve(app) as base_url:
        exempt = httpx.post(
            f"{base_url}{registry_sim.PREFIX}/transfers",
            json=transfer_body(),
            headers={"Authorization": f"Bearer {REGISTRY_KEY}", "Idempotency-Key": "tf-2"},
        )
    assert exempt.json()["status"] == "processing"


def test_a_seizure_registered_while_the_transfer_is_processed_refuses_it_when_due(
    harness: Harness, clock: MovableClock
) -> None:
    harness.file()
    document = transfer(harness)
    assert document["status"] == "processing"
    seize(harness, "sz-late", court=OTHER_COURT, document_number="(2026)浙0302执9号之二")
    clock.advance(timedelta(hours=3))
    later = harness.control.get(f"/transfers/{document['id']}").json()
    assert refused_codes(later) == ["under_seizure"]


# --- transfers: done ----------------------------------------------------------------------------------


def test_a_transfer_ends_the_seizures_it_names_and_gives_the_car_to_the_buyer(
    harness: Harness, clock: MovableClock
) -> None:
    before = harness.file()
    own = seize(harness, "sz-1")
    other = seize(harness, "sz-2", court=OTHER_COURT, document_number="(2026)浙0302执567号之二")
    document = transfer(harness, ends_seizures=[own["id"], other["id"]])
    assert document["status"] == "processing"
    assert document["buyer"] == {"name": "张*丰", "id_number": "3303**********1235"}  # never the number

    clock.advance(timedelta(hours=2))
    done = harness.control.get(f"/transfers/{document['id']}").json()
    assert done["status"] == "completed"
    result = done["result"]
    assert result["owner"] == {"name": "张*丰", "id_number": "3303**********1235"}
    assert result["plate_changed"] and result["plate"] != PLATE and result["previous_plate"] == PLATE
    assert (result["certificate_number"], result["certificate_reissued"], result["voided"]) == (
        before["certificate_number"],
        False,
        [],
    )
    file = harness.vehicle(result["plate"])
    assert file["owner"]["name"] == "张*丰"
    assert {s["status"] for s in file["seizures"]} == {"lapsed"}
    types = [m["type"] for m in harness.messages()]
    assert types.count("seizure.lapsed") == 2 and types[-1] == "transfer.completed"
    assert harness.control.get("/vehicles", params={"plate": PLATE}).status_code == 404  # the old plate


def test_papers_and_plates_not_handed_over_are_voided_and_issued_anew(
    harness: Harness, clock: MovableClock
) -> None:
    before = harness.file()
    document = transfer(harness, handed_over={"certificate": False, "licence": False, "plates": False})
    assert document["status"] == "processing"  # not handed over is no reason to refuse (Art. 30)
    clock.advance(timedelta(hours=2))
    result = harness.control.get(f"/transfers/{document['id']}").json()["result"]
    assert result["voided"] == ["certificate", "licence", "plates"]
    assert result["certificate_reissued"] and result["certificate_number"] != before["certificate_number"]
    assert result["plate_changed"]


def test_a_transfer_is_not_done_before_its_time_and_done_once_the_clock_passes_it(
    harness: Harness, clock: MovableClock
) -> None:
    harness.file()
    document = transfer(harness)
    accepted = datetime.fromisoformat(document["accepted_at"])
    assert datetime.fromisoformat(document["due_at"]) - accepted == timedelta(hours=2)
    clock.advance(timedelta(hours=1, minutes=59))
    assert harness.control.get(f"/transfers/{document['id']}").json()["status"] == "processing"
    clock.advance(timedelta(minutes=1))
    assert harness.control.post("/control/process-due").json() == {"settled": 1}
    assert harness.control.get(f"/transfers/{document['id']}").json()["status"] == "completed"


def test_a_transfer_asked_on_friday_evening_is_done_on_the_next_working_day(
    harness: Harness, clock: MovableClock
) -> None:
    harness.file()
    clock.set(datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI))  # Friday, half an hour before midnight
    document = transfer(harness)
    due = datetime.fromisoformat(document["due_at"]).astimezone(SHANGHAI)
    assert due == datetime(2026, 11, 30, 1, 30, tzinfo=SHANGHAI)  # Monday: the weekend does not count
    clock.set(datetime(2026, 11, 29, 23, 0, tzinfo=SHANGHAI))  # Sunday night: still processing
    assert harness.control.get(f"/transfers/{document['id']}").json()["status"] == "processing"
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    assert harness.control.get(f"/transfers/{document['id']}").json()["status"] == "completed"


def test_a_buyer_elsewhere_gets_a_thirty_day_temporary_plate(harness: Harness, clock: MovableClock) -> None:
    harness.file()
    document = transfer(harness, out_of_area=True)
    clock.advance(timedelta(hours=2))
    result = harness.control.get(f"/transfers/{document['id']}").json()["result"]
    assert result["temporary_plate"]["valid_until"] == "2026-12-23"
    assert result["plate"] == PLATE and not result["plate_changed"]


# --- the protocol -------------------------------------------------------------------------------------


def test_the_same_key_and_body_get_the_first_answer_and_act_once(harness: Harness) -> None:
    harness.file()
    first = harness.post("/transfers", transfer_body(), "tf-1")
    again = harness.post("/transfers", transfer_body(), "tf-1")
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert harness.control.get(f"/transfers/{first.json()['id']}").status_code == 200


def test_the_same_key_with_another_body_is_a_conflict(harness: Harness) -> None:
    harness.file()
    harness.post("/transfers", transfer_body(), "tf-1")
    response = harness.post("/transfers", transfer_body(out_of_area=True), "tf-1")
    assert response.status_code == 409 and "Idempotency-Key" in response.json()["detail"]


def test_a_post_without_a_key_or_with_a_wrong_key_is_refused(harness: Harness) -> None:
    harness.file()
    assert harness.control.post("/transfers", json=transfer_body()).status_code == 422
    wrong = httpx.post(
        f"{harness.base_url}/sim/registry/transfers",
        json=transfer_body(),
        headers={"Authorization": "Bearer nope", "Idempotency-Key": "k"},
    )
    assert wrong.status_code == 401


def test_a_malformed_request_is_refused_without_echoing_the_buyers_number(harness: Harness) -> None:
    body = transfer_body(buyer={"name": "张三丰", "id_number": "33030219900101123?"})
    response = harness.post("/transfers", body, "tf-1")
    assert response.status_code == 422 and "33030219900101123" not in response.text


def test_a_staged_failure_fails_the_next_request_only(harness: Harness) -> None:
    harness.file()
    harness.stage("error500")
    assert harness.control.get("/vehicles", params={"plate": PLATE}).status_code == 500
    assert harness.control.get("/vehicles", params={"plate": PLATE}).status_code == 200


def test_callbacks_are_signed_and_a_bad_signature_is_staged_on_the_next_one(harness: Harness) -> None:
    harness.file()
    harness.stage("bad_signature")
    seize(harness, "sz-1")
    [message] = harness.messages()
    assert (message["type"], message["signed_rightly"], message["last_status"]) == (
        "seizure.effective",
        False,
        401,
    )

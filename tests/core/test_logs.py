"""Structured logs: one JSON object a line, and never a debtor's name, ID number or phone, in a message, a
field, a nested document, an exception or a request's path and query."""

from __future__ import annotations

import io
import json
import logging
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from car_enforce.core import logs

NAME = "林某某"
ID_NUMBER = "330326198808080019"
ID_NUMBER_X = "33032619880808001X"
PHONE = "13900000002"
PERSONAL = (NAME, ID_NUMBER, ID_NUMBER_X, PHONE, "139 0000 0002", "139-0000-0002")


def never_personal(text: str) -> None:
    for value in PERSONAL:
        assert value not in text
        assert quote(value) not in text and quote(value).lower() not in text


@pytest.fixture
def captured(restored_logging: None) -> io.StringIO:
    """The process's logs, configured as ``carenforce serve`` does, written to a buffer."""
    buffer = io.StringIO()
    logs.configure("json", level="DEBUG", stream=buffer)
    return buffer


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    text = buffer.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]  # one object a line, each parses


def test_each_record_is_one_json_object_on_one_line(captured: io.StringIO) -> None:
    log = logging.getLogger("carenforce.test")
    log.info("a message\nover two lines\u2028and a separator", extra={"case_id": 12, "ok": True})
    log.warning("plain")
    first, second = lines(captured)
    assert set(first) >= {"time", "level", "logger", "message"}
    assert first["time"].endswith("Z") and first["level"] == "INFO" and first["logger"] == "carenforce.test"
    assert first["message"] == "a message\nover two lines\u2028and a separator"
    assert (first["case_id"], first["ok"]) == (12, True)  # numbers stay numbers
    assert second["level"] == "WARNING" and "case_id" not in second


def test_personal_numbers_are_masked_in_messages_fields_and_exceptions(captured: io.StringIO) -> None:
    log = logging.getLogger("carenforce.test")
    log.info("debtor %s, phone %s, again %s", ID_NUMBER, PHONE, "+86 139-0000-0002")
    log.info(
        "a field", extra={"note": f"called {PHONE} about {ID_NUMBER_X}", "mobile_as_number": 13900000002}
    )
    try:
        raise ValueError(f"no party with ID number {ID_NUMBER} (phone 139 0000 0002)")
    except ValueError:
        log.exception("lookup failed")
    text = captured.getvalue()
    never_personal(text)
    said, field, failed = lines(captured)
    assert said["message"] == "debtor 3303**********0019, phone 139****0002, again +86 139-****-0002"
    assert field["note"] == "called 139****0002 about 3303**********001X"
    assert field["mobile_as_number"] == "139****0002"
    assert "ValueError: no party with ID number 3303**********0019" in failed["exception"]


def test_fields_known_to_hold_a_person_are_masked_by_their_key(captured: io.StringIO) -> None:
    debtor = {"kind": "person", "name": NAME, "id_number": "33032619880808", "phone": "1390000"}
    logging.getLogger("carenforce.test").info(
        "a case opened",
        extra={
            "debtor_name": NAME,
            "recipient_name": "欧阳娜娜",
            "parties": [debtor],
            "court_name": "平阳县人民法院",
            "case_number": "(2026)浙0326执1234号",
        },
    )
    (entry,) = lines(captured)
    never_personal(captured.getvalue())
    assert entry["debtor_name"] == "林*某" and entry["recipient_name"] == "欧**娜"
    # Keys say what a value is even where its shape does not (a short or partial number).
    assert entry["parties"] == [
        {"kind": "person", "name": "林*某", "id_number": "3303******0808", "phone": "*****00"}
    ]
    assert entry["case_number"] == "(2026)浙0326执1234号"  # not a person's


def test_an_access_line_shows_the_request_decoded_and_scrubbed(captured: io.StringIO) -> None:
    query = urlencode({"debtor": NAME, "q": NAME, "id": ID_NUMBER, "tel": "+86 139 0000 0002", "limit": 5})
    target = f"/api/cases/{quote(NAME)}/{ID_NUMBER}?{query}"
    # As uvicorn writes it: client, method, %-encoded path with query, HTTP version, status.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.7:50312", "GET", target, "1.1", 404
    )
    (entry,) = lines(captured)
    never_personal(captured.getvalue())
    assert entry[
        "path"
    ] == "/api/cases/林*某/3303**********0019?debtor=林*某&q=林*某&id=3303**********0019" + (
        "&tel=+86 139 **** 0002&limit=5"
    )
    assert (entry["method"], entry["status"], entry["client"]) == ("GET", 404, "10.0.0.7:50312")
    assert entry["message"] == f"GET {entry['path']} HTTP/1.1 404"


def test_bound_fields_mark_every_record_inside_their_block(captured: io.StringIO) -> None:
    log = logging.getLogger("carenforce.test")
    with logs.bound(request_id="r-1", route="/api/cases/{case_id}") as fields:
        log.info("inside")
        fields["status"] = 200  # set later, as a response starts: the next records carry it
        log.info("after the answer")
    log.info("outside")
    inside, answered, outside = lines(captured)
    assert (inside["request_id"], inside["route"]) == ("r-1", "/api/cases/{case_id}")
    assert "status" not in inside and answered["status"] == 200
    assert "request_id" not in outside


def test_chinese_words_in_free_text_are_masked_as_names(captured: io.StringIO) -> None:
    log = logging.getLogger("carenforce.test")
    log.info("no such party: %s", NAME)
    log.info("text queued: %s", "依法扣押被执行人林某某名下的小型轿车，浙C12345")
    log.info("minority name %s", "买买提·吐尔逊")
    never_personal(captured.getvalue())
    party, text, minority = (entry["message"] for entry in lines(captured))
    assert party == "no such party: 林*某"
    # A name inside a sentence cannot be told from its words: the sentence goes; a plate keeps its province.
    assert text == "text queued: 依****************车，浙C12345"
    assert minority == "minority name 买**·**逊"


def test_numbers_that_are_not_personal_are_left_alone() -> None:
    text = "notification 12 sent after 3 attempt(s) at 1764470400000; batch 4f9c…; ids 1234567890123456789"
    assert logs.scrub_text(text) == text
    assert logs.scrub_value("alert_id", 42) == 42 and logs.scrub_value("seconds", 0.25) == 0.25


def test_the_text_format_is_scrubbed_the_same_way(restored_logging: None) -> None:
    buffer = io.StringIO()
    logs.configure("text", stream=buffer)
    logging.getLogger("carenforce.test").info("phone %s", PHONE, extra={"debtor_name": NAME})
    line = buffer.getvalue()
    never_personal(line)
    assert line == 'INFO      carenforce.test: phone 139****0002 debtor_name="林*某"\n'


def test_configure_installs_one_handler_and_routes_uvicorns_loggers_through_it(
    restored_logging: None,
) -> None:
    root = logging.getLogger()
    logging.getLogger("uvicorn.access").propagate = False  # as uvicorn's own configuration leaves it
    first = logs.configure("json", stream=io.StringIO())
    second = logs.configure("json", stream=io.StringIO())
    assert second in root.handlers and first not in root.handlers
    assert [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME] == [second]
    assert logging.getLogger("uvicorn.access").propagate is True
    assert logging.getLogger("httpx").level == logging.WARNING

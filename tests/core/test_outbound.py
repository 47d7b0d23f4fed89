"""The outbound client against a scripted service on loopback: keys, retries, Retry-After, checks."""

from __future__ import annotations

import asyncio
import email.utils
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.responses import Response

from car_enforce.core.clock import MovableClock
from car_enforce.core.outbound import (
    HmacRequestSigner,
    InvalidSignature,
    MalformedResponse,
    OutboundClient,
    OutboundError,
    RetryPolicy,
    Service,
    answers,
    json_object,
    parse_retry_after,
)
from tests import live

RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=5.0, jitter=0.1)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"id": "r-1"})  # JSON, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    target: str  # path and query as on the request line
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]]  # every header line, repeats kept


@dataclass
class Scripted:
    """A service that answers each request with the next reply (the last one repeats) and keeps what came."""

    base_url: str = ""
    replies: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    @property
    def keys(self) -> list[str | None]:
        return [s.headers.get("idempotency-key") for s in self.seen]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST"])
        async def anything(request: Request) -> Response:
            query = request.scope["query_string"].decode()
            target = request.scope["raw_path"].decode() + (f"?{query}" if query else "")
            body = await request.body()
            pairs = list(request.headers.items())
            self.seen.append(Seen(request.method, target, dict(request.headers), body, pairs))
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
            if isinstance(reply.body, bytes):
                return Response(reply.body, status_code=reply.status, headers=reply.headers)
            return Response(
                json.dumps(reply.body).encode(),
                status_code=reply.status,
                headers=reply.headers,
                media_type="application/json",
            )

        return app


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    service = Scripted()
    with live.serve(service.app(), shutdown_timeout_s=4.0) as base_url:
        service.base_url = base_url
        yield service


@dataclass
class Harness:
    client: OutboundClient
    waits: list[float]


def make_client(base_url: str, **overrides: Any) -> Harness:
    values: dict[str, Any] = {
        "name": "registry",
        "base_url": base_url,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 0.3,
        "retry": RETRY,
        "headers": {"X-Api-Key": "registry-key"},
    }
    values.update(overrides)
    waits: list[float] = []
    # The waits are recorded, not slept: what is tested is how long the client would wait.
    return Harness(OutboundClient(Service(**values), sleep=waits.append), waits)


def answer_id(response: httpx.Response) -> str:
    return str(json_object(response)["id"])


# --- success and the Idempotency-Key ------------------------------------------------------------------


def test_a_post_carries_its_key_and_returns_what_the_check_makes_of_the_answer(scripted: Scripted) -> None:
    scripted.script(Reply(201, {"id": "seizure-7"}))
    h = make_client(scripted.base_url)

    result = h.client.post(
        "/seizures", json={"plate": "浙C12345"}, idempotency_key="seizure:case-1", check=answer_id
    )

    assert result == "seizure-7"
    [seen] = scripted.seen
    assert (seen.method, seen.target) == ("POST", "/seizures")
    assert seen.body == '{"plate":"浙C12345"}'.encode()  # compact, UTF-8, exactly what would be signed
    assert seen.headers["idempotency-key"] == "seizure:case-1"
    assert seen.headers["x-api-key"] == "registry-key"
    assert seen.headers["content-type"] == "application/json"


def test_a_callers_header_replaces_a_default_whatever_its_case(scripted: Scripted) -> None:
    scripted.script(Reply(200))
    h = make_client(scripted.base_url)

    h.client.post(
        "/seizures",
        json={},
        idempotency_key="k-0",
        headers={"content-type": "application/merge-patch+json", "x-api-key": "other-key"},
    )

    [seen] = scripted.seen
    named = [(k, v) for k, v in seen.header_list if k in ("content-type", "x-api-key")]
    assert sorted(named) == [("content-type", "application/merge-patch+json"), ("x-api-key", "other-key")]


def test_a_post_without_a_key_is_refused_before_anything_is_sent(scripted: Scripted) -> None:
    h = make_client(scripted.base_url)

    with pytest.raises(ValueError, match="Idempotency-Key"):
        h.client.post("/seizures", json={}, idempotency_key="")

    assert scripted.seen == []


def test_a_get_sends_its_query_and_no_key(scripted: Scripted) -> None:
    scripted.script(Reply(200, {"id": "v-1"}))
    h = make_client(scripted.base_url)

    assert h.client.get("/vehicles", params={"plate": "浙C12345"}, check=answer_id) == "v-1"
    [seen] = scripted.seen
    assert seen.method == "GET" and seen.target.startswith("/vehicles?plate=")
    assert "idempotency-key" not in seen.headers


# --- retryable failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_a_retryable_status_is_tried_again_with_the_same_key(scripted: Scripted, status: int) -> None:
    scripted.script(Reply(status, {"error": "Busy"}), Reply(200, {"id": "r-2"}))
    h = make_client(scripted.base_url)

    result = h.client.post("/seizures", json={"n": 1}, idempotency_key="k-1", check=answer_id)

    assert result == "r-2"
    assert scripted.keys == ["k-1", "k-1"]
    assert len(h.waits) == 1


def test_the_waits_double_with_jitter_and_the_last_failure_is_raised(scripted: Scripted) -> None:
    scripted.script(Reply(503, {"error": "Down"}))
    h = make_client(scripted.base_url)

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-2")

    error = caught.value
    assert (error.reason, error.status, error.permanent, error.attempts) == ("HTTP 503 Down", 503, False, 3)
    assert str(error) == "registry: HTTP 503 Down"
    assert scripted.keys == ["k-2"] * 3
    assert 0.01 <= h.waits[0] <= 0.011 and 0.02 <= h.waits[1] <= 0.022


def test_retry_after_in_seconds_is_honoured(scripted: Scripted) -> None:
    scripted.script(Reply(429, {"error": "TooMany"}, headers={"Retry-After": "2"}), Reply(200))
    h = make_client(scripted.base_url)

    h.client.post("/seizures", json={}, idempotency_key="k-3")

    assert h.waits == [2.0]
    assert scripted.keys == ["k-3", "k-3"]


def test_retry_after_as_an_http_date_is_honoured(scripted: Scripted) -> None:
    later = email.utils.formatdate(time.time() + 3, usegmt=True)
    scripted.script(Reply(503, {}, headers={"Retry-After": later}), Reply(200))
    h = make_client(scripted.base_url)

    h.client.post("/seizures", json={}, idempotency_key="k-4")

    [wait] = h.waits
    assert 1.5 <= wait <= 3.0  # the date has whole seconds, and a moment passed since it was written


def test_a_retry_after_longer_than_a_call_may_wait_is_left_to_the_caller(scripted: Scripted) -> None:
    scripted.script(Reply(503, {}, headers={"Retry-After": "120"}), Reply(200))
    h = make_client(scripted.base_url)

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-5")

    assert (caught.value.permanent, caught.value.retry_after_s, caught.value.attempts) == (False, 120.0, 1)
    assert len(scripted.seen) == 1 and h.waits == []


def test_a_timeout_is_retried_with_the_same_key(scripted: Scripted) -> None:
    # The first answer comes after the read timeout: to the client that try failed, though the service may
    # have acted on it; the second try carries the same key, so the service can answer it from the first.
    scripted.script(Reply(201, {"id": "late"}, delay_s=0.8), Reply(200, {"id": "late"}))
    h = make_client(scripted.base_url)

    assert h.client.post("/seizures", json={}, idempotency_key="k-6", check=answer_id) == "late"
    assert scripted.keys == ["k-6", "k-6"]


def test_timeouts_on_every_try_fail_as_retryable(scripted: Scripted) -> None:
    scripted.script(Reply(200, delay_s=0.6))
    h = make_client(scripted.base_url, retry=RetryPolicy(attempts=2, base_delay_s=0.01))

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-7")

    assert (caught.value.reason, caught.value.permanent, caught.value.attempts) == (
        "timeout (ReadTimeout)",
        False,
        2,
    )


def test_a_refused_connection_is_retried_then_fails_as_retryable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and that nothing listens on
        sock.bind((live.HOST, 0))
        port = sock.getsockname()[1]
    h = make_client(f"http://{live.HOST}:{port}")

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-8")

    assert (caught.value.reason, caught.value.permanent) == ("network error (ConnectError)", False)
    assert caught.value.attempts == 3 and len(h.waits) == 2


# --- permanent failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422])
def test_another_client_error_is_permanent_and_tried_once(scripted: Scripted, status: int) -> None:
    # The detail may echo what was sent (a phone number); only the error's name is kept.
    scripted.script(Reply(status, {"error": "Refused", "detail": "13912345678 is wrong"}))
    h = make_client(scripted.base_url)

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-9")

    assert (caught.value.reason, caught.value.permanent) == (f"HTTP {status} Refused", True)
    assert len(scripted.seen) == 1 and h.waits == []


def test_a_redirect_is_not_followed(scripted: Scripted) -> None:
    scripted.script(Reply(307, b"", headers={"Location": "/elsewhere"}))
    h = make_client(scripted.base_url)

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-10")

    assert (caught.value.reason, caught.value.permanent) == ("HTTP 307", True)
    assert [s.target for s in scripted.seen] == ["/seizures"]


@pytest.mark.parametrize("url", ["ftp://registry.example/x", "registry.example/x", "http://[::1"])
def test_a_url_that_cannot_be_called_is_permanent(url: str) -> None:
    h = make_client("")

    with pytest.raises(OutboundError) as caught:
        h.client.post(url, json={}, idempotency_key="k-11")

    assert (caught.value.reason, caught.value.permanent) == ("invalid URL", True)


# --- answers that are not what the service promises --------------------------------------------------


def test_a_malformed_200_is_an_error_and_tried_again(scripted: Scripted) -> None:
    scripted.script(Reply(200, b"<html>gateway login</html>"), Reply(200, {"id": "r-3"}))
    h = make_client(scripted.base_url)

    assert h.client.post("/seizures", json={}, idempotency_key="k-12", check=answer_id) == "r-3"
    assert scripted.keys == ["k-12", "k-12"]


def test_a_200_without_what_was_promised_fails_when_the_tries_run_out(scripted: Scripted) -> None:
    scripted.script(Reply(200, {"status": "ok"}))
    h = make_client(scripted.base_url)

    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-13", check=answer_id)

    assert (caught.value.reason, caught.value.status) == ("malformed answer (KeyError)", 200)
    assert (caught.value.permanent, caught.value.attempts) == (False, 3)


def test_a_check_may_call_a_malformed_answer_permanent(scripted: Scripted) -> None:
    scripted.script(Reply(200, []))

    def refuse(response: httpx.Response) -> None:
        raise MalformedResponse("the registry answered for another plate", permanent=True)

    h = make_client(scripted.base_url)
    with pytest.raises(OutboundError) as caught:
        h.client.post("/seizures", json={}, idempotency_key="k-14", check=refuse)

    assert caught.value.reason == "malformed answer: the registry answered for another plate"
    assert caught.value.permanent and len(scripted.seen) == 1


def test_json_object_refuses_a_list(scripted: Scripted) -> None:
    scripted.script(Reply(200, [1, 2]))
    h = make_client(scripted.base_url, retry=RetryPolicy(attempts=1))

    with pytest.raises(OutboundError, match="JSON list, not an object"):
        h.client.get("/vehicles", check=json_object)


# --- signed requests ---------------------------------------------------------------------------------

KEY = b"registry-shared-key-0123456789abcdef"


def test_a_text_field_may_be_bounded_by_what_the_caller_stores() -> None:
    assert answers.text({"id": "x" * 80}, "id", longest=80) == "x" * 80
    with pytest.raises(MalformedResponse, match="id is longer than 80 characters"):
        answers.text({"id": "x" * 81}, "id", longest=80)
    with pytest.raises(MalformedResponse, match="id is not a non-empty string"):
        answers.text({"id": ""}, "id", longest=80)


def test_a_signed_request_verifies_and_each_try_is_signed_afresh(scripted: Scripted) -> None:
    scripted.script(Reply(503, {}, headers={"Retry-After": "2"}), Reply(200))
    clock = MovableClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    signer = HmacRequestSigner(KEY)
    client = OutboundClient(
        Service(name="registry", base_url=scripted.base_url, retry=RETRY, signer=signer),
        clock=clock,
        sleep=lambda s: clock.advance(timedelta(seconds=s)),
    )

    client.post("/seizures?court=0326", json={"plate": "浙C12345"}, idempotency_key="k-15")

    stamps = [int(s.headers["x-carenforce-timestamp"]) for s in scripted.seen]
    assert stamps[1] - stamps[0] == 2
    for seen, stamp in zip(scripted.seen, stamps, strict=True):
        signer.verify(method="POST", target=seen.target, body=seen.body, headers=seen.headers, now=stamp)


def test_a_signed_request_refuses_tampering_another_key_and_a_replay(scripted: Scripted) -> None:
    scripted.script(Reply(200))
    signer = HmacRequestSigner(KEY)
    client = OutboundClient(Service(name="registry", base_url=scripted.base_url, signer=signer))
    client.post("/seizures", json={"plate": "浙C12345"}, idempotency_key="k-16")
    [seen] = scripted.seen
    stamp = int(seen.headers["x-carenforce-timestamp"])

    def check(
        *, target: str = seen.target, body: bytes = seen.body, key: bytes = KEY, now: int = stamp
    ) -> None:
        HmacRequestSigner(key).verify(method="POST", target=target, body=body, headers=seen.headers, now=now)

    check()
    for tampered in ({"body": seen.body + b" "}, {"target": "/releases"}, {"key": b"another-key"}):
        with pytest.raises(InvalidSignature, match="does not match"):
            check(**tampered)
    with pytest.raises(InvalidSignature, match="replay"):
        check(now=stamp + 301)
    with pytest.raises(InvalidSignature, match="malformed"):
        signer.verify(method="POST", target=seen.target, body=seen.body, headers={}, now=stamp)


# --- pure rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), ("0", 0.0), (None, None), ("", None), ("soon", None), ("-5", None), ("١٢", None)],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_a_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_the_delay_doubles_up_to_its_cap_even_after_very_many_failures() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=30.0, jitter=0.0)

    assert [policy.delay(n) for n in (1, 2, 3, 5, 6, 10_000)] == [1.0, 2.0, 4.0, 16.0, 30.0, 30.0]


def test_the_longest_call_counts_every_try_and_wait() -> None:
    service = Service(
        name="x", connect_timeout_s=2, read_timeout_s=8, retry=RetryPolicy(attempts=3, max_delay_s=5)
    )

    assert service.longest_call_s == 3 * 10 + 2 * 5

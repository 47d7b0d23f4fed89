"""The notification outbox: enqueue once, deliver once over real HTTP, retry with backoff, sign webhooks."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.middleware.base import RequestResponseEndpoint
from starlette.responses import Response

import api.simulators.models  # noqa: F401  (registers the simulator tables for the fixtures)
from api.simulators import sms as sms_simulator
from api.simulators.models import SimFailureMode
from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput
from car_enforce.core.identity.models import Organisation, OrgKind
from car_enforce.core.identity.principal import Principal
from car_enforce.core.notify import service
from car_enforce.core.notify.delivery import DeliveryReport, backoff, deliver_due
from car_enforce.core.notify.models import Channel, DeliveryStatus, Notification, WebhookSubscription
from car_enforce.core.outbound import InvalidSignature
from car_enforce.core.outbound.standard_webhooks import (
    is_legacy_secret,
    new_secret,
    sign,
    signing_key,
    verify,
)
from car_enforce.core.settings import Settings, get_settings
from car_enforce.core.timeline import service as timeline
from car_enforce.core.timeline.models import TimelineEvent
from tests import live

GATEWAY_KEY = "test-gateway-key"
PHONE = "13912345678"
SYSTEM = Principal.system("test")


# --- factories ----------------------------------------------------------------------------------------


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sms_gateway_key": GATEWAY_KEY,
        "notification_backoff_s": 15.0,
        "notification_max_attempts": 8,
        "http_timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def queue_sms(db: Database, *, key: str, to: str = PHONE, body: str = "您的案件有新进展") -> int:
    with db.unit_of_work() as session:
        notification = service.enqueue_sms(session, event=None, to=to, body=body, dedupe_key=key)
        assert notification is not None
        session.flush()
        return notification.id


def get_notification(db: Database, notification_id: int) -> Notification:
    with db.unit_of_work(read_only=True) as session:
        found = session.get(Notification, notification_id)
        assert found is not None
        session.expunge(found)  # keeps its loaded values: the read-only session ends in a rollback
        return found


def make_court(db: Database, name: str = "平阳县人民法院", code: str = "浙0326") -> int:
    with db.unit_of_work() as session:
        org = Organisation(kind=OrgKind.COURT, name=name, code=code)
        session.add(org)
        session.flush()
        return org.id


def record_event(db: Database, *, kind: str = "watch.issued", org_ids: list[int]) -> tuple[int, list[int]]:
    with db.unit_of_work() as session:
        event = timeline.record(
            session,
            actor=SYSTEM,
            kind=kind,
            subject="watch:7",
            case_id=None,
            data={"plate": "浙C12345"},
            reason="申请执行人申请",
        )
        queued = service.enqueue_webhooks(session, event=event, organisation_ids=org_ids)
        session.flush()
        return event.id, [n.id for n in queued]


# --- the simulated SMS gateway on a real server ------------------------------------------------------


@dataclass
class Gateway:
    base_url: str
    http: httpx.Client
    # The Idempotency-Key of every POST /messages that reached the server, stored or not: the gateway
    # would deduplicate a double send, so only this shows whether the outbox sent a row twice.
    hits: list[str] = field(default_factory=list)

    @property
    def sms_url(self) -> str:
        return f"{self.base_url}/sim/sms"

    def settings(self, **overrides: Any) -> Settings:
        return make_settings(sms_gateway_url=self.sms_url, **overrides)

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        response = self.http.get("/sim/sms/messages", params={"to": to} if to else None)
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    def fail(self, mode: str, count: int, delay_s: float = 3.0) -> None:
        response = self.http.post(
            "/sim/sms/failure-mode", json={"mode": mode, "count": count, "delay_s": delay_s}
        )
        assert response.status_code == 200, response.text


def simulator_app(hits: list[str]) -> FastAPI:
    app = FastAPI()
    app.include_router(sms_simulator.router)
    app.dependency_overrides[get_settings] = lambda: make_settings()

    @app.middleware("http")
    async def count_sends(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method == "POST" and request.url.path == "/sim/sms/messages":
            hits.append(request.headers.get("Idempotency-Key", ""))
        return await call_next(request)

    return app


@pytest.fixture
def gateway(db: Database, clock: MovableClock) -> Iterator[Gateway]:
    hits: list[str] = []
    with (
        live.serve(simulator_app(hits)) as base_url,
        httpx.Client(base_url=base_url, headers={"X-Api-Key": GATEWAY_KEY}, timeout=10) as http,
    ):
        yield Gateway(base_url, http, hits)


# --- enqueue -----------------------------------------------------------------------------------------


def test_enqueue_twice_with_the_same_dedupe_key_queues_one(db: Database, clock: MovableClock) -> None:
    with db.unit_of_work() as session:
        first = service.enqueue_sms(session, event=None, to=PHONE, body="一", dedupe_key="sms:case:1")
        second = service.enqueue_sms(session, event=None, to=PHONE, body="一", dedupe_key="sms:case:1")
    with db.unit_of_work() as session:
        third = service.enqueue_sms(session, event=None, to=PHONE, body="一", dedupe_key="sms:case:1")
        count = session.scalar(select(func.count()).select_from(Notification))
    assert first is not None
    assert second is None and third is None
    assert count == 1


def test_a_lost_insert_race_keeps_the_callers_transaction(
    db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_sms(db, key="sms:race")
    # As if a concurrent transaction had committed the same key after our check passed.
    monkeypatch.setattr(service, "_taken", lambda _session, _keys: set())
    with db.unit_of_work() as session:
        event = timeline.record(session, actor=SYSTEM, kind="case.noted", subject="case:1", case_id=None)
        assert service.enqueue_sms(session, event=event, to=PHONE, body="二", dedupe_key="sms:race") is None
        event_id = event.id
    with db.unit_of_work(read_only=True) as session:
        assert session.get(TimelineEvent, event_id) is not None
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_concurrent_enqueues_of_one_key_queue_one(db: Database, clock: MovableClock) -> None:
    # The second transaction checks before the first commits; on PostgreSQL its insert then waits on the
    # unique index and fails, on SQLite its BEGIN waits for the first to finish. Either way: one row, and
    # the second transaction's other work still commits.
    first_flushed = threading.Event()
    outcome: dict[str, bool] = {}

    def first() -> None:
        with db.unit_of_work() as session:
            outcome["first"] = (
                service.enqueue_sms(session, event=None, to=PHONE, body="一", dedupe_key="sms:concurrent")
                is not None
            )
            first_flushed.set()
            time.sleep(0.5)

    def second() -> None:
        first_flushed.wait(10)
        with db.unit_of_work() as session:
            outcome["second"] = (
                service.enqueue_sms(session, event=None, to=PHONE, body="一", dedupe_key="sms:concurrent")
                is not None
            )
            session.add(Organisation(kind=OrgKind.COURT, name="苍南县人民法院", code="浙0327"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcome == {"first": True, "second": False}
    with db.unit_of_work(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
        assert session.scalar(select(func.count()).select_from(Organisation)) == 1


def test_a_rolled_back_transaction_queues_nothing(db: Database, clock: MovableClock) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        service.enqueue_sms(session, event=None, to=PHONE, body="一", dedupe_key="sms:rollback")
        raise RuntimeError("the state change failed")
    with db.unit_of_work(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_enqueue_refuses_an_overlong_text(db: Database, clock: MovableClock) -> None:
    with pytest.raises(InvalidInput), db.unit_of_work() as session:
        service.enqueue_sms(session, event=None, to=PHONE, body="字" * 1001, dedupe_key="sms:long")


# --- SMS delivery over real HTTP ---------------------------------------------------------------------


def test_sms_arrives_once_and_is_marked_sent(db: Database, clock: MovableClock, gateway: Gateway) -> None:
    notification_id = queue_sms(db, key="sms:1", body="您的车辆已被扣押")
    settings = gateway.settings()

    first = deliver_due(db, settings=settings)
    again = deliver_due(db, settings=settings)

    received = gateway.messages(to=PHONE)
    assert (first.sent, first.retried, first.failed) == (1, 0, 0)
    assert again.total == 0
    assert [m["text"] for m in received] == ["您的车辆已被扣押"]
    row = get_notification(db, notification_id)
    assert row.status == DeliveryStatus.SENT
    assert row.provider_message_id == received[0]["id"]
    assert row.sent_at == clock.now() and row.lease_until is None and row.attempts == 1
    assert gateway.hits == [f"notification-{notification_id}"]


def test_server_errors_are_retried_with_backoff_then_sent_once(
    db: Database, clock: MovableClock, gateway: Gateway
) -> None:
    notification_id = queue_sms(db, key="sms:flaky")
    settings = gateway.settings(notification_backoff_s=15.0)
    gateway.fail("error500", count=2)

    assert deliver_due(db, settings=settings).retried == 1
    row = get_notification(db, notification_id)
    assert row.attempts == 1 and row.last_error.startswith("HTTP 500")
    assert timedelta(seconds=15) <= row.next_attempt_at - clock.now() <= timedelta(seconds=16.5)
    assert deliver_due(db, settings=settings).total == 0  # not due yet

    clock.advance(timedelta(seconds=17))
    assert deliver_due(db, settings=settings).retried == 1
    row = get_notification(db, notification_id)
    assert timedelta(seconds=30) <= row.next_attempt_at - clock.now() <= timedelta(seconds=33)

    clock.advance(timedelta(seconds=34))
    assert deliver_due(db, settings=settings).sent == 1
    assert len(gateway.messages(to=PHONE)) == 1
    assert get_notification(db, notification_id).status == DeliveryStatus.SENT
    assert len(gateway.hits) == 3


def test_a_permanent_client_error_fails_at_once(db: Database, clock: MovableClock, gateway: Gateway) -> None:
    notification_id = queue_sms(db, key="sms:bad-number", to="12345")
    settings = gateway.settings()

    report = deliver_due(db, settings=settings)
    clock.advance(timedelta(hours=2))
    later = deliver_due(db, settings=settings)

    row = get_notification(db, notification_id)
    assert (report.failed, later.total) == (1, 0)
    assert row.status == DeliveryStatus.FAILED and row.attempts == 1
    assert row.last_error == "HTTP 422 ValidationError"  # the number itself is not logged
    assert len(gateway.hits) == 1


def test_a_wrong_gateway_key_fails_without_retry(db: Database, clock: MovableClock, gateway: Gateway) -> None:
    notification_id = queue_sms(db, key="sms:wrong-key")

    report = deliver_due(db, settings=gateway.settings(sms_gateway_key="not-the-key"))

    assert report.failed == 1
    assert get_notification(db, notification_id).last_error == "HTTP 401 Unauthenticated"


def test_gives_up_after_the_maximum_attempts(db: Database, clock: MovableClock, gateway: Gateway) -> None:
    notification_id = queue_sms(db, key="sms:down")
    settings = gateway.settings(notification_max_attempts=3)
    gateway.fail("error500", count=10)

    reports: list[DeliveryReport] = []
    for _ in range(4):
        reports.append(deliver_due(db, settings=settings))
        clock.advance(timedelta(hours=1, seconds=1))

    assert [(r.retried, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    row = get_notification(db, notification_id)
    assert row.status == DeliveryStatus.FAILED and row.attempts == 3
    assert len(gateway.hits) == 3 and gateway.messages() == []


def test_a_timed_out_send_is_retried_and_deduplicated_by_the_gateway(
    db: Database, clock: MovableClock, gateway: Gateway
) -> None:
    # The gateway accepts the message but answers too late: to us it looks failed. The retry carries the
    # same Idempotency-Key, so the recipient still gets one text.
    notification_id = queue_sms(db, key="sms:slow")
    settings = gateway.settings(http_timeout_s=0.5)
    gateway.fail("slow", count=1, delay_s=1.5)

    first = deliver_due(db, settings=settings)
    deadline = time.monotonic() + 10
    while not gateway.messages() and time.monotonic() < deadline:
        time.sleep(0.1)
    clock.advance(timedelta(minutes=5))
    second = deliver_due(db, settings=settings)

    received = gateway.messages()
    assert (first.retried, second.sent) == (1, 1)
    assert len(received) == 1
    assert get_notification(db, notification_id).provider_message_id == received[0]["id"]
    assert gateway.hits == [f"notification-{notification_id}"] * 2


def test_an_expired_lease_is_claimed_again(db: Database, clock: MovableClock, gateway: Gateway) -> None:
    notification_id = queue_sms(db, key="sms:crashed")
    with db.unit_of_work() as session:  # a worker claimed it and died before sending
        row = session.get(Notification, notification_id)
        assert row is not None
        row.lease_until = clock.now() + timedelta(seconds=60)
    settings = gateway.settings()

    during = deliver_due(db, settings=settings)
    clock.advance(timedelta(seconds=61))
    after = deliver_due(db, settings=settings)

    assert (during.total, after.sent) == (0, 1)


def test_two_workers_send_each_message_exactly_once(
    db: Database, clock: MovableClock, gateway: Gateway
) -> None:
    ids = [queue_sms(db, key=f"sms:bulk:{i}", body=f"第{i}条") for i in range(24)]
    settings = gateway.settings()
    barrier = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            total = DeliveryReport()
            with httpx.Client(timeout=5) as client:
                barrier.wait()
                while (report := deliver_due(db, limit=3, client=client, settings=settings)).total:
                    total.sent += report.sent
                    total.retried += report.retried
                    total.failed += report.failed
            reports.append(total)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(r.sent for r in reports) == 24
    assert sorted(gateway.hits) == sorted(f"notification-{i}" for i in ids)
    assert sorted(m["text"] for m in gateway.messages()) == sorted(f"第{i}条" for i in range(24))


# --- the simulator's own interface -------------------------------------------------------------------


def test_simulator_refuses_a_missing_key(gateway: Gateway) -> None:
    response = httpx.post(f"{gateway.sms_url}/messages", json={"to": PHONE, "text": "hi"})

    assert response.status_code == 401
    assert response.json() == {"error": "Unauthenticated", "detail": "missing or wrong X-Api-Key"}


def test_simulator_refuses_a_number_that_is_not_a_mainland_mobile(gateway: Gateway) -> None:
    response = gateway.http.post("/sim/sms/messages", json={"to": "23912345678", "text": "hi"})

    assert response.status_code == 422
    assert response.json()["error"] == "ValidationError"
    assert "23912345678" not in response.text


def test_simulator_answers_a_resend_with_the_first_id(gateway: Gateway) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = gateway.http.post("/sim/sms/messages", json={"to": PHONE, "text": "hi"}, headers=headers)
    second = gateway.http.post("/sim/sms/messages", json={"to": PHONE, "text": "hi"}, headers=headers)
    other = gateway.http.post("/sim/sms/messages", json={"to": PHONE, "text": "bye"}, headers=headers)

    assert (first.status_code, second.status_code, other.status_code) == (201, 200, 409)
    assert first.json()["id"] == second.json()["id"]
    assert len(gateway.messages()) == 1


def test_simulator_lists_messages_newest_last(gateway: Gateway, clock: MovableClock) -> None:
    for text in ("一", "二", "三"):
        gateway.http.post("/sim/sms/messages", json={"to": PHONE, "text": text})
        clock.advance(timedelta(seconds=1))
    gateway.http.post("/sim/sms/messages", json={"to": "13800000000", "text": "别人的"})

    assert [m["text"] for m in gateway.messages(to=PHONE)] == ["一", "二", "三"]


def test_simulator_keeps_its_failure_mode_in_the_database(db: Database, gateway: Gateway) -> None:
    gateway.fail("error500", count=1)

    failed = gateway.http.post("/sim/sms/messages", json={"to": PHONE, "text": "hi"})
    passed = gateway.http.post("/sim/sms/messages", json={"to": PHONE, "text": "hi"})

    assert (failed.status_code, passed.status_code) == (500, 201)
    assert failed.json()["error"] == "SimulatedFailure"
    with db.unit_of_work(read_only=True) as session:
        mode = session.get(SimFailureMode, "sms")
        assert mode is not None and (mode.mode, mode.remaining) == ("error500", 0)


# --- webhooks ----------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A subscriber's endpoint: verifies the signature, refuses replays, takes each delivery once."""

    secret: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    seen_keys: set[str] = field(default_factory=set)
    # Answers to give, in order, before taking anything: (status, headers).
    refusals: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    tries: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            self.tries.append(dict(request.headers))
            if self.refusals:
                status, headers = self.refusals.pop(0)
                return JSONResponse({"error": "Busy"}, status_code=status, headers=headers)
            try:
                verify(self.secret, body, request.headers, now=int(clock_mod.now().timestamp()))
            except InvalidSignature as exc:
                return JSONResponse({"error": exc.name, "detail": exc.detail}, status_code=401)
            # The specification's idempotency key; Idempotency-Key carries the same identity.
            key = request.headers.get("webhook-id", "")
            if key in self.seen_keys:  # a replay inside the tolerance: acknowledged, not taken again
                return JSONResponse({"duplicate": True})
            self.seen_keys.add(key)
            self.raw.append((dict(request.headers), body))
            kind = request.headers.get("X-CarEnforce-Event")
            self.received.append({"event": kind, "body": json.loads(body)})
            return JSONResponse({"ok": True}, headers={"X-Request-Id": f"rcv-{len(self.received)}"})

        return app


def subscribe(db: Database, org_id: int, url: str, kinds: list[str]) -> tuple[int, str]:
    with db.unit_of_work() as session:
        subscription, secret = service.create_subscription(
            session, organisation_id=org_id, url=url, event_kinds=kinds, actor=SYSTEM
        )
        return subscription.id, secret


def test_a_webhook_is_delivered_signed_and_a_replay_is_refused(db: Database, clock: MovableClock) -> None:
    org_id = make_court(db)
    receiver = Receiver()
    with live.serve(receiver.app()) as base_url:
        subscription_id, receiver.secret = subscribe(db, org_id, f"{base_url}/hook", ["watch.issued"])
        event_id, queued = record_event(db, org_ids=[org_id])

        report = deliver_due(db, settings=make_settings())
        headers, body = receiver.raw[0]
        replay_now = httpx.post(f"{base_url}/hook", content=body, headers=headers)
        clock.advance(timedelta(seconds=301))
        replay_later = httpx.post(f"{base_url}/hook", content=body, headers=headers)
        tampered = httpx.post(f"{base_url}/hook", content=body.replace(b"7", b"8"), headers=headers)

    assert report.sent == 1 and len(queued) == 1
    assert receiver.received == [
        {
            "event": "watch.issued",
            "body": {
                "id": event_id,
                "kind": "watch.issued",
                "at": clock_mod.as_utc(clock.now() - timedelta(seconds=301)).isoformat(),
                "subject": "watch:7",
                "case_id": None,
                "data": {"plate": "浙C12345"},
                "reason": "申请执行人申请",
            },
        }
    ]
    assert headers["idempotency-key"] == f"notification-{queued[0]}"
    assert headers["webhook-id"] == f"msg_{queued[0]}"
    assert replay_now.json() == {"duplicate": True}
    assert replay_later.status_code == 401 and "replay" in replay_later.json()["detail"]
    assert tampered.status_code == 401
    assert get_notification(db, queued[0]).provider_message_id == "rcv-1"
    assert subscription_id


def test_a_webhook_refused_for_its_signature_fails_without_retry(db: Database, clock: MovableClock) -> None:
    org_id = make_court(db)
    receiver = Receiver(secret="whsec_not-the-one-we-use")
    with live.serve(receiver.app()) as base_url:
        subscribe(db, org_id, f"{base_url}/hook", ["*"])
        _, queued = record_event(db, org_ids=[org_id])
        report = deliver_due(db, settings=make_settings())

    row = get_notification(db, queued[0])
    assert report.failed == 1 and row.status == DeliveryStatus.FAILED
    assert row.last_error == "HTTP 401 InvalidSignature"


def test_webhooks_go_only_to_active_subscriptions_for_the_kind(db: Database, clock: MovableClock) -> None:
    court = make_court(db)
    other = make_court(db, name="苍南县人民法院", code="浙0327")
    wants_all, _ = subscribe(db, court, "https://court.example/hooks", ["*"])
    subscribe(db, court, "https://court.example/captures", ["capture.recorded"])
    inactive, _ = subscribe(db, court, "https://court.example/old", ["watch.issued"])
    subscribe(db, other, "https://other.example/hooks", ["*"])
    with db.unit_of_work() as session:
        row = session.get(WebhookSubscription, inactive)
        assert row is not None
        row.active = False

    event_id, queued = record_event(db, org_ids=[court])

    rows = [get_notification(db, i) for i in queued]
    assert [(r.subscription_id, r.channel, r.dedupe_key) for r in rows] == [
        (wants_all, Channel.WEBHOOK, f"webhook:{wants_all}:{event_id}")
    ]


def test_webhooks_for_one_event_are_queued_once(db: Database, clock: MovableClock) -> None:
    court = make_court(db)
    subscribe(db, court, "https://court.example/hooks", ["*"])
    with db.unit_of_work() as session:
        event = timeline.record(session, actor=SYSTEM, kind="watch.issued", subject="watch:1", case_id=None)
        first = service.enqueue_webhooks(session, event=event, organisation_ids=[court])
        second = service.enqueue_webhooks(session, event=event, organisation_ids=[court, court])

    assert (len(first), len(second)) == (1, 0)


def test_an_unsubscribed_endpoint_is_not_called(db: Database, clock: MovableClock) -> None:
    court = make_court(db)
    subscription_id, _ = subscribe(db, court, "http://127.0.0.1:9/never", ["*"])
    _, queued = record_event(db, org_ids=[court])
    with db.unit_of_work() as session:
        row = session.get(WebhookSubscription, subscription_id)
        assert row is not None
        row.active = False

    report = deliver_due(db, settings=make_settings())

    assert report.failed == 1
    assert get_notification(db, queued[0]).last_error == "subscription inactive"


def test_subscribing_records_an_event_without_the_secret(db: Database, clock: MovableClock) -> None:
    court = make_court(db)

    subscription_id, secret = subscribe(db, court, "https://court.example/hooks", ["watch.issued"])

    with db.unit_of_work(read_only=True) as session:
        event = session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "webhook.subscribed")).one()
        assert event.chain == timeline.SYSTEM_CHAIN
        assert event.subject == f"webhook_subscription:{subscription_id}"
        assert secret.startswith("whsec_") and secret not in json.dumps(event.data)


@pytest.mark.parametrize(
    "url", ["ftp://court.example/hooks", "court.example/hooks", "https://u:p@court.example/", "https:///path"]
)
def test_subscribing_refuses_a_url_that_is_not_http(db: Database, clock: MovableClock, url: str) -> None:
    court = make_court(db)

    with pytest.raises(InvalidInput), db.unit_of_work() as session:
        service.create_subscription(session, organisation_id=court, url=url, event_kinds=["*"], actor=SYSTEM)


# --- webhooks as the Standard Webhooks specification signs them ----------------------------------------


def set_secret(db: Database, subscription_id: int, secret: str) -> None:
    with db.unit_of_work() as session:
        row = session.get(WebhookSubscription, subscription_id)
        assert row is not None
        row.secret = secret


def test_a_delivered_webhook_verifies_with_the_stock_library(db: Database, clock: MovableClock) -> None:
    clock.set(datetime.now(UTC))  # the stock library checks the timestamp against the real clock
    org_id = make_court(db)
    receiver = Receiver()
    with live.serve(receiver.app()) as base_url:
        _, receiver.secret = subscribe(db, org_id, f"{base_url}/hook", ["watch.issued"])
        event_id, queued = record_event(db, org_ids=[org_id])
        report = deliver_due(db, settings=make_settings())

    assert report.sent == 1
    headers, body = receiver.raw[0]
    document = Webhook(receiver.secret).verify(body, headers)
    assert document["id"] == event_id and document["kind"] == "watch.issued"
    assert headers["webhook-id"] == f"msg_{queued[0]}"
    assert int(headers["webhook-timestamp"]) == int(clock.now().timestamp())
    assert "x-carenforce-signature" not in headers
    with pytest.raises(WebhookVerificationError):
        Webhook(receiver.secret).verify(body.replace(b"watch:7", b"watch:8"), headers)


def test_a_secret_of_the_old_form_still_verifies(db: Database, clock: MovableClock) -> None:
    # Issued before the specification was adopted: the receiver holds this text, and the old scheme keyed
    # the HMAC with it. It stays the key; a stock library takes it as a raw key.
    clock.set(datetime.now(UTC))
    org_id = make_court(db)
    receiver = Receiver()
    with live.serve(receiver.app()) as base_url:
        subscription_id, _ = subscribe(db, org_id, f"{base_url}/hook", ["*"])
        receiver.secret = "whsec_" + secrets.token_urlsafe(32)
        set_secret(db, subscription_id, receiver.secret)
        record_event(db, org_ids=[org_id])
        report = deliver_due(db, settings=make_settings())

    assert report.sent == 1
    headers, body = receiver.raw[0]
    Webhook(receiver.secret.encode()).verify(body, headers)


def test_a_retried_webhook_keeps_its_id_and_honours_retry_after(db: Database, clock: MovableClock) -> None:
    org_id = make_court(db)
    receiver = Receiver(refusals=[(503, {"Retry-After": "120"})])
    with live.serve(receiver.app()) as base_url:
        _, receiver.secret = subscribe(db, org_id, f"{base_url}/hook", ["*"])
        _, queued = record_event(db, org_ids=[org_id])
        first = deliver_due(db, settings=make_settings(notification_backoff_s=15.0))
        row = get_notification(db, queued[0])
        clock.advance(timedelta(seconds=119))
        early = deliver_due(db, settings=make_settings())
        clock.advance(timedelta(seconds=2))
        second = deliver_due(db, settings=make_settings())

    assert (first.retried, early.total, second.sent) == (1, 0, 1)
    assert row.last_error == "HTTP 503 Busy"
    assert row.next_attempt_at - clock_mod.as_utc(row.created_at) == timedelta(seconds=120)
    ids = [(t["webhook-id"], t["idempotency-key"]) for t in receiver.tries]
    assert ids == [(f"msg_{queued[0]}", f"notification-{queued[0]}")] * 2
    stamps = [int(t["webhook-timestamp"]) for t in receiver.tries]
    assert stamps[1] - stamps[0] == 121  # each try is signed at its own time


def test_a_new_secret_is_standard_base64_of_32_random_bytes(db: Database, clock: MovableClock) -> None:
    court = make_court(db)

    _, secret = subscribe(db, court, "https://court.example/hooks", ["*"])
    _, other = subscribe(db, court, "https://court.example/other", ["*"])

    assert secret.startswith("whsec_") and secret != other
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    assert len(key) == 32 and signing_key(secret) == key and not is_legacy_secret(secret)
    Webhook(secret)  # the stock library takes it as it is


# --- pure rules: signatures and backoff --------------------------------------------------------------

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
MSG = "msg_1"
BODY = b'{"id":1,"kind":"watch.issued"}'
T0 = 1_795_000_000


def test_a_signature_verifies() -> None:
    assert verify(SECRET, BODY, sign(SECRET, MSG, T0, BODY), now=T0 + 10) == MSG


def test_the_signature_is_the_one_the_stock_library_computes() -> None:
    stock = Webhook(SECRET).sign(MSG, datetime.fromtimestamp(T0, UTC), BODY.decode())

    assert sign(SECRET, MSG, T0, BODY)["webhook-signature"] == stock


def test_the_stock_library_verifies_a_signature_made_now() -> None:
    now = int(time.time())

    assert Webhook(SECRET).verify(BODY, sign(SECRET, MSG, now, BODY)) == json.loads(BODY)


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(SECRET, BODY + b" ", sign(SECRET, MSG, T0, BODY), now=T0)


def test_another_secret_is_refused() -> None:
    other = "whsec_" + base64.b64encode(bytes(32)).decode()
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(other, BODY, sign(SECRET, MSG, T0, BODY), now=T0)


def test_an_old_timestamp_is_refused_as_a_replay() -> None:
    with pytest.raises(InvalidSignature, match="replay"):
        verify(SECRET, BODY, sign(SECRET, MSG, T0, BODY), now=T0 + 301)


def test_a_timestamp_far_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="replay"):
        verify(SECRET, BODY, sign(SECRET, MSG, T0 + 301, BODY), now=T0)


@pytest.mark.parametrize(("header", "value"), [("webhook-timestamp", str(T0 + 100)), ("webhook-id", "msg_2")])
def test_a_swapped_timestamp_or_id_breaks_the_signature(header: str, value: str) -> None:
    headers = sign(SECRET, MSG, T0, BODY) | {header: value}

    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(SECRET, BODY, headers, now=T0 + 100)


@pytest.mark.parametrize(
    "changes",
    [
        {"webhook-id": ""},
        {"webhook-timestamp": ""},
        {"webhook-signature": ""},
        {"webhook-timestamp": "abc"},
        {"webhook-timestamp": "1e9"},
        {"webhook-signature": "garbage"},
        {"webhook-signature": "v1,"},
        {"webhook-signature": "v1,é"},
        {"webhook-signature": "v1a,AAAA"},
        {"webhook-signature": "t=1,v1=00"},
    ],
)
def test_a_malformed_header_is_refused(changes: dict[str, str]) -> None:
    headers = sign(SECRET, MSG, T0, BODY) | changes

    with pytest.raises(InvalidSignature):
        verify(SECRET, BODY, headers, now=T0)


def test_one_matching_signature_of_several_is_enough() -> None:
    headers = sign(SECRET, MSG, T0, BODY)
    headers["webhook-signature"] = (
        "v1a,AAAA v1," + base64.b64encode(bytes(32)).decode() + " " + (headers["webhook-signature"])
    )

    assert verify(SECRET, BODY, headers, now=T0) == MSG


def test_a_rotated_secret_signs_with_both_keys() -> None:
    old = "whsec_" + base64.b64encode(bytes(32)).decode()

    headers = sign((SECRET, old), MSG, T0, BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(SECRET, BODY, headers, now=T0)
    verify(old, BODY, headers, now=T0)


def test_header_names_match_in_any_case() -> None:
    headers = {k.upper(): v for k, v in sign(SECRET, MSG, T0, BODY).items()}

    assert verify(SECRET, BODY, headers, now=T0) == MSG


@pytest.mark.parametrize("msg_id", ["", "msg.1", "msg 1"])
def test_an_id_that_would_blur_the_signed_text_is_refused(msg_id: str) -> None:
    with pytest.raises(ValueError):
        sign(SECRET, msg_id, T0, BODY)


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_q3-Vt8_ZpLm0aXk2Rj9Wc4YhNf7BsDe1Gu6TiOo5HlX",  # as secrets.token_urlsafe(32) wrote them
        # 43 characters that happen to be standard base64 too: the length still marks the old form.
        "whsec_" + "A" * 43,
        "whsec_not-the-one-we-use",
        "no-prefix-at-all",
    ],
)
def test_a_secret_of_the_old_form_is_its_own_key(secret: str) -> None:
    assert is_legacy_secret(secret)
    assert signing_key(secret) == secret.encode()


def test_a_standard_secret_is_keyed_by_its_decoded_bytes() -> None:
    assert signing_key(SECRET) == bytes(range(32))
    assert not is_legacy_secret(SECRET)
    assert signing_key(new_secret()) != signing_key(new_secret())


def test_backoff_doubles_and_stops_at_an_hour() -> None:
    settings = make_settings(notification_backoff_s=15.0)

    delays = [backoff(n, settings).total_seconds() for n in (1, 2, 3)]

    assert all(15 * 2**i <= delay <= 16.5 * 2**i for i, delay in enumerate(delays))
    assert backoff(30, settings) == timedelta(hours=1)

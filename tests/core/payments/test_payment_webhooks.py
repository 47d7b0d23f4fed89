"""The gateway's notifications: verified the Standard Webhooks way, read into events, each message taken once;
and the simulated gateway's side of it: signed after its commit, tried again until answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput
from car_enforce.core.outbound import InvalidSignature
from car_enforce.core.outbound.standard_webhooks import sign
from car_enforce.core.payments import PaymentEvent, PaymentEventType, PaymentGateway, accept_once, read_event
from tests.payments_helpers import SECRET, Harness

PAID = {
    "type": "order.paid",
    "timestamp": "2026-11-23T01:00:05+00:00",
    "data": {"order_id": "po_1", "amount_fen": 2_000_000, "reference": "lot-7/bidder-3"},
}


def signed(document: object, *, msg_id: str = "msg_1", secret: str = SECRET, at: int | None = None) -> tuple:
    body = json.dumps(document).encode()
    stamp = at if at is not None else int(datetime(2026, 11, 23, 1, 0, tzinfo=UTC).timestamp())
    return body, sign(secret, msg_id, stamp, body)


def paid_order(harness: Harness) -> str:
    with harness.gateway() as gateway:
        order = gateway.create_order(
            "deposit:lot-7:bidder-3",
            amount_fen=2_000_000,
            payer_name="张三丰",
            payer_id_digest="sha256:6f1c",
            purpose="auction_deposit",
            reference="lot-7/bidder-3",
        )
    assert harness.pay(order.id).status_code == 200
    return order.id


# --- verifying and reading ----------------------------------------------------------------------------


def test_a_rightly_signed_notification_reads_as_its_event(clock: MovableClock) -> None:
    body, headers = signed(PAID)
    event = read_event(body, headers, secret=SECRET)
    assert event == PaymentEvent(
        msg_id="msg_1",
        type=PaymentEventType.ORDER_PAID,
        order_id="po_1",
        transfer_id=None,
        amount_fen=2_000_000,
        at=datetime(2026, 11, 23, 1, 0, 5, tzinfo=UTC),
        reference="lot-7/bidder-3",
    )


def test_a_notification_signed_with_another_secret_is_refused(clock: MovableClock) -> None:
    body, headers = signed(PAID, secret="whsec_" + "QUJD" * 8)
    with pytest.raises(InvalidSignature):
        read_event(body, headers, secret=SECRET)


def test_a_notification_whose_body_was_changed_is_refused(clock: MovableClock) -> None:
    body, headers = signed(PAID)
    with pytest.raises(InvalidSignature):
        read_event(body.replace(b"2000000", b"9000000"), headers, secret=SECRET)


def test_a_stale_notification_is_refused(clock: MovableClock) -> None:
    body, headers = signed(PAID)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(InvalidSignature):
        read_event(body, headers, secret=SECRET)


def test_a_signed_notification_without_an_amount_is_malformed(clock: MovableClock) -> None:
    body, headers = signed({**PAID, "data": {"order_id": "po_1"}})
    with pytest.raises(InvalidInput):
        read_event(body, headers, secret=SECRET)


def test_a_transfer_notification_needs_its_transfer_id(clock: MovableClock) -> None:
    body, headers = signed({**PAID, "type": "transfer.succeeded"})
    with pytest.raises(InvalidInput):
        read_event(body, headers, secret=SECRET)


def test_a_message_is_taken_once(db: Database, clock: MovableClock) -> None:
    event = read_event(*signed(PAID), secret=SECRET)
    with db.unit_of_work() as session:
        first = accept_once(session, event)
    with db.unit_of_work() as session:
        again = accept_once(session, event)
    assert (first, again) == (True, False)


def test_a_message_whose_handling_rolled_back_is_taken_when_resent(db: Database, clock: MovableClock) -> None:
    event = read_event(*signed(PAID), secret=SECRET)
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        assert accept_once(session, event)
        raise RuntimeError("the handler failed")
    with db.unit_of_work() as session:
        assert accept_once(session, event)


# --- the simulated gateway sending them ---------------------------------------------------------------


def test_a_notification_the_receiver_could_not_take_is_sent_again(harness: Harness) -> None:
    harness.receiver.unavailable = 2
    order_id = paid_order(harness)
    [event] = harness.events()
    assert event.order_id == order_id
    [sent] = harness.notifications()
    assert (sent["status"], sent["attempts"]) == ("delivered", 3)


def test_a_notification_never_taken_is_given_up_after_its_tries(harness: Harness) -> None:
    harness.receiver.unavailable = 5
    paid_order(harness)
    [sent] = harness.notifications()
    assert (sent["status"], sent["attempts"], sent["last_status"]) == ("failed", 3, 503)
    assert harness.events() == []


def test_a_badly_signed_notification_is_refused_by_the_platform(harness: Harness) -> None:
    harness.stage("bad_signature")
    paid_order(harness)
    [sent] = harness.notifications()
    assert not sent["signed_rightly"]
    assert (sent["status"], sent["last_status"]) == ("failed", 401)
    assert harness.events() == []


def test_a_notification_sent_again_is_a_replay_the_platform_takes_no_second_time(harness: Harness) -> None:
    paid_order(harness)
    [sent] = harness.notifications()
    assert harness.control.post(f"/webhooks/{sent['message_id']}/redeliver").status_code == 202
    assert len(harness.events()) == 1
    assert [t.fresh for t in harness.receiver.seen] == [True, False]


def test_each_refund_is_its_own_notification(harness: Harness) -> None:
    order_id = paid_order(harness)
    with harness.gateway() as gateway:
        gateway.refund("refund:1", order_id, 500_000)
        gateway.refund("refund:2", order_id, 1_500_000)
    refunds = harness.events_of(PaymentEventType.ORDER_REFUNDED)
    assert sorted(e.amount_fen for e in refunds) == [500_000, 1_500_000]
    assert len({e.msg_id for e in refunds}) == 2


def test_the_gateway_notifies_the_url_it_was_given_with_the_order(harness: Harness) -> None:
    with harness.gateway() as gateway:
        order = gateway.create_order(
            "deposit:elsewhere",
            amount_fen=100,
            payer_name="王五",
            payer_id_digest="sha256:aa",
            purpose="auction_deposit",
            reference="lot-8/bidder-1",
            notify_url=f"{harness.base_url}/nowhere",
        )
    harness.pay(order.id)
    [sent] = harness.notifications()
    assert sent["url"] == f"{harness.base_url}/nowhere" and sent["last_status"] == 404


def test_the_gateway_is_built_from_the_settings_by_default() -> None:
    with PaymentGateway() as gateway:
        assert gateway.settings.payments_url.endswith("/sim/payments")

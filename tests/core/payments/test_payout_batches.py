"""Payouts in batches (批量代发) at the simulated gateway, over loopback HTTP: each payout acts once by its
own key whatever batch carries it, a bad item fails alone, a malformed batch does nothing, one signed
message per batch; the client checks the answer item by item."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.simulators import payments as payments_sim
from api.simulators.models import SimPaymentRequest, SimPaymentTransfer
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput
from car_enforce.core.outbound import MalformedResponse, OutboundError
from car_enforce.core.outbound.standard_webhooks import sign
from car_enforce.core.payments import (
    PaymentEventType,
    PaymentGateway,
    PayoutItem,
    SettledPayout,
    Transfer,
    TransferKind,
    TransferStatus,
    read_event,
)
from car_enforce.core.payments.client import batch_transfers_of
from car_enforce.core.payments.models import PaymentMessage
from car_enforce.core.settings import Settings, get_settings
from tests.live import serve
from tests.payments_helpers import SECRET, Harness


@pytest.fixture
def gateway(harness: Harness) -> Iterator[PaymentGateway]:
    with harness.gateway() as g:
        yield g


def payee(n: int, *, account: str | None = None, amount_fen: int | None = None) -> PayoutItem:
    """The n-th investor of mass case 12, owed 100 yuan and n fen."""
    return PayoutItem(
        key=f"payout:case-12:payee-{n}",
        to_account=account or f"62220202{n:011d}",
        payee_name=f"投资人{n}",
        amount_fen=amount_fen or 10_000 + n,
        reference=f"case-12/payee-{n}",
    )


def payees(first: int, last: int) -> list[PayoutItem]:
    return [payee(n) for n in range(first, last + 1)]


def wire(items: list[PayoutItem]) -> dict[str, Any]:
    """A batch as the client sends it, for requests the client itself would refuse to send."""
    return {
        "items": [
            {
                "key": i.key,
                "to_account": i.to_account,
                "payee_name": i.payee_name,
                "amount_fen": i.amount_fen,
                "reference": i.reference,
            }
            for i in items
        ]
    }


def count(db: Database, model: type[SimPaymentTransfer] | type[SimPaymentRequest]) -> int:
    with db.unit_of_work(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def settled(harness: Harness) -> list[tuple[SettledPayout, ...]]:
    """The payouts of each batch message the platform's side took, in the order taken."""
    return [e.payouts for e in harness.events_of(PaymentEventType.PAYOUT_BATCH_SETTLED)]


# --- paying -------------------------------------------------------------------------------------------


def test_a_batch_is_paid_and_told_in_one_message(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    items = payees(1, 3)
    transfers = gateway.payout_batch("batch:case-12:1", items)
    assert [(t.key, t.amount_fen, t.to_account) for t in transfers] == [
        (i.key, i.amount_fen, i.to_account) for i in items
    ]
    assert all(t.kind is TransferKind.PAYOUT and t.status is TransferStatus.SUCCEEDED for t in transfers)
    assert len({t.id for t in transfers}) == 3 and count(db, SimPaymentTransfer) == 3
    [message] = harness.events()
    assert message.type is PaymentEventType.PAYOUT_BATCH_SETTLED
    assert [(p.transfer_id, p.key, p.status) for p in message.payouts] == [
        (t.id, t.key, TransferStatus.SUCCEEDED) for t in transfers
    ]
    assert message.amount_fen == sum(i.amount_fen for i in items)


def test_the_same_batch_again_pays_nothing_new(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    first = gateway.payout_batch("batch:case-12:1", payees(1, 3))
    again = gateway.payout_batch("batch:case-12:1", payees(1, 3))
    assert again == first
    assert count(db, SimPaymentTransfer) == 3
    assert len(settled(harness)) == 1


def test_a_recomposed_batch_pays_only_the_items_not_paid_before(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    first = gateway.payout_batch("batch:case-12:1", payees(1, 3))
    # After a crash the run is re-composed from what it did not record as paid: 2 and 3 again, with 4 and 5.
    second = gateway.payout_batch("batch:case-12:rerun", [payee(4), payee(3), payee(2), payee(5)])
    assert second[1] == first[2] and second[2] == first[1]
    assert count(db, SimPaymentTransfer) == 5
    # Each message is sent on its own: the second may arrive first.
    assert sorted([p.key for p in batch] for batch in settled(harness)) == [
        [payee(1).key, payee(2).key, payee(3).key],
        [payee(4).key, payee(5).key],
    ]


def test_a_declined_item_fails_alone(db: Database, harness: Harness, gateway: PaymentGateway) -> None:
    harness.stage("decline", count=1)
    transfers = gateway.payout_batch("batch:case-12:1", payees(1, 3))
    assert [t.status for t in transfers] == [
        TransferStatus.FAILED,
        TransferStatus.SUCCEEDED,
        TransferStatus.SUCCEEDED,
    ]
    assert transfers[0].failure_reason and not transfers[1].failure_reason
    [batch] = settled(harness)
    assert [p.status for p in batch] == [t.status for t in transfers]
    assert harness.events()[0].amount_fen == payee(2).amount_fen + payee(3).amount_fen


def test_an_account_the_bank_cannot_use_fails_its_item_alone(gateway: PaymentGateway) -> None:
    items = [payee(1), payee(2, account="62-22!"), payee(3)]
    transfers = gateway.payout_batch("batch:case-12:1", items)
    assert [t.status for t in transfers] == [
        TransferStatus.SUCCEEDED,
        TransferStatus.FAILED,
        TransferStatus.SUCCEEDED,
    ]
    assert "账号" in transfers[1].failure_reason
    # Failed is what the item did: sent again under its key it is the same failure, not a new try.
    assert gateway.payout_batch("batch:case-12:again", [items[1]]) == [transfers[1]]


def test_a_payout_paid_alone_is_not_paid_again_in_a_batch(db: Database, gateway: PaymentGateway) -> None:
    one = payee(2)
    alone = gateway.payout(
        one.key,
        to_account=one.to_account,
        payee_name=one.payee_name,
        amount_fen=one.amount_fen,
        reference=one.reference,
    )
    transfers = gateway.payout_batch("batch:case-12:1", payees(1, 3))
    assert transfers[1].id == alone.id
    assert count(db, SimPaymentTransfer) == 3


def test_a_payout_paid_in_a_batch_is_not_paid_again_alone(db: Database, gateway: PaymentGateway) -> None:
    [in_batch] = gateway.payout_batch("batch:case-12:1", [payee(1)])
    one = payee(1)
    alone = gateway.payout(
        one.key,
        to_account=one.to_account,
        payee_name=one.payee_name,
        amount_fen=one.amount_fen,
        reference=one.reference,
    )
    assert alone.id == in_batch.id
    assert count(db, SimPaymentTransfer) == 1


def test_overlapping_batches_at_the_same_time_pay_each_payee_once(db: Database, harness: Harness) -> None:
    results: dict[str, list[Transfer]] = {}

    def send(name: str, items: list[PayoutItem]) -> None:
        with harness.gateway() as g:
            results[name] = g.payout_batch(name, items)

    threads = [
        threading.Thread(target=send, args=("a", payees(1, 200))),
        threading.Thread(target=send, args=("b", list(reversed(payees(101, 300))))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count(db, SimPaymentTransfer) == 300
    by_key = {t.key: t.id for t in results["a"]}
    assert all(by_key[t.key] == t.id for t in results["b"] if t.key in by_key)


# --- refused: nothing done ----------------------------------------------------------------------------


def test_more_than_a_thousand_items_are_refused_and_nothing_is_done(db: Database, harness: Harness) -> None:
    refused = harness.control.post(
        "/payout-batches", json=wire(payees(1, 1001)), headers={"Idempotency-Key": "batch:too-big"}
    )
    assert refused.status_code == 422 and refused.json()["error"] == "ValidationError"
    assert (count(db, SimPaymentTransfer), count(db, SimPaymentRequest)) == (0, 0)


def test_a_batch_naming_a_key_twice_is_refused_and_nothing_is_done(db: Database, harness: Harness) -> None:
    body = wire([payee(1), payee(2), payee(1, amount_fen=99)])
    refused = harness.control.post("/payout-batches", json=body, headers={"Idempotency-Key": "batch:twice"})
    assert refused.status_code == 422 and "items 0 and 2" in refused.json()["detail"]
    assert (count(db, SimPaymentTransfer), count(db, SimPaymentRequest)) == (0, 0)


def test_an_item_key_used_before_for_another_payout_refuses_the_batch(
    db: Database, gateway: PaymentGateway
) -> None:
    gateway.payout_batch("batch:case-12:1", [payee(1)])
    with pytest.raises(OutboundError) as refused:
        gateway.payout_batch("batch:case-12:2", [payee(2), payee(1, amount_fen=1)])
    assert refused.value.status == 409 and refused.value.permanent
    assert count(db, SimPaymentTransfer) == 1  # payee 2 was not paid either


def test_a_batch_key_used_before_for_another_batch_is_refused(gateway: PaymentGateway) -> None:
    gateway.payout_batch("batch:case-12:1", payees(1, 2))
    with pytest.raises(OutboundError) as refused:
        gateway.payout_batch("batch:case-12:1", payees(1, 3))
    assert refused.value.status == 409 and refused.value.permanent


def test_the_client_refuses_to_send_a_batch_the_gateway_would_refuse(gateway: PaymentGateway) -> None:
    for items in ([], payees(1, 1001), [payee(1), payee(1)], [payee(1, amount_fen=-5)]):
        with pytest.raises(ValueError):
            gateway.payout_batch("batch:bad", items)


# --- failures tried again -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["error500", "malformed"])
def test_a_failed_answer_is_tried_again_and_pays_once(
    db: Database, harness: Harness, gateway: PaymentGateway, mode: str
) -> None:
    harness.stage(mode)
    transfers = gateway.payout_batch("batch:case-12:1", payees(1, 3))
    assert [t.status for t in transfers] == [TransferStatus.SUCCEEDED] * 3
    assert count(db, SimPaymentTransfer) == 3
    assert len(settled(harness)) == 1


# --- the client's check of the answer -----------------------------------------------------------------


def answer_to(harness: Harness, items: list[PayoutItem]) -> dict[str, Any]:
    response = harness.control.post("/payout-batches", json=wire(items), headers={"Idempotency-Key": "b:1"})
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def test_the_gateways_answer_reads_as_one_payout_per_item(harness: Harness) -> None:
    items = payees(1, 3)
    transfers = batch_transfers_of(items, answer_to(harness, items))
    assert [t.key for t in transfers] == [i.key for i in items]


def test_a_short_answer_is_refused(harness: Harness) -> None:
    items = payees(1, 3)
    answer = answer_to(harness, items)
    with pytest.raises(MalformedResponse) as refused:
        batch_transfers_of(items, {"transfers": answer["transfers"][:2]})
    assert refused.value.permanent


def test_a_reordered_answer_is_refused(harness: Harness) -> None:
    items = payees(1, 3)
    first, second, third = answer_to(harness, items)["transfers"]
    with pytest.raises(MalformedResponse) as refused:
        batch_transfers_of(items, {"transfers": [second, first, third]})
    assert refused.value.permanent


def test_an_answer_about_another_amount_is_refused(harness: Harness) -> None:
    items = payees(1, 2)
    first, second = answer_to(harness, items)["transfers"]
    with pytest.raises(MalformedResponse):
        batch_transfers_of(items, {"transfers": [first, {**second, "amount_fen": second["amount_fen"] + 1}]})


# --- the message at the platform ----------------------------------------------------------------------


def test_a_batch_message_reads_as_its_payouts(harness: Harness, gateway: PaymentGateway) -> None:
    transfers = gateway.payout_batch("batch:case-12:1", payees(1, 2))
    [sent] = harness.notifications()
    assert sent["type"] == "payout_batch.settled" and sent["status"] == "delivered"
    [event] = harness.events()
    assert event.order_id is None and event.transfer_id is None
    assert event.payouts == tuple(
        SettledPayout(t.id, str(t.key), t.status, t.amount_fen, t.reference) for t in transfers
    )


def test_a_batch_message_with_a_bad_payout_is_malformed(clock: MovableClock) -> None:
    item = {"transfer_id": "tr_1", "key": "k", "status": "pending", "amount_fen": 1, "reference": ""}
    document = {
        "type": "payout_batch.settled",
        "timestamp": clock.now().isoformat(),
        "data": {"transfers": [item]},
    }
    body = json.dumps(document).encode()
    with pytest.raises(InvalidInput):
        read_event(body, sign(SECRET, "msg_1", int(clock.now().timestamp()), body), secret=SECRET)


def test_the_platform_takes_a_batch_message_once(app: FastAPI, db: Database) -> None:
    """Through the platform's own receiver (the deposits' handler), which takes it and leaves deposits be."""
    with serve(app) as base_url:
        values = get_settings().model_dump() | {
            "payment_gateway_url": f"{base_url}{payments_sim.PREFIX}",
            "payment_notify_url": f"{base_url}/api/payments/notifications",
        }
        with PaymentGateway(Settings(_env_file=None, **values)) as gw:
            gw.payout_batch("batch:case-12:1", payees(1, 2))
        payments_sim.wait_for_deliveries()
        control = httpx.Client(
            base_url=f"{base_url}{payments_sim.PREFIX}",
            headers={"Authorization": f"Bearer {get_settings().payment_gateway_key}"},
        )
        with control:
            [sent] = control.get("/webhooks").json()
            assert (sent["status"], sent["last_status"]) == ("delivered", 200)
            assert control.post(f"/webhooks/{sent['message_id']}/redeliver").status_code == 202
        payments_sim.wait_for_deliveries()
    with db.unit_of_work(read_only=True) as session:
        assert session.scalars(select(PaymentMessage.msg_id)).all() == [sent["message_id"]]

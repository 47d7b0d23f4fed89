"""The payment gateway's client against the simulated gateway over loopback HTTP: orders, payment, refunds,
transfers to a court, payouts; keyed retries acting once; staged failures tried again; answers checked."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.simulators.models import SimPaymentOrder, SimPaymentTransfer
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.outbound import OutboundError, RetryPolicy
from car_enforce.core.payments import (
    Order,
    OrderStatus,
    PaymentEventType,
    PaymentGateway,
    TransferKind,
    TransferStatus,
)
from tests.payments_helpers import Harness, running

DEPOSIT_FEN = 2_000_000  # a 20,000-yuan deposit
COURT_ACCOUNT = "33050162723509000123"


@pytest.fixture
def gateway(harness: Harness) -> Iterator[PaymentGateway]:
    with harness.gateway() as g:
        yield g


def deposit(gateway: PaymentGateway, key: str = "deposit:lot-7:bidder-3", **overrides: object) -> Order:
    values: dict[str, object] = {
        "amount_fen": DEPOSIT_FEN,
        "payer_name": "张三丰",
        "payer_id_digest": "sha256:6f1c",
        "purpose": "auction_deposit",
        "reference": "lot-7/bidder-3",
    }
    values.update(overrides)
    return gateway.create_order(key, **values)  # type: ignore[arg-type]


def paid_deposit(harness: Harness, gateway: PaymentGateway) -> Order:
    order = deposit(gateway)
    assert harness.pay(order.id).status_code == 200
    return gateway.get_order(order.id)


def rows(db: Database, model: type[SimPaymentOrder] | type[SimPaymentTransfer]) -> int:
    with db.unit_of_work(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- orders -------------------------------------------------------------------------------------------


def test_a_new_order_waits_for_its_payer_at_its_pay_url(harness: Harness, gateway: PaymentGateway) -> None:
    order = deposit(gateway)
    assert order.status is OrderStatus.PENDING
    assert order.amount_fen == DEPOSIT_FEN and order.reference == "lot-7/bidder-3"
    assert order.pay_url == f"{harness.settings.payments_url}/orders/{order.id}/pay"
    assert gateway.get_order(order.id) == order


def test_an_order_created_again_under_its_key_is_the_same_order(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    first = deposit(gateway)
    second = deposit(gateway)
    assert second == first
    assert rows(db, SimPaymentOrder) == 1


def test_a_key_reused_for_another_amount_is_refused_for_good(gateway: PaymentGateway) -> None:
    deposit(gateway)
    with pytest.raises(OutboundError) as refused:
        deposit(gateway, amount_fen=DEPOSIT_FEN + 1)
    assert refused.value.status == 409 and refused.value.permanent


def test_an_unknown_order_is_a_permanent_error(gateway: PaymentGateway) -> None:
    with pytest.raises(OutboundError) as missing:
        gateway.get_order("po_nothing")
    assert missing.value.status == 404 and missing.value.permanent


def test_a_wrong_key_is_refused(harness: Harness) -> None:
    with (
        harness.gateway(payment_gateway_key="not-the-key") as stranger,
        pytest.raises(OutboundError) as refused,
    ):
        deposit(stranger)
    assert refused.value.status == 401 and refused.value.permanent


def test_paying_marks_the_order_paid_and_notifies_the_platform(
    harness: Harness, gateway: PaymentGateway
) -> None:
    order = paid_deposit(harness, gateway)
    assert order.status is OrderStatus.PAID and order.held_fen == DEPOSIT_FEN
    [event] = harness.events()
    assert event.type is PaymentEventType.ORDER_PAID
    assert (event.order_id, event.amount_fen, event.reference) == (order.id, DEPOSIT_FEN, "lot-7/bidder-3")


def test_paying_twice_pays_once(harness: Harness, gateway: PaymentGateway) -> None:
    order = paid_deposit(harness, gateway)
    again = harness.pay(order.id)
    assert again.status_code == 200 and again.json()["status"] == "paid"
    assert [e.type for e in harness.events()] == [PaymentEventType.ORDER_PAID]


def test_a_deposit_from_someone_elses_account_is_refused(harness: Harness, gateway: PaymentGateway) -> None:
    order = deposit(gateway)
    refused = harness.pay(order.id, account_name="李四")
    assert refused.status_code == 409
    assert gateway.get_order(order.id).status is OrderStatus.PENDING


def test_the_pay_page_shows_the_order_in_chinese_and_its_button_pays(
    harness: Harness, gateway: PaymentGateway
) -> None:
    order = deposit(gateway)
    page = httpx.get(order.pay_url)
    assert page.status_code == 200
    assert "支付保证金" in page.text and "20,000.00元" in page.text and "张*丰" in page.text
    assert "张三丰" not in page.text
    pressed = httpx.post(order.pay_url, data={"confirm": "1"})  # as the page's form sends it
    assert pressed.status_code == 200 and "支付成功" in pressed.text
    assert gateway.get_order(order.id).status is OrderStatus.PAID


# --- refunds, transfers, payouts ----------------------------------------------------------------------


def test_a_losing_deposit_goes_back_to_its_payer(harness: Harness, gateway: PaymentGateway) -> None:
    order = paid_deposit(harness, gateway)
    refunded = gateway.refund("refund:lot-7:bidder-3", order.id, DEPOSIT_FEN)
    assert refunded.status is OrderStatus.REFUNDED and refunded.held_fen == 0
    [event] = harness.events_of(PaymentEventType.ORDER_REFUNDED)
    assert (event.order_id, event.amount_fen) == (order.id, DEPOSIT_FEN)


def test_a_refund_retried_under_its_key_refunds_once(harness: Harness, gateway: PaymentGateway) -> None:
    order = paid_deposit(harness, gateway)
    first = gateway.refund("refund:lot-7:bidder-3", order.id, DEPOSIT_FEN // 2)
    second = gateway.refund("refund:lot-7:bidder-3", order.id, DEPOSIT_FEN // 2)
    assert first == second and second.refunded_fen == DEPOSIT_FEN // 2
    assert gateway.get_order(order.id).held_fen == DEPOSIT_FEN // 2


def test_no_refund_beyond_what_the_order_holds(harness: Harness, gateway: PaymentGateway) -> None:
    order = paid_deposit(harness, gateway)
    with pytest.raises(OutboundError) as refused:
        gateway.refund("refund:too-much", order.id, DEPOSIT_FEN + 1)
    assert refused.value.status == 409 and refused.value.permanent


def test_an_unpaid_order_cannot_be_refunded(gateway: PaymentGateway) -> None:
    order = deposit(gateway)
    with pytest.raises(OutboundError) as refused:
        gateway.refund("refund:unpaid", order.id, DEPOSIT_FEN)
    assert refused.value.status == 409


def test_the_winners_deposit_goes_to_the_courts_account(harness: Harness, gateway: PaymentGateway) -> None:
    order = paid_deposit(harness, gateway)
    transfer = gateway.transfer("transfer:lot-7", order.id, to_account=COURT_ACCOUNT, amount_fen=DEPOSIT_FEN)
    assert transfer.status is TransferStatus.SUCCEEDED and transfer.kind is TransferKind.TRANSFER
    assert (transfer.order_id, transfer.to_account, transfer.amount_fen) == (
        order.id,
        COURT_ACCOUNT,
        DEPOSIT_FEN,
    )
    assert gateway.get_order(order.id).status is OrderStatus.TRANSFERRED
    [sent] = harness.events_of(PaymentEventType.TRANSFER_SUCCEEDED)
    assert sent.transfer_id == transfer.id and sent.order_id == order.id


def test_a_transfer_retried_under_its_key_moves_the_money_once(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    order = paid_deposit(harness, gateway)
    first = gateway.transfer("transfer:lot-7", order.id, to_account=COURT_ACCOUNT, amount_fen=DEPOSIT_FEN)
    second = gateway.transfer("transfer:lot-7", order.id, to_account=COURT_ACCOUNT, amount_fen=DEPOSIT_FEN)
    assert first == second
    assert rows(db, SimPaymentTransfer) == 1


def test_a_declined_transfer_leaves_the_deposit_in_escrow(harness: Harness, gateway: PaymentGateway) -> None:
    order = paid_deposit(harness, gateway)
    harness.stage("decline")
    transfer = gateway.transfer("transfer:lot-7", order.id, to_account=COURT_ACCOUNT, amount_fen=DEPOSIT_FEN)
    assert transfer.status is TransferStatus.FAILED and transfer.failure_reason
    assert gateway.get_order(order.id).held_fen == DEPOSIT_FEN
    [event] = harness.events_of(PaymentEventType.TRANSFER_FAILED)
    assert event.transfer_id == transfer.id


def test_a_payout_reaches_its_payee(harness: Harness, gateway: PaymentGateway) -> None:
    payout = gateway.payout(
        "payout:case-12:applicant-1",
        to_account="6222020200112233445",
        payee_name="温州某银行股份有限公司",
        amount_fen=12_345_600,
        reference="case-12/applicant-1",
    )
    assert payout.kind is TransferKind.PAYOUT and payout.status is TransferStatus.SUCCEEDED
    [event] = harness.events()
    assert event.type is PaymentEventType.TRANSFER_SUCCEEDED and event.order_id is None
    assert event.reference == "case-12/applicant-1"


# --- failures -----------------------------------------------------------------------------------------


def test_a_gateway_error_is_tried_again_and_acts_once(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    harness.stage("error500")
    order = deposit(gateway)
    assert order.status is OrderStatus.PENDING
    assert rows(db, SimPaymentOrder) == 1


def test_a_slow_answer_times_out_and_the_retry_gets_the_first_order(
    db: Database, clock: MovableClock
) -> None:
    # A server of its own: it stops only once the slow request has ended, so nothing outlives the test.
    with running() as own:
        own.stage("slow", delay_s=0.5)
        with own.gateway(http_timeout_s=0.2) as impatient:
            order = deposit(impatient)
    assert order.status is OrderStatus.PENDING
    assert rows(db, SimPaymentOrder) == 1


def test_a_malformed_answer_is_tried_again_and_the_retry_gets_the_first_order(
    db: Database, harness: Harness, gateway: PaymentGateway
) -> None:
    harness.stage("malformed")
    order = deposit(gateway)
    assert order.amount_fen == DEPOSIT_FEN
    assert rows(db, SimPaymentOrder) == 1


def test_an_answer_that_stays_malformed_is_an_error(harness: Harness, gateway: PaymentGateway) -> None:
    harness.stage("malformed", count=3)
    with pytest.raises(OutboundError) as failed:
        deposit(gateway)
    assert "malformed" in failed.value.reason and failed.value.attempts == 3


def test_failures_past_the_last_try_are_a_temporary_error(harness: Harness) -> None:
    harness.stage("error500", count=2)
    with (
        harness.gateway(retry=RetryPolicy(attempts=2, base_delay_s=0.01)) as g,
        pytest.raises(OutboundError) as e,
    ):
        deposit(g)
    assert e.value.status == 500 and not e.value.permanent


def test_the_platform_serves_the_simulated_gateway_at_its_default_url(client: TestClient) -> None:
    headers = {"Authorization": "Bearer sim-payments-key", "Idempotency-Key": "deposit:demo"}
    body = {"amount_fen": 100, "payer_name": "王五", "payer_id_digest": "d", "purpose": "auction_deposit"}
    created = client.post("/sim/payments/orders", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["pay_url"].endswith(f"/sim/payments/orders/{created.json()['id']}/pay")
    assert client.get(created.json()["pay_url"]).status_code == 200


def test_the_gateway_refuses_a_post_without_an_idempotency_key(harness: Harness) -> None:
    body = {"amount_fen": 100, "payer_name": "王五", "payer_id_digest": "d", "purpose": "auction_deposit"}
    refused = harness.control.post("/orders", json=body)
    assert refused.status_code == 422 and refused.json()["error"] == "InvalidInput"

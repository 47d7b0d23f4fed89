"""The simulated gateway's notifications: queued in the transaction that causes them, sent after its commit
(``outbox``), tried until the receiver answers 2xx, with doubling waits, as many times as the settings say."""

from __future__ import annotations

from typing import Final

from api.simulators.models import SimPaymentWebhook
from api.simulators.outbox import Outbox, Sending
from api.simulators.signed_delivery import Retries
from car_enforce.core.settings import Settings

SIMULATOR: Final = "payments"
SEND_TIMEOUT_S: Final = 5.0

OUTBOX: Final = Outbox(SIMULATOR, SimPaymentWebhook, "payment notification")
wait_for_deliveries: Final = OUTBOX.wait


def sending(settings: Settings) -> Sending:
    """How the notifications are signed (the whsec_ secret the platform verifies with) and tried."""
    retries = Retries.doubling(
        settings.payment_sim_webhook_attempts,
        settings.payment_sim_webhook_backoff_s,
        timeout_s=SEND_TIMEOUT_S,
        until_2xx=True,
    )
    return Sending(secret=settings.payment_webhook_secret, retries=retries)

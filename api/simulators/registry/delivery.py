"""The simulated registry's callbacks: queued in the transaction that causes them, sent after its commit
(``outbox``) the simulators' usual way (``signed_delivery.DEFAULT``: a network error or a 5xx tried again,
three tries in all)."""

from __future__ import annotations

from typing import Final

from api.simulators.models import SimRegistryMessage
from api.simulators.outbox import Outbox, Sending
from api.simulators.signed_delivery import DEFAULT
from car_enforce.core.settings import Settings

SIMULATOR: Final = "registry"

OUTBOX: Final = Outbox(SIMULATOR, SimRegistryMessage, "registry callback")
wait_for_deliveries: Final = OUTBOX.wait


def sending(settings: Settings) -> Sending:
    """How the callbacks are signed (the whsec_ secret the platform verifies with) and tried."""
    return Sending(secret=settings.registry_webhook_secret, retries=DEFAULT)

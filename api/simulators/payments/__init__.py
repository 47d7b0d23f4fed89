"""A simulated payment gateway with an escrow, served on loopback by the platform itself (/sim/payments)."""

from api.simulators.payments.app import PREFIX, create_app, mount
from api.simulators.payments.delivery import wait_for_deliveries

__all__ = ["PREFIX", "create_app", "mount", "wait_for_deliveries"]

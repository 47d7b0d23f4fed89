"""The simulated payment gateway on loopback for the payout tests: one server a module, each test's own
database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.simulators import payments as payments_sim
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests.payments_helpers import Harness, running


@pytest.fixture(scope="module")
def payments_server() -> Iterator[Harness]:
    with running() as harness:
        yield harness


@pytest.fixture
def harness(payments_server: Harness, db: Database, clock: MovableClock) -> Iterator[Harness]:
    payments_server.receiver.clear()
    yield payments_server
    payments_sim.wait_for_deliveries()  # no send of this test may reach the next test's database

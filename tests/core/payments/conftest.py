"""One loopback server of the simulated payment gateway per module; each test has it on its own database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.simulators import payments as payments_sim
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests.payments_helpers import Harness, running


@pytest.fixture(scope="module")
def payments_server() -> Iterator[Harness]:
    # The server keeps nothing between requests (the gateway's state is in the test's database), so one
    # serves a whole module: starting and stopping uvicorn for each test would double the tests' time.
    with running() as harness:
        yield harness


@pytest.fixture
def harness(payments_server: Harness, db: Database, clock: MovableClock) -> Iterator[Harness]:
    payments_server.receiver.clear()
    yield payments_server
    payments_sim.wait_for_deliveries()  # no send of this test may reach the next test's database

"""One loopback server of the simulated registry per module; each test has it on its own database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.simulators import registry as registry_sim
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests.registry_helpers import Harness, running


@pytest.fixture(scope="module")
def registry_server() -> Iterator[Harness]:
    # The server keeps nothing between requests (the registry's state is in the test's database), so one
    # serves a whole module.
    with running() as harness:
        yield harness


@pytest.fixture
def harness(registry_server: Harness, db: Database, clock: MovableClock) -> Iterator[Harness]:
    yield registry_server
    registry_sim.wait_for_deliveries()  # no send of this test may reach the next test's database

"""The auction tests' shared fixture: a priced car listed as a lot, its first round announced."""

from __future__ import annotations

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.auction_helpers import Listed, listed_lot, priced_car


@pytest.fixture
def listed(db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers) -> Listed:
    return listed_lot(db, priced_car(db, world, centers))

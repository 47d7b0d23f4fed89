"""What the scheduler sweeps for sightings: the record of received messages, once it can no longer matter."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from car_enforce import clock
from car_enforce.db import Database
from car_enforce.sightings.models import ReadBatch
from car_enforce.sightings.reads import MAX_READ_AGE

# A message is remembered (by its digest) so that a re-post changes nothing. Reads older than
# MAX_READ_AGE are refused anyway, so a re-post of a message received before this is refused too; a
# day's margin covers camera clocks and the sweep's own interval.
KEEP_BATCHES = MAX_READ_AGE + timedelta(days=1)


def sweep_read_batches(database: Database) -> int:
    """Forget received messages older than KEEP_BATCHES; returns how many."""
    with database.unit_of_work() as session:
        result = session.execute(delete(ReadBatch).where(ReadBatch.received_at < clock.now() - KEEP_BATCHES))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

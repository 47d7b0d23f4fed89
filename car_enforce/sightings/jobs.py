"""What the scheduler sweeps for sightings: officers' digests, and the record of received messages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from car_enforce.core import clock
from car_enforce.core.db import Database
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings import digests
from car_enforce.sightings.models import ReadBatch

# A message is remembered (by its digest) so that a re-post is answered, not redone. Senders re-post
# within seconds to hours (a timeout, a flaky link), not weeks; a message re-posted after this is matched
# again, but each sighting is unique by its read key, so it raises nothing twice (only the per-hour read
# counts see it again).
KEEP_BATCHES = timedelta(days=8)


def sweep_read_batches(database: Database) -> int:
    """Forget received messages older than KEEP_BATCHES; returns how many."""
    with database.unit_of_work() as session:
        result = session.execute(delete(ReadBatch).where(ReadBatch.received_at < clock.now() - KEEP_BATCHES))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


DIGESTER = Principal.system("alert-digest")


def send_alert_digests(database: Database) -> list[int]:
    """Send each due digest in its own transaction; returns the digests' ids."""
    with database.unit_of_work() as session:
        due = digests.due_watches(session)
    sent: list[int] = []
    for watch_id in due:
        with database.unit_of_work() as session:
            digest = digests.send_digest(session, actor=DIGESTER, watch_id=watch_id)
            if digest is not None:
                sent.append(digest.id)
    return sent

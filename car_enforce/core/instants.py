"""Instants reported by a person or a system: a capture's time, an intake, a move, a release.

Unlike a camera's push, a person's form can be corrected, so a doubtful instant is refused with a clear
message rather than replaced (plate reads have their own rule: ``sightings.reads.judged``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput

# Clocks of phones and office PCs drift: an instant this far ahead of ours is still "now".
MAX_AHEAD = timedelta(minutes=5)
EXAMPLE = "2026-11-23T09:00:00+08:00"


def reported_instant(instant: datetime, field: str, *, max_age: timedelta | None = None) -> datetime:
    """``instant`` in UTC; InvalidInput when it has no UTC offset, lies in the future, or (with
    ``max_age``) is older than the caller's rule allows."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(
            field,
            f"{instant.isoformat()} has no UTC offset; send e.g. {EXAMPLE}",
            zh=f"时间未注明时区（UTC 偏移），应如 {EXAMPLE}",
        )
    at = clock.as_utc(instant)
    now = clock.now()
    if at > now + MAX_AHEAD:
        raise InvalidInput(
            field, f"{at.isoformat()} lies in the future (now {now.isoformat()})", zh="时间晚于当前时间"
        )
    if max_age is not None and at < now - max_age:
        raise InvalidInput(
            field,
            f"{at.isoformat()} is more than {max_age.days} days old",
            zh=f"时间早于 {max_age.days} 天前",
        )
    return at

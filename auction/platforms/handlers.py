"""What the outside platforms' publications hear from the sale's verbs (registered in ``api.wiring``).

Each handler runs in the verb's transaction and only writes the publication's row: the call to the platform
is the sweep's (``sending.send_due``), after the commit, never inside the verb.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import BUILTIN_PLATFORM
from auction.platforms.models import AuctionPublication
from auction.platforms.models import PublicationStatus as P
from auction.platforms.registry import platform_of
from car_enforce.core import clock
from car_enforce.core.errors import Conflict
from car_enforce.core.events import Recorded

CHANGES = ("auction.suspended", "auction.resumed")
SETTLED = (P.WITHDRAWING, P.WITHDRAWN, P.CLOSED)


def _publication(session: Session, round_id: object) -> AuctionPublication | None:
    return session.scalar(
        select(AuctionPublication).where(AuctionPublication.round_id == round_id).with_for_update()
    )


def announced(session: Session, recorded: Recorded) -> None:
    """A round announced on an outside platform is to be published there."""
    data = recorded.event.data
    code = str(data.get("platform", BUILTIN_PLATFORM))
    if code == BUILTIN_PLATFORM:
        return
    if not platform_of(session, code, active=False).active:
        raise Conflict(
            f"the auction platform {code!r} is no longer in use: draft the round on another",
            zh=f"网络司法拍卖平台 {code} 已停用，请另选平台",
        )
    now = clock.now()
    round_id = int(data["round_id"])
    session.add(
        AuctionPublication(
            round_id=round_id,
            platform_code=code,
            key=f"lot-{data['lot_id']}-round-{round_id}",
            status=P.PENDING,
            due_at=now,
            created_at=now,
        )
    )
    session.flush()


def changed(session: Session, recorded: Recorded) -> None:
    """A round stopped or resumed (its end given back): the platform is to be told the new state."""
    pub = _publication(session, recorded.event.data.get("round_id"))
    if pub is None or pub.status in SETTLED:
        return
    pub.version += 1  # a lot not yet published goes out in its state of the moment, with this version
    if pub.status in (P.PUBLISHED, P.UPDATING):
        pub.status, pub.attempts, pub.due_at = P.UPDATING, 0, clock.now()


def withdrawn(session: Session, recorded: Recorded) -> None:
    """The lot withdrawn: each of its rounds published elsewhere is withdrawn there, with the reason."""
    data = recorded.event.data
    reason = str(data.get("reason", ""))[:200]
    for round_id in data.get("rounds_withdrawn", ()):
        pub = _publication(session, round_id)
        if pub is None or pub.status in SETTLED:
            continue
        pub.withdraw_reason = reason
        if pub.status == P.PENDING and pub.remote_id is None and pub.attempts == 0:
            pub.status = P.WITHDRAWN  # never sent: nothing to take back (a call under way is seen to)
            continue
        pub.status, pub.attempts, pub.due_at = P.WITHDRAWING, 0, clock.now()


__all__ = ["CHANGES", "announced", "changed", "withdrawn"]

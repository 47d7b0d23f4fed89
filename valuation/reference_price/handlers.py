"""The reference price hears its own events: a fixed (or re-fixed) price is served on the parties."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from valuation.reference_price.models import ReferencePrice
from valuation.reference_price.serving import issue_notice

SERVER = Principal.system("reference-price-notice")
SERVED_ON = ("reference_price.fixed", "reference_price.repriced")


def serve_notice(session: Session, recorded: Recorded) -> None:
    """Art. 21: the notice goes out with the price, in its transaction (well within the 3 days)."""
    pricing = session.get(ReferencePrice, recorded.event.data["reference_price_id"])
    assert pricing is not None
    set_aside = frozenset(recorded.event.data.get("set_aside", ()))
    issue_notice(session, SERVER, pricing, set_aside=set_aside)

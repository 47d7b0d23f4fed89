"""The reference price hears its own events: a fixed (or re-fixed) price is served on the parties."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from valuation.reference_price.models import ReferencePrice
from valuation.reference_price.serving import issue_notice
from valuation.reference_price.validity import withdraw_for_custody

SERVER = Principal.system("reference-price-notice")
SERVED_ON = ("reference_price.fixed", "reference_price.repriced")


def serve_notice(session: Session, recorded: Recorded) -> None:
    """Art. 21: the notice goes out with the price, in its transaction (well within the 3 days)."""
    pricing_id = recorded.event.data.get("reference_price_id")
    pricing = session.get(ReferencePrice, pricing_id) if pricing_id is not None else None
    if pricing is None:
        raise LookupError(f"{recorded.event.kind} names no reference price: nothing to serve")
    data = recorded.event.data
    issue_notice(
        session,
        SERVER,
        pricing,
        set_aside=frozenset(data.get("set_aside", ())),
        objected=frozenset(data.get("objected", ())),
    )


def car_left_custody(session: Session, recorded: Recorded) -> None:
    """``custody.released``: a reference price still being determined for the car is withdrawn."""
    actor = recorded.actor
    assert isinstance(actor, Principal)
    withdraw_for_custody(session, recorded.event.data["custody_id"], actor)

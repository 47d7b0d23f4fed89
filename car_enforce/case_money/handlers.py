"""What the case's account hears from the domains below it (registered in ``api.wiring``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.case_money import entries
from car_enforce.case_money.accounts import Source
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal


def debtor_paid(session: Session, recorded: Recorded) -> None:
    """``case.debtor_paid``: the debtor's payment is on the case's account, once."""
    data = recorded.event.data
    actor = recorded.actor
    assert isinstance(actor, Principal)
    entries.receive(
        session,
        int(data["case_id"]),
        amount_fen=int(data["amount_fen"]),
        source=Source.DEBTOR_PAYMENT,
        key=f"debtor-paid:{data['case_id']}",
        actor=actor,
        memo="被执行人履行款",
    )

"""The reference price hears its own events: a fixed (or re-fixed) price is served on the parties, and the
inquiry fee awarded after the sale is charged to the case."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.case_money.accounts import CostKind
from car_enforce.case_money.entries import charge_cost
from car_enforce.case_money.payees import organisation_payee
from car_enforce.cases.models import EnforcementCase
from car_enforce.core.events import Recorded
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody
from valuation.reference_price.models import InquiryFee, ReferencePrice
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


def fee_to_case(session: Session, recorded: Recorded) -> None:
    """``reference_price.fee_awarded``: the platform's part of the one inquiry fee is a cost of the case,
    owed to the platform and covered first from the proceeds (参考价规定 Art. 31; 执行工作规定 item 34); each
    part once, by its key."""
    actor = recorded.actor
    assert isinstance(actor, Principal)
    for fee_id in recorded.event.data.get("fees", ()):
        fee = session.get(InquiryFee, fee_id)
        if fee is None or fee.amount_fen <= 0:
            continue  # no fee agreed with that platform
        pricing = session.get(ReferencePrice, fee.pricing_id)
        custody = session.get(Custody, pricing.custody_id) if pricing is not None else None
        case = session.get(EnforcementCase, custody.case_id) if custody is not None else None
        platform = session.get(Organisation, fee.platform_id)
        assert case is not None and platform is not None
        charge_cost(
            session,
            case.id,
            payee_id=organisation_payee(session, case, platform, prefix="PLATFORM", actor=actor),
            kind=CostKind.INQUIRY_FEE,
            amount_fen=fee.amount_fen,
            key=f"inquiry-fee:{fee.id}",
            actor=actor,
            memo=f"网络询价费（{platform.name}，份额{fee.share}）",
        )

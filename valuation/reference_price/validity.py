"""What the price is good for once fixed: the sale it may carry (Art. 27), its expiry and the new procedure
that follows, and the one inquiry fee after the sale (Art. 31). The auction stage calls these."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, sweeps
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, DomainError
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody, CustodyStatus
from valuation.inquiry.models import InquiryPlatform
from valuation.reference_price import online, rules
from valuation.reference_price.models import (
    InquiryFee,
    PricingStatus,
    PricingStep,
    ReferencePrice,
    StepOutcome,
)
from valuation.reference_price.rules import Method
from valuation.reference_price.service import CarFacts, live_pricing, lock, open_pricing, record_event
from valuation.reference_price.serving import counted_results
from valuation.reference_price.transitions import MACHINE, status_zh

SYSTEM = Principal.system("reference-price-validity")


def may_sell(pricing: ReferencePrice, on: date) -> bool:
    """Whether the price still carries a sale on ``on`` (Art. 27)."""
    if pricing.status != PricingStatus.PRICED or pricing.valid_until is None:
        return False
    return rules.may_sell_on(pricing.valid_until, pricing.first_announced_on, on)


def mark_announced(session: Session, pricing: ReferencePrice, on: date) -> None:
    """The first auction announcement went out (the auction stage says so): it keeps the price good for a
    sale up to 6 months after its validity, if it went out within it (Art. 27)."""
    lock(session, pricing)
    if pricing.status != PricingStatus.PRICED:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: only a fixed price is announced",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，只有已确定的参考价才能发布拍卖公告",
        )
    if pricing.first_announced_on is None:
        pricing.first_announced_on = on


def _expired(pricing: ReferencePrice, today: date) -> bool:
    return pricing.valid_until is not None and not rules.may_sell_on(
        pricing.valid_until, pricing.first_announced_on, today
    )


def expire(session: Session, pricing: ReferencePrice, today: date) -> ReferencePrice | None:
    """The price ran out unused: it expires, and a new procedure opens with the same facts and the same
    methods passed over; an online price is asked of the platforms again (Art. 27, 11). The new one, or
    None when the car is no longer in custody."""
    lock(session, pricing)
    if pricing.status != PricingStatus.PRICED or not _expired(pricing, today):
        return None
    MACHINE.move(pricing, "expire")
    pricing.closed_at = clock.now()
    session.flush()
    record_event(
        session,
        SYSTEM,
        pricing,
        "reference_price.expired",
        {"valid_until": pricing.valid_until, "first_announced_on": pricing.first_announced_on},
        reason=rules.RULE_VALIDITY,
    )
    custody = session.get(Custody, pricing.custody_id)
    assert custody is not None
    if custody.status != CustodyStatus.IN_CUSTODY:
        return None
    facts = CarFacts(pricing.brand_model, pricing.first_registered_on, pricing.fuel)
    fresh = open_pricing(session, actor=SYSTEM, custody=custody, facts=facts, previous=pricing)
    for step in pricing.steps:
        if step.outcome == StepOutcome.PASSED:
            session.add(
                PricingStep(
                    pricing_id=fresh.id,
                    method=step.method,
                    outcome=StepOutcome.PASSED,
                    reason=step.reason,
                    note=f"沿用参考价{pricing.id}的认定：{step.note}",
                    recorded_at=clock.now(),
                    recorded_by=SYSTEM.label,
                )
            )
    session.flush()
    session.refresh(fresh)
    if pricing.method == Method.ONLINE:
        # Asked on the court's behalf, for the reason the officer gave the first time; if that cannot be
        # (no platform configured any more), the new procedure waits open for the officer instead.
        try:
            with session.begin_nested():
                online.start_online_for(session, actor=SYSTEM, pricing=fresh, reason=pricing.online_reason)
        except DomainError:
            session.refresh(fresh)
    return fresh


def expire_due(database: Database, *, today: date | None = None) -> list[int]:
    """The sweep: every fixed price past its use expires, one per transaction; the new procedures' ids."""
    day = today or clock.today_local()
    with database.unit_of_work(read_only=True) as session:
        ids = list(
            session.scalars(
                select(ReferencePrice.id)
                .where(ReferencePrice.status == PricingStatus.PRICED, ReferencePrice.valid_until < day)
                .order_by(ReferencePrice.id)
            )
        )

    def expire_one(session: Session, pricing_id: int) -> int | None:
        pricing = session.get(ReferencePrice, pricing_id)
        assert pricing is not None
        fresh = expire(session, pricing, day)
        return fresh.id if fresh is not None else None

    return sweeps.each(database, "reference-price-expire", ids, expire_one)


def award_fee(session: Session, pricing: ReferencePrice, final_price_fen: int) -> list[InquiryFee]:
    """After the sale: the one inquiry fee goes to the platform whose result was closest to the final price,
    shared on a tie (Art. 31). Recorded once; asking again returns the record."""
    existing = list(session.scalars(select(InquiryFee).where(InquiryFee.pricing_id == pricing.id)))
    if existing:
        return existing
    if pricing.method != Method.ONLINE:
        raise Conflict(
            f"reference price {pricing.id} was not an online inquiry: no inquiry fee is due",
            zh="此参考价不是经网络询价确定的，无需支付询价费",
        )
    rows = counted_results(session, pricing)
    results = {code: fen for code, _name, _number, fen in rows}
    shares = rules.fee_shares(results, final_price_fen)
    platform_ids = {r.platform_code: r.platform_id for r in pricing.requests}
    agreed: dict[str, int] = {
        code: fee
        for code, fee in session.execute(
            select(InquiryPlatform.code, InquiryPlatform.fee_fen).where(InquiryPlatform.code.in_(shares))
        )
    }
    fees = [
        InquiryFee(
            pricing_id=pricing.id,
            platform_id=platform_ids[code],
            share=str(share),
            final_price_fen=final_price_fen,
            result_fen=results[code],
            amount_fen=rules.fee_amount_fen(agreed.get(code, 0), share),
            decided_at=clock.now(),
        )
        for code, share in sorted(shares.items())
    ]
    session.add_all(fees)
    session.flush()
    record_event(
        session,
        SYSTEM,
        pricing,
        "reference_price.fee_awarded",
        {
            "final_price_fen": final_price_fen,
            "shares": {code: str(s) for code, s in shares.items()},
            "fees": [fee.id for fee in fees],
        },
        reason=rules.RULE_FEE,
    )
    return fees


def withdraw_for_custody(session: Session, custody_id: int, actor: Principal) -> ReferencePrice | None:
    """The car left custody (the debtor paid, the seizure was lifted, or the sale is done): a procedure still
    running is withdrawn and the platforms still working on it are told; a price already used stays."""
    pricing = live_pricing(session, custody_id)
    if pricing is None or (pricing.status == PricingStatus.PRICED and pricing.first_announced_on is not None):
        return None
    lock(session, pricing)
    online.withdraw_requests(session, pricing, "车辆已出库，询价撤回")
    MACHINE.move(pricing, "withdraw")
    pricing.closed_at = clock.now()
    session.flush()
    record_event(session, actor, pricing, "reference_price.withdrawn", {"status_before": "live"})
    return pricing

"""Bidders: registered for one round in their real name, checked against who may not bid (网拍规定 Art. 34;
拍卖变卖规定 Art. 22; 民诉法解释 Art. 488), with their deposit (Art. 17) before they bid."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import rules
from auction.lots import OPEN_ROUNDS, lock_round, record
from auction.models import (
    BUILTIN_PLATFORM,
    AuctionBidder,
    AuctionLot,
    AuctionRound,
    Deposit,
    DepositStatus,
    PriorityBuyer,
    RoundKind,
    RoundStatus,
)
from auction.rules import articles as a
from car_enforce.cases.models import EnforcementCase, Party, PartyRole
from car_enforce.core import clock, zh
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from car_enforce.core.identity.models import Organisation, OrgKind, Role, User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.identity.service import create_organisation, create_user

_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")  # 居民身份证号码
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")  # 统一社会信用代码: a company bids in its own name
SELF = Principal.system("buyer-sign-up")
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud without doubt


@dataclass(frozen=True, slots=True)
class Registration:
    real_name: str
    id_number: str  # the resident ID number (18 characters); only its digest and a masked form are kept
    phone: str = ""
    # What the bidder declares of themself (Art. 34): None, or the affiliation that bars them.
    affiliation: rules.Affiliation | None = None
    full_capacity: bool = True
    agent_name: str = ""  # bidding through an agent, whom the court confirms before bidding starts
    priority_code: str = ""  # a confirmed priority buyer's code (Art. 19)


def _number(session: Session, round_id: int) -> str:
    for _ in range(20):
        number = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(4))
        taken = session.scalar(
            select(AuctionBidder.id).where(AuctionBidder.round_id == round_id, AuctionBidder.number == number)
        )
        if taken is None:
            return number
    raise Conflict("no free bidder number; try again", zh="暂时无法分配竞买号，请重试")


def _applicant_claim(session: Session, lot: AuctionLot, user_id: int | None) -> int | None:
    """The applicant's outstanding claim when ``user_id`` is an applicant of the lot's case, else None."""
    if user_id is None:
        return None
    party = session.scalar(
        select(Party).where(
            Party.case_id == lot.case_id, Party.user_id == user_id, Party.role == PartyRole.APPLICANT
        )
    )
    if party is None:
        return None
    case = session.get(EnforcementCase, lot.case_id)
    assert case is not None
    return case.amount_owed_fen


_STAFF_ROLES = (Role.OFFICER, Role.AUCTION_STAFF, Role.CENTER_STAFF)


def _phone_of(session: Session, who: Principal) -> str:
    user = session.get(User, who.user_id) if who.user_id is not None else None
    return user.phone if user is not None else ""


def _known_staff(session: Session, lot: AuctionLot, phones: set[str]) -> rules.Affiliation | None:
    """What the platform itself knows (Art. 34): a phone that is a staff account's of the enforcing court,
    the center holding the car or an auction platform makes the bidder that staff, whatever they declared.
    (Close relatives the platform cannot know; they declare.)"""
    phones = {p for p in phones if p}
    if not phones:
        return None
    staff = session.scalars(
        select(User).where(User.phone.in_(phones), User.role.in_(_STAFF_ROLES), User.active.is_(True))
    )
    for user in staff:
        if user.organisation_id == lot.court_id:
            return rules.Affiliation.COURT_STAFF
        if user.organisation_id == lot.center_id or user.organisation.kind == OrgKind.AUCTION_PLATFORM:
            return rules.Affiliation.STAFF
    return None


def facts_of(bidder: AuctionBidder) -> rules.BidderFacts:
    deposit = bidder.deposit
    paid = (
        deposit.amount_fen
        if deposit is not None and deposit.status in (DepositStatus.HELD, DepositStatus.WAIVED)
        else 0
    )
    return rules.BidderFacts(
        identity=bidder.id_digest,
        affiliation=rules.Affiliation(bidder.affiliation) if bidder.affiliation else None,
        agent=bool(bidder.agent_name),
        agent_confirmed=bidder.agent_confirmed,
        applicant=bidder.applicant,
        claim_fen=bidder.claim_fen,
        deposit_paid_fen=paid,
        priority_rank=bidder.priority_rank,
    )


def eligibility_of(rnd: AuctionRound) -> rules.Eligibility:
    return rules.Eligibility(
        deposit_fen=rnd.deposit_fen, sale=rnd.kind == RoundKind.SALE, barred=frozenset(rnd.barred)
    )


def register(session: Session, *, who: Principal, rnd: AuctionRound, data: Registration) -> AuctionBidder:
    """Register ``who`` for the round: refused, naming the article, when the law bars them."""
    # The applicant bids with the account it follows its case with (Art. 17 ¶2); anyone else with a buyer's.
    if who.role not in (Role.BUYER, Role.APPLICANT) or who.user_id is None:
        raise Forbidden("bidders register with a buyer's account", zh="请使用竞买人账户报名")
    # Under the round's lock: the close cannot pass between the check and the registration, and the same
    # person's twin request finds the first registration instead of colliding with it.
    rnd = lock_round(session, rnd.id)
    if (
        rnd.status not in (RoundStatus.ANNOUNCED, RoundStatus.SUSPENDED)
        or clock.now() >= rnd.effective_end_at
    ):
        raise Conflict("this round is not open for registration", zh="此拍卖当前不接受报名")
    if rnd.platform != BUILTIN_PLATFORM:
        raise Conflict(
            f"this round runs on the platform {rnd.platform!r}: register and bid there",
            zh=f"此拍卖在网络司法拍卖平台 {rnd.platform} 进行，请在该平台报名竞买",
        )
    existing = session.scalar(
        select(AuctionBidder).where(AuctionBidder.round_id == rnd.id, AuctionBidder.user_id == who.user_id)
    )
    if existing is not None:
        return existing
    name = " ".join(data.real_name.split())
    if not 2 <= len(name) <= 64:
        raise InvalidInput("real_name", "the name on the ID card", zh="请填写身份证上的姓名")
    id_number = data.id_number.strip().upper()
    if not (_ID_NUMBER.match(id_number) or _CREDIT_CODE.match(id_number)):
        raise InvalidInput(
            "id_number",
            "an 18-character resident ID number, or a company's unified social credit code",
            zh="请填写18位居民身份证号码，单位竞买的填写统一社会信用代码",
        )
    lot = rnd.lot
    rank: int | None = None
    priority_id: int | None = None
    if data.priority_code.strip():
        holder = session.scalar(
            select(PriorityBuyer).where(
                PriorityBuyer.lot_id == lot.id,
                PriorityBuyer.code_digest == sha256_hex(data.priority_code.strip()),
                PriorityBuyer.confirmed_at.is_not(None),
            )
        )
        if holder is None:
            raise RuleViolation(
                "this priority-bid code is not one the court confirmed for this lot",
                rule=a.RULE_PRIORITY_CODE,
                zh="优先竞买代码无效：不是人民法院为本标的确认的优先购买权人代码",
                field="priority_code",
            )
        rank, priority_id = holder.rank, holder.id
    claim = _applicant_claim(session, lot, who.user_id)
    affiliation = data.affiliation or _known_staff(
        session, lot, {data.phone.strip(), _phone_of(session, who)}
    )
    bidder = AuctionBidder(
        round_id=rnd.id,
        user_id=who.user_id,
        number=_number(session, rnd.id),
        real_name=name,
        id_digest=sha256_hex(id_number),
        id_masked=zh.mask_id_number(id_number),
        phone=data.phone.strip(),
        affiliation=affiliation.value if affiliation else None,
        applicant=claim is not None,
        claim_fen=claim or 0,
        agent_name=data.agent_name.strip(),
        agent_confirmed=False,
        priority_buyer_id=priority_id,
        priority_rank=rank,
        deposit_due_fen=0,
        registered_at=clock.now(),
    )
    facts = facts_of(bidder)
    due = rules.required_deposit(rnd.deposit_fen, facts)
    # Everything but the deposit is checked now; the deposit is checked again at each bid.
    rules.check_bidder(
        replace(facts, deposit_paid_fen=due, agent_confirmed=True),
        eligibility_of(rnd),
    )
    bidder.deposit_due_fen = due
    session.add(bidder)
    session.flush()
    deposit = Deposit(
        bidder_id=bidder.id,
        amount_fen=due,
        status=DepositStatus.PENDING if due else DepositStatus.WAIVED,
    )
    session.add(deposit)
    session.flush()
    session.refresh(bidder)
    record(
        session,
        who,
        lot,
        "auction.bidder_registered",
        {"round_id": rnd.id, "bidder": bidder.number, "deposit_fen": due, "priority_rank": rank},
        reason=a.RULE_DEPOSIT_PAID,
    )
    return bidder


def deposit_paid(
    session: Session, *, actor: Principal, deposit: Deposit, order_id: str, at: datetime
) -> bool:
    """The gateway says the deposit was paid: the bidder may bid. False when it was already recorded. The
    round is locked before the deposit, in the order the close takes them."""
    bidder = deposit.bidder
    rnd = lock_round(session, bidder.round_id)
    session.execute(select(Deposit.id).where(Deposit.id == deposit.id).with_for_update())
    session.refresh(deposit)
    if deposit.status != DepositStatus.PENDING:
        return False
    if deposit.order_id and order_id != deposit.order_id:
        raise InvalidInput("order_id", "is not this deposit's order", zh="支付订单与保证金不符")
    deposit.status = DepositStatus.HELD
    deposit.order_id = order_id
    deposit.paid_at = clock.as_utc(at)
    closed = rnd.status not in OPEN_ROUNDS
    if closed:
        # Paid after the close: it goes straight back (Art. 23).
        deposit.status = DepositStatus.RELEASING
        deposit.due_at = clock.now() + a.DEPOSIT_HOURS
    session.flush()
    record(
        session,
        actor,
        rnd.lot,
        "auction.deposit_paid",
        {"round_id": rnd.id, "bidder": bidder.number, "amount_fen": deposit.amount_fen, "late": closed},
        reason=a.RULE_DEPOSIT_PAID,
    )
    return True


def bidder_of(session: Session, rnd_id: int, user_id: int | None) -> AuctionBidder:
    bidder = (
        session.scalar(
            select(AuctionBidder).where(AuctionBidder.round_id == rnd_id, AuctionBidder.user_id == user_id)
        )
        if user_id is not None
        else None
    )
    if bidder is None:
        raise not_registered()
    return bidder


def not_registered() -> RuleViolation:
    """The refusal of a bid from someone not registered for the round."""
    return RuleViolation(
        "register for this round and pay its deposit before bidding",
        rule=a.RULE_DEPOSIT_PAID,
        zh="请先报名并交纳保证金后再出价",
        field="bidder",
    )


def confirm_agent(session: Session, *, actor: Principal, bidder: AuctionBidder) -> None:
    """The court confirms a bidder's agent before bidding starts (Art. 14 ¶2)."""
    rnd = session.get(AuctionRound, bidder.round_id)
    assert rnd is not None
    if actor.role not in (Role.OFFICER, Role.ADMIN) or (
        actor.role == Role.OFFICER and actor.organisation_id != rnd.lot.court_id
    ):
        raise Forbidden("only the enforcing court confirms an agent", zh="只有执行法院才能确认委托代理人")
    if not bidder.agent_name:
        raise NotFound("this bidder named no agent", zh="该竞买人未委托代理人")
    if clock.now() >= rnd.starts_at:
        raise RuleViolation(
            "an agent is confirmed before bidding starts",
            rule=a.RULE_AGENT,
            zh="委托代理人应在竞价程序开始前经人民法院确认",
        )
    bidder.agent_confirmed = True
    session.flush()
    record(session, actor, rnd.lot, "auction.agent_confirmed", {"round_id": rnd.id, "bidder": bidder.number})


def sign_up(session: Session, *, username: str, password: str, display_name: str, phone: str = "") -> User:
    """A buyer's account for a member of the public, in the public organisation (made on first use); the
    real identity is given later, when registering for a round."""
    public = session.scalar(select(Organisation).where(Organisation.kind == OrgKind.PUBLIC))
    if public is None:
        public = create_organisation(session, actor=SELF, kind=OrgKind.PUBLIC, name="社会公众", code="PUBLIC")
    return create_user(
        session,
        actor=SELF,
        organisation_id=public.id,
        username=username,
        password=password,
        role=Role.BUYER,
        display_name=display_name,
        phone=phone,
    )

"""Who may bid: the exclusions of 网拍规定 Art. 34 (and 民诉法解释 Art. 488 in a sale), the buyer who
backed out (网拍规定 Art. 24, 拍卖变卖规定 Art. 22), capacity and agents (Art. 14), and the deposit paid
before bidding, the applicant's reduced by its claim (Art. 17). The service resolves the facts; the rule
decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from auction.rules import articles as a
from car_enforce.core import zh
from car_enforce.core.errors import RuleViolation


class Affiliation(StrEnum):
    """Why a person may not bid for this car (网拍规定 Art. 34)."""

    COURT = "court"  # the enforcing court (1)
    PLATFORM = "platform"  # the platform that runs the auction (2)
    AUXILIARY = "auxiliary"  # a firm doing auxiliary work: storage, inspection, valuation, transport (3)
    COURT_STAFF = "court_staff"  # the enforcing court's staff (4); in a sale also 民诉法解释 Art. 488
    STAFF = "staff"  # the platform's or an auxiliary firm's staff (4)
    RELATIVE = "relative"  # a close relative of any such staff (4)


AFFILIATION_NAMES_ZH: Mapping[Affiliation, str] = {
    Affiliation.COURT: "负责执行的人民法院",
    Affiliation.PLATFORM: "网络服务提供者",
    Affiliation.AUXILIARY: "承担拍卖辅助工作的社会机构或者组织",
    Affiliation.COURT_STAFF: "负责执行的人民法院的工作人员",
    Affiliation.STAFF: "网络服务提供者或者拍卖辅助机构的工作人员",
    Affiliation.RELATIVE: "上述工作人员的近亲属",
}


@dataclass(frozen=True, slots=True)
class BidderFacts:
    """One registered bidder as the service knows them."""

    identity: str  # the real-name key a default is recorded against (a digest of the ID number)
    affiliation: Affiliation | None = None
    full_capacity: bool = True
    agent: bool = False  # bids through an agent …
    agent_confirmed: bool = False  # … whom the court confirmed before bidding started
    applicant: bool = False  # the applicant for enforcement of this case
    claim_fen: int = 0  # the applicant's outstanding claim
    deposit_paid_fen: int = 0  # paid (or frozen) in the bidder's real name
    priority_rank: int | None = None  # a priority buyer the court confirmed, 1 first (Art. 19)


@dataclass(frozen=True, slots=True)
class Eligibility:
    """What a room asks of its bidders."""

    deposit_fen: int  # the lot's deposit; in a sale, the full price (UNCONFIRMED setting)
    sale: bool = False  # an online sale (变卖): the court and its staff are barred by 民诉法解释 Art. 488 too
    barred: frozenset[str] = field(default_factory=frozenset)  # identities that backed out of this car


def required_deposit(deposit_fen: int, bidder: BidderFacts) -> int:
    """The deposit this bidder pays: the lot's, or for the applicant only what its claim falls short of it
    (网拍规定 Art. 17 ¶2)."""
    if bidder.applicant:
        return max(0, deposit_fen - max(0, bidder.claim_fen))
    return deposit_fen


def check_bidder(bidder: BidderFacts, rules: Eligibility) -> None:
    """Refuse a bidder the law bars from this car, naming the article."""
    if bidder.affiliation is not None:
        name = AFFILIATION_NAMES_ZH[bidder.affiliation]
        court = bidder.affiliation in (Affiliation.COURT, Affiliation.COURT_STAFF)
        raise RuleViolation(
            f"a bidder affiliated as {bidder.affiliation.value} may not bid for this car",
            rule=a.RULE_SALE_COURT if rules.sale and court else a.RULE_EXCLUDED,
            zh=f"{name}不得竞买本标的",
            field="bidder",
        )
    if bidder.identity in rules.barred:
        raise RuleViolation(
            "this bidder backed out of an earlier sale of this car and may not bid in its re-auction",
            rule=a.RULE_DEFAULTER,
            zh="该竞买人曾对本标的悔拍，不得参加重新拍卖的竞买",
            field="bidder",
        )
    if not bidder.full_capacity:
        raise RuleViolation(
            "a bidder has full civil capacity",
            rule=a.RULE_CAPACITY,
            zh="竞买人应当具备完全民事行为能力",
            field="bidder",
        )
    if bidder.agent and not bidder.agent_confirmed:
        raise RuleViolation(
            "bidding through an agent needs the court's confirmation before bidding starts",
            rule=a.RULE_AGENT,
            zh="委托他人代为竞买的，应在竞价程序开始前经人民法院确认",
            field="agent",
        )
    due = required_deposit(rules.deposit_fen, bidder)
    if bidder.deposit_paid_fen < due:
        raise RuleViolation(
            f"the deposit is {zh.yuan(due)} yuan; {zh.yuan(bidder.deposit_paid_fen)} yuan paid",
            rule=a.RULE_DEPOSIT_PAID,
            zh=f"应交保证金{zh.yuan_text(due)}，已交{zh.yuan_text(bidder.deposit_paid_fen)}，未交足不得竞买",
            field="deposit",
        )

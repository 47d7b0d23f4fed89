"""The online judicial auction's rules, pure: no database, no clock, no HTTP (DESIGN §3, §4.9).

The services call these under one lock per lot: ``check_lot`` before an announcement, ``check_notices`` and
``check_disclosures`` with it, ``check_bidder`` before a bid, ``accept_bid`` / ``set_maximum`` with the
server's receipt time, ``suspend`` / ``resume``, and ``close`` at the effective end; after an unsold round,
``after_unsold``, ``check_again`` (via ``check_lot``), ``sale_terms`` or ``offset_terms``. Every refusal is a
``DomainError`` with its Chinese (``zh``) and the article it applies (a ``Rule``; ``articles`` lists them).
Money is integer fen; instants are timezone-aware; legal days are court periods counted by the calendar the
caller passes in (民诉法 Art. 85, RULES §5).

Readings the law leaves open, taken here on the safe side and to be confirmed with the court:
- the announcement (15 days, 7 for a re-auction), the 3-day notice and the 30-day window are counted as court
  periods (from the day after, a period ending on a holiday moved to the next working day); whether bidding
  may start on the 15th day itself is not said;
- a party who cannot be reached is told once 5 days of publication have run, and the 3 days come on top;
- a 60-day sale (变卖) is not checked against the reference price's validity at the period's end;
- a resumption later than 5 days after the cause ended (网拍规定 Art. 28) is flagged, not refused;
- a re-auction after a buyer backs out uses the round's own rules without the 30-day window;
- the applicant bids without a deposit up to its claim (Art. 17's shortfall) with no cap on its bids;
- the first bid at the starting price and "the leader may not re-bid" are platform practice;
- the sale's numbers (60 days, a 24-hour window, the full price as deposit) are UNCONFIRMED settings;
- 以物抵债 after an unsold first round is allowed (拍卖变卖规定 Art. 16 through 网拍规定 Art. 37).
"""

from auction.rules import articles
from auction.rules.announcement import (
    DISCLOSURE_NAMES_ZH,
    Disclosure,
    Notice,
    NoticeWay,
    check_disclosures,
    check_notices,
    deemed_told,
    earliest_announcement,
)
from auction.rules.bidders import (
    AFFILIATION_NAMES_ZH,
    Affiliation,
    BidderFacts,
    Eligibility,
    check_bidder,
    required_deposit,
)
from auction.rules.closing import Closing, DepositMove, close
from auction.rules.lot import (
    DEFAULT_INCREMENTS,
    IncrementBand,
    LotCheck,
    LotParams,
    ReferenceFacts,
    balance_due,
    check_increment_table,
    check_lot,
    default_increment,
    deposit_range,
    min_starting_price,
)
from auction.rules.room import (
    AcceptedBid,
    Bid,
    BidRefused,
    Leader,
    MaxBid,
    Room,
    RoomClosed,
    RoomKind,
    RoomTerms,
    accept_bid,
    auction_terms,
    is_over,
    open_room,
    refuse_outbid,
    resume,
    sale_terms_room,
    set_maximum,
    suspend,
)
from auction.rules.rounds import (
    NEXT_STEP_NAMES_ZH,
    UNCONFIRMED_SALE_DEFAULTS,
    NextStep,
    Offset,
    Resumption,
    RoundResult,
    SaleSettings,
    SaleTerms,
    Stage,
    after_unsold,
    check_again,
    check_resumption,
    offset_terms,
    resumption_due,
    sale_terms,
    second_round_floor,
)

__all__ = [
    "AFFILIATION_NAMES_ZH",
    "DEFAULT_INCREMENTS",
    "DISCLOSURE_NAMES_ZH",
    "NEXT_STEP_NAMES_ZH",
    "UNCONFIRMED_SALE_DEFAULTS",
    "AcceptedBid",
    "Affiliation",
    "Bid",
    "BidRefused",
    "BidderFacts",
    "Closing",
    "DepositMove",
    "Disclosure",
    "Eligibility",
    "IncrementBand",
    "Leader",
    "LotCheck",
    "LotParams",
    "MaxBid",
    "NextStep",
    "Notice",
    "NoticeWay",
    "Offset",
    "ReferenceFacts",
    "Resumption",
    "Room",
    "RoomClosed",
    "RoomKind",
    "RoomTerms",
    "RoundResult",
    "SaleSettings",
    "SaleTerms",
    "Stage",
    "accept_bid",
    "after_unsold",
    "articles",
    "auction_terms",
    "balance_due",
    "check_again",
    "check_bidder",
    "check_disclosures",
    "check_increment_table",
    "check_lot",
    "check_notices",
    "check_resumption",
    "close",
    "deemed_told",
    "default_increment",
    "deposit_range",
    "earliest_announcement",
    "is_over",
    "min_starting_price",
    "offset_terms",
    "open_room",
    "refuse_outbid",
    "required_deposit",
    "resume",
    "resumption_due",
    "sale_terms",
    "sale_terms_room",
    "second_round_floor",
    "set_maximum",
    "suspend",
]

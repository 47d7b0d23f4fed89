"""The case money's pure rules: the enforcement fee and the order in which money received is shared out.

Nothing here knows the database: amounts in, amounts out, all in integer fen.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from car_enforce.core.errors import Rule

K = TypeVar("K", bound=Hashable)  # names a creditor
C = TypeVar("C", bound=Hashable)  # names a cost

RULE_FEE = Rule(
    "诉讼费用交纳办法 Art. 14(2): 50 yuan up to 10,000 yuan enforced; of the part above, 1.5% to 500,000, "
    "1% to 5 million, 0.5% to 10 million, 0.1% beyond",
    "《诉讼费用交纳办法》第十四条第（二）项：执行金额不超过1万元的，每件交纳50元；超过1万元至50万元的部分，"
    "按照1.5%交纳；超过50万元至500万元的部分，按照1%交纳；超过500万元至1000万元的部分，按照0.5%交纳；"
    "超过1000万元的部分，按照0.1%交纳",
)
RULE_ORDER = Rule(
    "执行工作规定 item 34: the costs of the sale come first out of the proceeds, any surplus over the "
    "debt and the enforcement costs goes back to the debtor; 拍卖变卖规定 Art. 28: secured creditors are "
    "paid first",
    "《最高人民法院关于人民法院执行工作若干问题的规定（试行）》第34条：拍卖、变卖的实际费用从所得价款中优先扣除，"
    "超出执行标的数额和执行费用的部分退还被执行人；《拍卖变卖规定》第二十八条：拍卖所得价款优先清偿担保物权人",
)
# Case money is paid out within 30 days of its arrival, delayed only for the reasons on record. The
# SPC's rules on the management of case money (法发〔2017〕6号) are the source; the article number is
# unconfirmed (RULES.md §4), so it is not cited by number.
PAYOUT_DAYS = 30
RULE_PAYOUT = Rule(
    "SPC rules on case money (法发〔2017〕6号, article unconfirmed): paid out within 30 days of its arrival; "
    "delayed only for a pending distribution, money frozen elsewhere, a creditor unreachable or the case "
    "suspended",
    "《最高人民法院关于执行款物管理工作的规定》（法发〔2017〕6号，条文序号待核）：执行款应在到账后30日内发放；"
    "仅因分配方案未定、款项被他案冻结、申请执行人无法联系或案件中止执行等原因方可暂缓",
)

# (upper edge of the band in fen, rate in thousandths) — 诉讼费用交纳办法 Art. 14(2), marginal.
_FLAT_UP_TO = 1_000_000  # 10,000 yuan
_FLAT_FEE = 5_000  # 50 yuan
_BANDS = ((50_000_000, 15), (500_000_000, 10), (1_000_000_000, 5), (None, 1))


def enforcement_fee_fen(amount_fen: int) -> int:
    """The enforcement fee on ``amount_fen`` enforced (诉讼费用交纳办法 Art. 14(2)): 50 yuan up to 10,000
    yuan, then each part above at its band's rate, rounded to the fen (half up). Nothing enforced, no fee
    out of the proceeds (the 50-500 yuan of a case without an amount, Art. 14(1), is not taken from money
    that did not come)."""
    if amount_fen < 0:
        raise ValueError("an amount enforced cannot be negative")
    if amount_fen == 0:
        return 0
    thousandths = _FLAT_FEE * 1000
    lower = _FLAT_UP_TO
    for upper, rate in _BANDS:
        if amount_fen <= lower:
            break
        part = (amount_fen if upper is None else min(amount_fen, upper)) - lower
        thousandths += part * rate
        if upper is None:
            break
        lower = upper
    return (thousandths + 500) // 1000


def fee_of_distribution(room_fen: int, owed_fen: int, enforced_before_fen: int, fee_taken_fen: int) -> int:
    """The fee a distribution takes when ``room_fen`` is left after the costs for creditors owed ``owed_fen``:
    the fee on what the creditors get is borne beside it (诉讼费用交纳办法 Art. 14, on the amount enforced),
    so the creditors get the most ``x`` with ``x`` plus the fee on ``x`` within the room. The fee is on
    everything enforced so far less what earlier distributions took, so parts add up to the whole (the
    bands are marginal). A fen the rounding leaves over goes to the creditors: the fee never exceeds the
    rule's."""
    if min(room_fen, owed_fen, enforced_before_fen, fee_taken_fen) < 0:
        raise ValueError("amounts cannot be negative")

    def fee(x: int) -> int:
        return max(0, enforcement_fee_fen(enforced_before_fen + x) - fee_taken_fen)

    low, high = 0, min(room_fen, owed_fen)
    if high + fee(high) <= room_fen:
        return fee(high)
    while low < high:  # the largest x with x + fee(x) within the room; fee(x) grows with x
        mid = (low + high + 1) // 2
        if mid + fee(mid) <= room_fen:
            low = mid
        else:
            high = mid - 1
    return fee(low)


@dataclass(frozen=True, slots=True)
class Claim(Generic[K]):
    """What a creditor is still owed, and where it stands: secured creditors first, then by rank."""

    key: K
    outstanding_fen: int
    rank: int = 1
    secured: bool = False


@dataclass(frozen=True, slots=True)
class Plan(Generic[C, K]):
    """How ``available_fen`` is shared: the allocations sum to it exactly."""

    available_fen: int
    costs: tuple[tuple[C, int], ...]  # in the order given; 0 where nothing was left for it
    fee_fen: int
    claims: tuple[tuple[K, int], ...]  # in the order given
    surplus_fen: int  # to the debtor

    @property
    def total_fen(self) -> int:
        return (
            sum(a for _, a in self.costs) + self.fee_fen + sum(a for _, a in self.claims) + self.surplus_fen
        )


def _pro_rata(amount: int, claims: Sequence[tuple[int, int]]) -> list[int]:
    """``amount`` shared over ``claims`` ((position, outstanding), amount below their total) in proportion,
    in whole fen: each gets the floor of its share, and the fen left over go one each to the largest
    remainders (ties: the larger claim, then the earlier position), so none gets more than it is owed."""
    total = sum(c for _, c in claims)
    floors = [amount * c // total for _, c in claims]
    left = amount - sum(floors)
    order = sorted(
        range(len(claims)), key=lambda i: (-(amount * claims[i][1] % total), -claims[i][1], claims[i][0])
    )
    for i in order[:left]:
        floors[i] += 1
    return floors


def plan_distribution(
    available_fen: int,
    costs: Sequence[tuple[C, int]],
    fee_fen: int,
    claims: Sequence[Claim[K]],
) -> Plan[C, K]:
    """Share ``available_fen``: the costs first, in the order given, then the enforcement fee, then the
    creditors — secured ones first (拍卖变卖规定 Art. 28), rank 1 before rank 2, each rank in full if it can
    be, else pro rata by what each is owed — and what is left to the debtor (执行工作规定 item 34)."""
    if available_fen < 0 or fee_fen < 0:
        raise ValueError("amounts cannot be negative")
    if any(amount < 0 for _, amount in costs) or any(c.outstanding_fen < 0 for c in claims):
        raise ValueError("amounts cannot be negative")
    left = available_fen
    cost_shares: list[tuple[C, int]] = []
    for key, amount in costs:
        share = min(left, amount)
        cost_shares.append((key, share))
        left -= share
    fee = min(left, fee_fen)
    left -= fee
    shares = [0] * len(claims)
    groups: dict[tuple[bool, int], list[int]] = {}
    for i, claim in enumerate(claims):
        if claim.outstanding_fen > 0:
            groups.setdefault((not claim.secured, claim.rank), []).append(i)
    for group in (groups[g] for g in sorted(groups)):
        if left == 0:
            break
        owed = sum(claims[i].outstanding_fen for i in group)
        if owed <= left:
            for i in group:
                shares[i] = claims[i].outstanding_fen
            left -= owed
            continue
        for i, share in zip(
            group, _pro_rata(left, [(i, claims[i].outstanding_fen) for i in group]), strict=True
        ):
            shares[i] = share
        left = 0
    return Plan(
        available_fen=available_fen,
        costs=tuple(cost_shares),
        fee_fen=fee,
        claims=tuple((c.key, s) for c, s in zip(claims, shares, strict=True)),
        surplus_fen=left,
    )

"""Before and with the announcement: the parties and known priority buyers told at least 3 days before it
(网拍规定 Art. 16), and what it must show (Art. 13) and warn of (Art. 14)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from auction.rules import articles as a
from auction.rules.common import Calendar, later
from car_enforce.core import zh
from car_enforce.core.calendar.service import Deadline
from car_enforce.core.errors import RuleViolation

# --- the notices before the announcement (Art. 16) -------------------------------------------------------


class NoticeWay(StrEnum):
    SERVED = "served"  # in writing, or another way that confirms receipt
    PUBLISHED = (
        "published"  # unreachable: published on the platform with the reason; deemed told after 5 days
    )
    WAIVED = "waived"  # the holder gave up the right in writing: no notice is needed


@dataclass(frozen=True, slots=True)
class Notice:
    to: str  # whom: a party or a known priority buyer, as the service names them
    way: NoticeWay
    on: date  # served, published or waived on


def deemed_told(notice: Notice, calendar: Calendar) -> Deadline | None:
    """The day a notice counts from; None for a waiver."""
    if notice.way is NoticeWay.WAIVED:
        return None
    if notice.way is NoticeWay.PUBLISHED:
        return calendar.court_period_end(notice.on, a.NOTICE_PUBLISHED_DAYS)
    return Deadline(notice.on, False)


def earliest_announcement(
    required: Collection[str], notices: Collection[Notice], calendar: Calendar
) -> Deadline | None:
    """The first day the announcement may go out: 3 days after the last required notice took effect; None
    when every required one waived. Refuses when a party or known priority buyer was not told at all."""
    by_whom: dict[str, list[Notice]] = {}
    for n in notices:
        by_whom.setdefault(n.to, []).append(n)
    missing = sorted(set(required) - by_whom.keys())
    if missing:
        raise RuleViolation(
            f"not yet told: {', '.join(missing)}",
            rule=a.RULE_NOTICE,
            zh=f"尚未通知：{'、'.join(missing)}",
            field="notices",
        )
    dues: list[Deadline] = []
    for whom in sorted(set(required)):
        told = [deemed_told(n, calendar) for n in by_whom[whom]]
        if any(t is None for t in told):
            continue
        # The earliest notice that took effect is the one the period runs from.
        first = min((t for t in told if t is not None), key=lambda t: t.on)
        due = calendar.court_period_end(first.on, a.NOTICE_DAYS)
        dues.append(Deadline(due.on, due.provisional or first.provisional))
    return later(*dues) if dues else None


def check_notices(
    required: Collection[str], notices: Collection[Notice], announced_on: date, calendar: Calendar
) -> None:
    """Refuse an announcement fewer than 3 days after a party or known priority buyer was told (Art. 16)."""
    earliest = earliest_announcement(required, notices, calendar)
    if earliest is not None and announced_on < earliest.on:
        raise RuleViolation(
            f"the parties and known priority buyers are told 3 days before the announcement: "
            f"announce on {earliest.on.isoformat()} or later",
            rule=a.RULE_NOTICE,
            zh=f"应在拍卖公告发布三日前通知当事人和已知优先购买权人，公告最早可于{zh.day(earliest.on)}发布",
            field="announced_at",
        )


# --- what the announcement shows (Art. 13, 14) -----------------------------------------------------------


class Disclosure(StrEnum):
    # 网拍规定 Art. 13
    ANNOUNCEMENT = "announcement"
    TITLE = "enforcement_title"  # unless the law forbids publishing it (then the reason stands in for it)
    PRICING_BASIS = "pricing_basis"
    TIME_PRICE_RULES = "time_price_rules"
    CONDITION = "condition"  # ownership, possession, use, with text, video or photos
    PRIORITY_BUYERS = (
        "priority_buyers"  # who holds a priority right and of what kind ("none" is a disclosure)
    )
    NOTICES = "notices"  # who was told, and who could not be and why
    PAYMENT = "payment"  # how and where the deposit and the price are paid
    TAXES = "taxes"  # the taxes of the transfer and who bears them
    COURT_CONTACT = "court_contact"
    # 网拍规定 Art. 14
    CAPACITY = "warn_capacity"
    AGENT = "warn_agent"
    DEFECTS = "warn_defects"
    AS_IS = "warn_as_is"  # sold as it stands; viewing on request
    ACCEPTANCE = "warn_acceptance"  # bidding accepts every known and unknown defect
    CONFIRMATION_PUBLIC = "warn_confirmation_public"
    DEFAULT_FORFEITS = "warn_default_forfeits"


DISCLOSURE_NAMES_ZH: Mapping[Disclosure, str] = {
    Disclosure.ANNOUNCEMENT: "拍卖公告",
    Disclosure.TITLE: "执行所依据的法律文书",
    Disclosure.PRICING_BASIS: "评估报告副本或者未经评估的定价依据",
    Disclosure.TIME_PRICE_RULES: "拍卖时间、起拍价以及竞价规则",
    Disclosure.CONDITION: "拍卖财产现状的文字说明、视频或者照片",
    Disclosure.PRIORITY_BUYERS: "优先购买权主体以及权利性质",
    Disclosure.NOTICES: "通知或者无法通知当事人、已知优先购买权人的情况",
    Disclosure.PAYMENT: "拍卖保证金、拍卖款项支付方式和账户",
    Disclosure.TAXES: "产权转移可能产生的税费及承担方式",
    Disclosure.COURT_CONTACT: "执行法院名称，联系、监督方式",
    Disclosure.CAPACITY: "竞买人应当具备完全民事行为能力",
    Disclosure.AGENT: "委托他人代为竞买的须在竞价程序开始前经人民法院确认",
    Disclosure.DEFECTS: "拍卖财产已知瑕疵和权利负担",
    Disclosure.AS_IS: "以实物现状为准，可申请实地看样",
    Disclosure.ACCEPTANCE: "参与竞买视为接受拍卖财产一切已知和未知瑕疵",
    Disclosure.CONFIRMATION_PUBLIC: "载明买受人真实身份的成交确认书将公示",
    Disclosure.DEFAULT_FORFEITS: "买受人悔拍后保证金不予退还",
}

WARNINGS = frozenset(d for d in Disclosure if d.value.startswith("warn_"))


def check_disclosures(provided: Collection[str]) -> None:
    """Refuse an announcement that lacks an item of Art. 13 or a special warning of Art. 14."""
    missing = [d for d in Disclosure if d not in set(provided)]
    if not missing:
        return
    first = missing[0]
    rule = a.RULE_WARNINGS if first in WARNINGS else a.RULE_DISCLOSURE
    raise RuleViolation(
        f"the announcement lacks: {', '.join(d.value for d in missing)}",
        rule=rule,
        zh=f"拍卖公告缺少：{'；'.join(DISCLOSURE_NAMES_ZH[d] for d in missing)}",
        field=first.value,
    )

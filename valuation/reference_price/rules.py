"""The reference price's rules (参考价规定, 法释〔2018〕15号), pure: no database, no clock, no HTTP.

The services decide with these functions and record what they decided; every refusal names its article.
Periods are court periods (民诉法 Art. 85: the first day is not counted, a period ending on a holiday ends
on the next working day), computed by the calendar the caller passes in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Protocol

from car_enforce.core import zh
from car_enforce.core.calendar.service import Deadline
from car_enforce.core.errors import Rule, RuleViolation

# --- the numbers, each with its article ------------------------------------------------------------------

START_WITHIN_DAYS = 30  # Art. 1: the procedure starts within 30 days of the seizure
ONLINE_REPORT_DAYS = 3  # Art. 11: a platform reports within 3 days of receiving the request
ONLINE_EXTENSION_DAYS = 3  # Art. 11: when no platform delivered, 3 more days to those that asked in time
CORRECTION_DAYS = 3  # Art. 12: corrections when every report has basic errors
APPRAISAL_REPORT_DAYS = 30  # Art. 19
APPRAISAL_MAX_EXTENSIONS = 2  # Art. 19: at most two extensions …
APPRAISAL_EXTENSION_MAX_DAYS = 15  # … of at most 15 days each
APPRAISAL_FIRMS = 3  # Art. 16: three firms, agreed by the parties or drawn by lot, in order
SERVICE_DAYS = 3  # Art. 21: reports go to the parties within 3 days of receipt
PUBLIC_NOTICE_DAYS = 15  # Art. 21: an unreachable party is deemed served 15 days after the public notice
OBJECTION_DAYS = 5  # Art. 22: objections in writing within 5 days of receipt
VALIDITY_MAX_MONTHS = 12  # Art. 27: a result is valid for at most one year
SALE_GRACE_MONTHS = 6  # Art. 27: announced within validity, the sale may follow up to 6 months after expiry
ONLINE_REISSUE_DAYS = 3  # Art. 11: a new online report within 3 days when the validity ran out unused
DISPOSAL_WITHIN_DAYS = 10  # Art. 30: the sale procedure starts within 10 days of the price

RULE_ORDER = Rule(
    "参考价规定 Art. 4, 5, 7, 14: agreed price, then directed inquiry, then online inquiry, then appraisal",
    "《参考价规定》第四条、第五条、第七条、第十四条：先由当事人议价；议价不能或者不成的，定向询价；"
    "定向询价不能或者不成的，网络询价；网络询价不能或者不成的，委托评估",
)
RULE_ONLINE_ALLOWED = Rule(
    "参考价规定 Art. 7: online inquiry only for property that needs no on-site inspection",
    "《参考价规定》第七条：财产无需由专业人员现场勘验或者鉴定，且具备网络询价条件的，才进行网络询价",
)
RULE_REPORT_PERIOD = Rule(
    "参考价规定 Art. 11",
    "《参考价规定》第十一条：司法网络询价平台应当在收到网络询价委托书之日起三日内出具网络询价报告",
)
RULE_EXTENSION = Rule(
    "参考价规定 Art. 11: an extension only when no platform delivered, to those that asked in time",
    "《参考价规定》第十一条：全部司法网络询价平台均未能在期限内出具询价结果的，才根据各平台在期限届满前"
    "提出的申请延期三日；部分平台在期限内出具结果的，对其他平台的延期申请不予准许",
)
RULE_CORRECTION = Rule(
    "参考价规定 Art. 12: corrections only when every report has basic errors",
    "《参考价规定》第十二条：网络询价报告均存在财产基本信息错误、超出财产范围或者遗漏财产等情形的，"
    "才通知平台在三日内补正",
)
RULE_MEAN = Rule(
    "参考价规定 Art. 13: the mean of the results delivered in time and not objected to",
    "《参考价规定》第十三条：以在期限内出具询价结果或者补正结果的平台所出结果（异议成立的除外）的平均值为参考价",
)
RULE_OBJECTION = Rule(
    "参考价规定 Art. 22: objections within 5 days of receipt, on the four grounds",
    "《参考价规定》第二十二条：当事人、利害关系人可以在收到报告后五日内，以财产基本信息错误，超出财产范围"
    "或者遗漏财产，评估机构或者评估人员不具备相应评估资质，评估程序严重违法为由提出书面异议",
)
RULE_NO_OBJECTION = Rule(
    "参考价规定 Art. 24: no objection against an agreed price or a directed inquiry",
    "《参考价规定》第二十四条：异议只针对网络询价报告和评估报告；对当事人议价、定向询价确定的参考价"
    "提出的异议，人民法院不予受理",
)
RULE_VALIDITY = Rule(
    "参考价规定 Art. 27: valid for at most one year; a sale announced in time may follow within 6 months",
    "《参考价规定》第二十七条：结果的有效期最长不得超过一年；在有效期内发布一拍拍卖公告或者直接进入变卖程序，"
    "拍卖、变卖时未超过有效期六个月的，无需重新确定参考价",
)
RULE_FEE = Rule(
    "参考价规定 Art. 31: one fee, to the platform closest to the final price, split on a tie",
    "《参考价规定》第三十一条：网络询价费用按次计付给出具结果与财产处置成交价最接近的平台；"
    "结果相同或者差距相同的，费用平均分配",
)
RULE_APPRAISAL_PERIOD = Rule(
    "参考价规定 Art. 19: an appraisal report within 30 days; at most two extensions of at most 15 days each",
    "《参考价规定》第十九条：评估机构应当在三十日内出具评估报告；人民法院决定延长期限的，"
    "延期次数不超过两次，每次不超过十五日",
)
# The articles a fixed price rests on, by the method that fixed it.
RULE_AGREED = Rule("参考价规定 Art. 4", "《参考价规定》第四条：当事人议价确定参考价")
RULE_DIRECTED = Rule("参考价规定 Art. 5", "《参考价规定》第五条：定向询价确定参考价")
RULE_APPRAISED = Rule("参考价规定 Art. 14–20", "《参考价规定》第十四条至第二十条：委托评估机构评估确定参考价")


class Calendar(Protocol):
    def court_period_end(self, start: date, days: int) -> Deadline: ...


# --- the methods and their order (Art. 2, 4–7, 14) ----------------------------------------------------


class Method(StrEnum):
    AGREED = "agreed"  # 当事人议价 (Art. 4)
    DIRECTED = "directed"  # 定向询价 (Art. 5–6)
    ONLINE = "online"  # 网络询价 (Art. 7–13)
    APPRAISAL = "appraisal"  # 委托评估 (Art. 14–20)


ORDER = (Method.AGREED, Method.DIRECTED, Method.ONLINE, Method.APPRAISAL)
NAMES_ZH = {
    Method.AGREED: "当事人议价",
    Method.DIRECTED: "定向询价",
    Method.ONLINE: "网络询价",
    Method.APPRAISAL: "委托评估",
}


class SkipReason(StrEnum):
    """Why a method was passed over: each is what its article accepts, and no other."""

    PARTY_REFUSED = "party_refused"  # Art. 4: a party refuses to agree a price
    PARTY_UNREACHABLE = "party_unreachable"  # Art. 4: a party cannot be found
    NO_AGREEMENT = "no_agreement"  # Art. 5: the parties' prices differ, or none came in the period
    NO_OFFICIAL_PRICE = "no_official_price"  # Art. 5: no tax base price, government price or guide price
    PARTIES_ASKED_LATER_METHOD = "parties_asked_later_method"  # Art. 5 ¶2, 7 ¶2, 14: both parties ask
    NEEDS_ON_SITE_INSPECTION = "needs_on_site_inspection"  # Art. 7, 14: professionals must see it
    LAW_REQUIRES_APPRAISAL = "law_requires_appraisal"  # Art. 14
    FAILED = "failed"  # Art. 6, 11, 14: the method was tried and gave no result


SKIP_NAMES_ZH: Mapping[str, str] = {
    SkipReason.PARTY_REFUSED: "当事人拒绝议价",
    SkipReason.PARTY_UNREACHABLE: "当事人下落不明",
    SkipReason.NO_AGREEMENT: "议价不成",
    SkipReason.NO_OFFICIAL_PRICE: "无计税基准价、政府定价或政府指导价",
    SkipReason.PARTIES_ASKED_LATER_METHOD: "双方当事人一致要求采用后续方式",
    SkipReason.NEEDS_ON_SITE_INSPECTION: "需现场专业勘验",
    SkipReason.LAW_REQUIRES_APPRAISAL: "法律规定须委托评估",
    SkipReason.FAILED: "未获有效结果",
}


def skip_zh(reason: str) -> str:
    """A pass-over reason by its Chinese name (as sent, when it is not one of ours)."""
    return SKIP_NAMES_ZH.get(reason, reason)


ACCEPTED_SKIPS: Mapping[Method, frozenset[SkipReason]] = {
    Method.AGREED: frozenset(
        {
            SkipReason.PARTY_REFUSED,
            SkipReason.PARTY_UNREACHABLE,
            SkipReason.NO_AGREEMENT,
            SkipReason.PARTIES_ASKED_LATER_METHOD,
            SkipReason.LAW_REQUIRES_APPRAISAL,
        }
    ),
    Method.DIRECTED: frozenset(
        {
            SkipReason.NO_OFFICIAL_PRICE,
            SkipReason.FAILED,
            SkipReason.PARTIES_ASKED_LATER_METHOD,
            SkipReason.LAW_REQUIRES_APPRAISAL,
        }
    ),
    Method.ONLINE: frozenset(
        {
            SkipReason.NEEDS_ON_SITE_INSPECTION,
            SkipReason.FAILED,
            SkipReason.PARTIES_ASKED_LATER_METHOD,
            SkipReason.LAW_REQUIRES_APPRAISAL,
        }
    ),
    Method.APPRAISAL: frozenset(),  # the last method: nothing follows it
}


@dataclass(frozen=True, slots=True)
class Passed:
    """A method passed over, and why."""

    method: Method
    reason: SkipReason


def check_order(method: Method, passed: Sequence[Passed]) -> None:
    """Refuse ``method`` unless every method before it was passed over, in order, for a reason its
    article accepts."""
    earlier = ORDER[: ORDER.index(method)]
    seen = tuple(p.method for p in passed)
    if seen != earlier:
        missing = [NAMES_ZH[m] for m in earlier if m not in seen]
        if missing:
            detail = (
                f"{NAMES_ZH[method]} comes after {'、'.join(missing)}, which was not tried or passed over"
            )
            detail_zh = f"尚未进行或依法不采用{'、'.join(missing)}，不能进行{NAMES_ZH[method]}"
        else:
            detail = f"the methods before {NAMES_ZH[method]} were passed over out of order"
            detail_zh = f"{NAMES_ZH[method]}之前的定价方式未按顺序不采用"
        raise RuleViolation(detail, rule=RULE_ORDER, zh=detail_zh)
    for p in passed:
        if p.reason not in ACCEPTED_SKIPS[p.method]:
            raise RuleViolation(
                f"{NAMES_ZH[p.method]} cannot be passed over for '{p.reason}'",
                rule=RULE_ORDER,
                zh=f"{NAMES_ZH[p.method]}不能以“{skip_zh(p.reason)}”为由不采用",
            )


def check_online_allowed(needs_on_site_inspection: bool, why_not_needed: str | None) -> None:
    """Online inquiry only for a car no professional needs to inspect on site; the officer says why."""
    if needs_on_site_inspection:
        raise RuleViolation(
            "this car needs an on-site appraisal, not an online inquiry",
            rule=RULE_ONLINE_ALLOWED,
            zh="此车辆需要现场专业勘验，应委托评估，不能网络询价",
        )
    if not (why_not_needed and why_not_needed.strip()):
        raise RuleViolation(
            "say why the car needs no on-site inspection before asking the platforms",
            rule=RULE_ONLINE_ALLOWED,
            zh="发起网络询价前，请说明车辆无需现场勘验的理由",
        )


# --- the mean (Art. 13) -----------------------------------------------------------------------------------


def mean_fen(results: Collection[int]) -> int:
    """The arithmetic mean of the results in fen, rounded half up (half a fen goes up, never to even)."""
    if not results:
        raise RuleViolation("no result to take the mean of", rule=RULE_MEAN, zh="没有可以计算平均值的结果")
    if any(r <= 0 for r in results):
        raise RuleViolation(
            "a result must be a positive amount", rule=RULE_MEAN, zh="询价或评估结果应为正数金额"
        )
    mean = Decimal(sum(results)) / Decimal(len(results))
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- online inquiry at its deadline (Art. 11–13) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlatformState:
    """One platform's answer as it stood when its deadline passed."""

    platform: str
    result_fen: int | None = None  # delivered in time (or within its extension, or corrected in time)
    asked_extension: bool = False  # asked for more time before its deadline
    basic_errors: bool = False  # the report names the wrong car, or the wrong scope (Art. 12)


class Next(StrEnum):
    PRICE = "price"  # the mean of the reports that count
    EXTEND = "extend"  # Art. 11: 3 more days to the platforms that asked
    CORRECT = "correct"  # Art. 12: every report must be corrected within 3 days
    APPRAISE = "appraise"  # Art. 11 ¶3: nobody delivered and nobody asked: appraisal


@dataclass(frozen=True, slots=True)
class Decision:
    next: Next
    platforms: tuple[str, ...]  # those whose results count (PRICE), who get more time, or must correct
    price_fen: int | None = None
    rule: str = ""


def at_deadline(
    states: Sequence[PlatformState], *, extended: bool = False, corrected: bool = False
) -> Decision:
    """What follows once the report deadline (``extended``: the extension's; ``corrected``: the corrections')
    has passed."""
    delivered = [s for s in states if s.result_fen is not None]
    if not delivered:
        asked = tuple(s.platform for s in states if s.asked_extension)
        if asked and not extended and not corrected:
            return Decision(Next.EXTEND, asked, rule=RULE_EXTENSION)
        return Decision(Next.APPRAISE, (), rule=RULE_EXTENSION)
    sound = [s for s in delivered if not s.basic_errors]
    if not sound:
        if corrected:  # the corrections came back wrong again: nothing lawful to take the mean of
            return Decision(Next.APPRAISE, (), rule=RULE_CORRECTION)
        return Decision(Next.CORRECT, tuple(s.platform for s in delivered), rule=RULE_CORRECTION)
    results = [s.result_fen for s in sound if s.result_fen is not None]
    return Decision(Next.PRICE, tuple(s.platform for s in sound), mean_fen(results), rule=RULE_MEAN)


def extension_granted(states: Sequence[PlatformState], platform: str) -> bool:
    """Art. 11: a platform's request for more time counts only when no platform delivered in time."""
    return not any(s.result_fen is not None for s in states) and any(
        s.platform == platform and s.asked_extension for s in states
    )


def price_after_objections(
    results: Mapping[str, int], objected: Collection[str], upheld: Collection[str]
) -> int:
    """Art. 13 ¶2. Objections against some reports: the mean of the reports not objected to. Objections
    against all of them: the mean of those whose objection was dismissed (or which were corrected)."""
    unknown = (set(objected) | set(upheld)) - results.keys()
    if unknown:
        raise RuleViolation(
            f"no report from {', '.join(sorted(unknown))}",
            rule=RULE_MEAN,
            zh=f"没有 {'、'.join(sorted(unknown))} 的报告",
        )
    untouched = [fen for platform, fen in results.items() if platform not in objected]
    if untouched:
        return mean_fen(untouched)
    standing = [fen for platform, fen in results.items() if platform not in upheld]
    if not standing:
        raise RuleViolation(
            "every report was set aside: a new inquiry or an appraisal is needed",
            rule=RULE_MEAN,
            zh="各份报告的异议均成立，需重新询价或委托评估",
        )
    return mean_fen(standing)


# --- objections (Art. 22, 24) ----------------------------------------------------------------------------


class Ground(StrEnum):
    BASIC_DATA = "basic_data"  # 财产基本信息错误
    SCOPE = "scope"  # 超出财产范围或者遗漏财产
    QUALIFICATION = "qualification"  # 评估机构或者评估人员不具备相应评估资质
    PROCEDURE = "procedure"  # 评估程序严重违法


GROUND_NAMES_ZH: Mapping[Ground, str] = {
    Ground.BASIC_DATA: "财产基本信息错误",
    Ground.SCOPE: "超出财产范围或者遗漏财产",
    Ground.QUALIFICATION: "评估机构或者评估人员不具备相应评估资质",
    Ground.PROCEDURE: "评估程序严重违法",
}


def objection_due(received_on: date, calendar: Calendar) -> Deadline:
    return calendar.court_period_end(received_on, OBJECTION_DAYS)


def check_objection(
    method: Method, grounds: Collection[str], received_on: date, filed_on: date, calendar: Calendar
) -> tuple[Ground, ...]:
    """The objection's grounds, or a refusal naming the article: none against an agreed price or a directed
    inquiry, only the four grounds, only within five days of receipt."""
    if method in (Method.AGREED, Method.DIRECTED):
        raise RuleViolation(
            f"no objection lies against {NAMES_ZH[method]}",
            rule=RULE_NO_OBJECTION,
            zh=f"对{NAMES_ZH[method]}确定的参考价不能提出异议",
        )
    if not grounds:
        raise RuleViolation(
            "an objection names at least one of the four grounds",
            rule=RULE_OBJECTION,
            zh="异议应至少列明一项法定事由",
        )
    valid = {g.value for g in Ground}
    other = sorted(set(grounds) - valid)
    if other:
        raise RuleViolation(
            f"not a ground of Art. 22: {', '.join(other)} (grounds: {', '.join(sorted(valid))})",
            rule=RULE_OBJECTION,
            zh=f"“{'、'.join(other)}”不是法定异议事由；法定事由为：{'、'.join(GROUND_NAMES_ZH.values())}",
        )
    if filed_on < received_on:
        raise RuleViolation(
            "an objection cannot come before the report was received",
            rule=RULE_OBJECTION,
            zh="异议不能早于收到报告之日",
        )
    due = objection_due(received_on, calendar)
    if filed_on > due.on:
        raise RuleViolation(
            f"the report was received on {received_on.isoformat()}: "
            f"objections were due by {due.on.isoformat()}",
            rule=RULE_OBJECTION,
            zh=f"报告于{zh.day(received_on)}收到，提出异议的期限已于{zh.day(due.on)}届满",
        )
    return tuple(Ground(g) for g in sorted(set(grounds)))


# --- the appraisal's period (Art. 19) ----------------------------------------------------------------------


def check_appraisal_extension(already: int, days: int) -> None:
    """Refuse an extension beyond the second, or one longer than 15 days (or shorter than one)."""
    if already >= APPRAISAL_MAX_EXTENSIONS:
        raise RuleViolation(
            f"the firm had {already} extensions already, the most Art. 19 allows",
            rule=RULE_APPRAISAL_PERIOD,
            zh=f"评估机构已延期 {already} 次，已达规定的上限",
        )
    if not 1 <= days <= APPRAISAL_EXTENSION_MAX_DAYS:
        raise RuleViolation(
            f"an extension is 1 to {APPRAISAL_EXTENSION_MAX_DAYS} days, not {days}",
            rule=RULE_APPRAISAL_PERIOD,
            zh=f"每次延期应为 1 至 {APPRAISAL_EXTENSION_MAX_DAYS} 日",
        )


def appraisal_due(entrusted_on: date, extensions_days: Sequence[int], calendar: Calendar) -> Deadline:
    """When the report is due: 30 days from the entrustment, each extension running on from the day the
    previous period ended (a court period each, so each end may move past a holiday)."""
    due = calendar.court_period_end(entrusted_on, APPRAISAL_REPORT_DAYS)
    provisional = due.provisional
    for already, days in enumerate(extensions_days):
        check_appraisal_extension(already, days)
        due = calendar.court_period_end(due.on, days)
        provisional = provisional or due.provisional
    return Deadline(due.on, provisional)


# --- validity (Art. 27) ----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it has none (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def check_validity(issued_on: date, valid_until: date) -> None:
    if valid_until < issued_on:
        raise RuleViolation(
            "a result cannot expire before it was issued",
            rule=RULE_VALIDITY,
            zh="有效期截止日不能早于出具之日",
        )
    if valid_until > add_months(issued_on, VALIDITY_MAX_MONTHS):
        raise RuleViolation(
            "a result is valid for one year at most", rule=RULE_VALIDITY, zh="参考价的有效期最长为一年"
        )


def may_sell_on(valid_until: date, first_announced_on: date | None, sale_on: date) -> bool:
    """Whether the price still holds for a sale on ``sale_on``: within validity, or within six months after
    it when the first announcement (or the direct sale) started within validity."""
    if sale_on <= valid_until:
        return True
    if first_announced_on is None or first_announced_on > valid_until:
        return False
    return sale_on <= add_months(valid_until, SALE_GRACE_MONTHS)


# --- the fee (Art. 31) -----------------------------------------------------------------------------------


def fee_shares(results: Mapping[str, int], final_price_fen: int) -> dict[str, Fraction]:
    """Who is paid the one inquiry fee: the platform whose result was closest to the final price; platforms
    equally close (or with the same result) share it equally."""
    if not results:
        raise RuleViolation("no platform delivered a result", rule=RULE_FEE, zh="没有询价平台出具结果")
    if final_price_fen <= 0:
        raise RuleViolation(
            "the final price must be a positive amount", rule=RULE_FEE, zh="最终成交价应为正数金额"
        )
    distance = {platform: abs(fen - final_price_fen) for platform, fen in results.items()}
    closest = min(distance.values())
    winners = sorted(p for p, d in distance.items() if d == closest)
    return {p: Fraction(1, len(winners)) for p in winners}


def fee_amount_fen(agreed_fen: int, share: Fraction) -> int:
    """A platform's part of the one fee: its agreed fee times its share, to the fen (half up)."""
    exact = agreed_fen * share
    return int(exact.numerator * 2 + exact.denominator) // (2 * exact.denominator)


__all__ = [
    "ORDER",
    "Decision",
    "Ground",
    "Method",
    "Next",
    "Passed",
    "PlatformState",
    "SkipReason",
    "appraisal_due",
    "at_deadline",
    "check_appraisal_extension",
    "check_objection",
    "check_online_allowed",
    "check_order",
    "check_validity",
    "extension_granted",
    "fee_amount_fen",
    "fee_shares",
    "may_sell_on",
    "mean_fen",
    "price_after_objections",
]

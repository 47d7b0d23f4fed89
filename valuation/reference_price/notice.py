"""The notice of the reference price (参考价通知书), pure: no database, no clock.

What the court tells the parties once the price is fixed (参考价规定 Art. 21): the car, the method, each
platform's result, the price and how it was computed, how long it holds (Art. 27), and whether and how they
may object (Art. 22–24). The printed notice (``notice_pdf``), the text message and the public notice for an
unreachable party are all built from one ``NoticeContent``, so they cannot disagree.

Nothing personal is printed beyond what the caller passes in (a party's label on a public notice): the
content has no field for a debtor's ID number or phone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from car_enforce.core import zh
from car_enforce.core.errors import RuleViolation
from valuation.reference_price import rules
from valuation.reference_price.rules import Ground, Method

LAW = "《最高人民法院关于人民法院确定财产处置参考价若干问题的规定》"
SHORT = "《参考价规定》"
TITLE = "参考价通知书"
SUBTITLES: Mapping[Method, str] = {
    Method.AGREED: "当事人议价结果送达通知",
    Method.DIRECTED: "定向询价结果送达通知",
    Method.ONLINE: "网络询价报告送达通知",
    Method.APPRAISAL: "评估报告送达通知",
}
# The articles that govern each method (Art. 4; 5–6; 7, 10–13; 14–20).
METHOD_ARTICLES: Mapping[Method, str] = {
    Method.AGREED: "第四条",
    Method.DIRECTED: "第五条、第六条",
    Method.ONLINE: "第七条、第十条至第十三条",
    Method.APPRAISAL: "第十四条至第二十条",
}
REPORT_NAMES: Mapping[Method, str] = {Method.ONLINE: "网络询价报告", Method.APPRAISAL: "评估报告"}
# Art. 22 ¶1, in the article's order and words.
GROUNDS_ZH: Mapping[Ground, str] = {
    Ground.BASIC_DATA: "财产基本信息错误",
    Ground.SCOPE: "超出财产范围或者遗漏财产",
    Ground.QUALIFICATION: "评估机构或者评估人员不具备相应评估资质",
    Ground.PROCEDURE: "评估程序严重违法",
}
_NUMERALS = ("一", "二", "三", "四")
# Art. 25: what still lies against an agreed or a directed price, through enforcement supervision.
SUPERVISION: Mapping[Method, str] = {
    Method.AGREED: "议价中存在欺诈、胁迫情形，或者恶意串通损害第三人利益",
    Method.DIRECTED: "有关机构出具虚假定向询价结果，或者恶意串通损害第三人利益",
}
SMS_MAX_CHARS = 300  # one long text message; the outbox allows more, the parties' phones should not need it
NO_VIN = "未记载"


@dataclass(frozen=True, slots=True)
class NoticeResult:
    """One report: a platform's online-inquiry result, or the appraisal firm's report."""

    platform_name: str
    report_number: str
    result_fen: int
    counted: bool  # in the mean (Art. 13); False: set aside on an objection, ``note`` says why
    note: str = ""


@dataclass(frozen=True, slots=True)
class NoticeContent:
    """Everything the notice says, as issued; hashable, so a printed notice can be cached."""

    number: str
    court_name: str
    case_number: str
    issued_on: date
    plate: str  # as written on the plate
    vin: str | None
    brand_model: str
    method: Method
    results: tuple[NoticeResult, ...]  # none for 议价 and 定向询价
    price_fen: int
    valid_until: date
    objection_days: int = rules.OBJECTION_DAYS
    center_check_fen: int | None = None  # the center's own replacement-cost check: shown, never the price

    def __post_init__(self) -> None:
        if self.price_fen <= 0:
            raise ValueError("a reference price is a positive amount")
        if self.method in (Method.AGREED, Method.DIRECTED) and self.results:
            raise ValueError(f"{rules.NAMES_ZH[self.method]} has no platform results")
        if self.method == Method.ONLINE:
            counted = [r.result_fen for r in self.results if r.counted]
            # A notice saying "the mean of these results" must print that mean and no other figure.
            if not counted or rules.mean_fen(counted) != self.price_fen:
                raise RuleViolation(
                    f"the price {self.price_fen} fen is not the mean of the counted results {counted}",
                    rule=rules.RULE_MEAN,
                    zh=f"参考价{zh.yuan_text(self.price_fen)}不是计入的各项结果的平均值",
                )

    @property
    def objection_lies(self) -> bool:
        """Art. 24 ¶2: none against an agreed price or a directed inquiry."""
        return self.method in REPORT_NAMES

    @property
    def counted(self) -> tuple[NoticeResult, ...]:
        return tuple(r for r in self.results if r.counted)


def price_text(fen: int) -> str:
    """``人民币83,000.00元``."""
    return f"人民币{zh.yuan_text(fen)}"


def rounding_text() -> str:
    """The rounding ``rules.mean_fen`` applies, in words: the two must stay the same rule."""
    return "平均值以分为单位计算，不足一分的部分四舍五入（恰为半分的进为一分）。"


def grounds_text() -> str:
    """``（一）财产基本信息错误；……（四）评估程序严重违法``."""
    return "；".join(f"（{n}）{g}" for n, g in zip(_NUMERALS, GROUNDS_ZH.values(), strict=True))


def _objection_deadline(content: NoticeContent) -> str:
    return f"收到之日起{content.objection_days}日内"


def _method_text(content: NoticeContent) -> str:
    return f"{rules.NAMES_ZH[content.method]}（{SHORT}{METHOD_ARTICLES[content.method]}）"


def _computation(content: NoticeContent) -> tuple[str, ...]:
    """How the price was reached, in the words of the article that sets it."""
    method = content.method
    if method == Method.AGREED:
        return (f"双方当事人提交的议价结果一致，以议价结果为参考价（{SHORT}第四条第二款）。",)
    if method == Method.DIRECTED:
        return (f"以接受定向询价的机构在指定期限内出具的询价结果为参考价（{SHORT}第六条第二款）。",)
    if method == Method.APPRAISAL:
        return (f"以评估机构出具的评估结果为参考价（{SHORT}第二十六条）。",)
    counted = content.counted
    left_out = len(content.results) - len(counted)
    aside = f"，另有{left_out}家结果不计入" if left_out else ""
    return (
        f"参考价为{len(counted)}家司法网络询价平台在期限内出具的询价结果的算术平均值{aside}"
        f"（{SHORT}第十三条）：{len(counted)}项结果合计{price_text(sum(r.result_fen for r in counted))}，"
        f"除以{len(counted)}，得{price_text(content.price_fen)}。",
        rounding_text(),
    )


def _objection(content: NoticeContent) -> tuple[str, ...]:
    if not content.objection_lies:
        method = rules.NAMES_ZH[content.method]
        return (
            f"对{method}结果提出异议的，本院不予受理（{SHORT}第二十四条第二款）。",
            f"有证据证明{SUPERVISION[content.method]}的，可以在发布一拍拍卖公告或者直接进入变卖程序之前"
            f"提出，本院按照执行监督程序审查处理（{SHORT}第二十五条）。",
        )
    report = REPORT_NAMES[content.method]
    lines = [
        f"当事人、利害关系人认为{report}具有下列情形之一的，可以在{_objection_deadline(content)}"
        f"向本院提出书面异议（{SHORT}第二十二条）：{grounds_text()}。"
    ]
    if content.method == Method.APPRAISAL:
        lines.append(
            f"对评估报告的参照标准、计算方法或者评估结果有异议的，可以在同一期限内提出书面异议"
            f"（{SHORT}第二十三条）。"
        )
    lines.append(f"逾期提出异议的，本院不予受理（{SHORT}第二十四条第一款）。")
    return tuple(lines)


def _result_line(index: int, content: NoticeContent, r: NoticeResult) -> str:
    if content.method == Method.APPRAISAL:
        return (
            f"评估机构：{r.platform_name}（评估报告编号：{r.report_number}），"
            f"评估结果{price_text(r.result_fen)}"
        )
    line = f"{index}. {r.platform_name}（报告编号：{r.report_number}）：{price_text(r.result_fen)}"
    if not r.counted:
        line += "，不计入参考价" + (f"（{r.note}）" if r.note else "")
    return line


@dataclass(frozen=True, slots=True)
class NoticeText:
    """The notice in parts, so the PDF can print the facts and the results as tables."""

    title: str
    subtitle: str
    opening: str
    facts: tuple[tuple[str, str], ...]  # (label, value)
    results: tuple[str, ...]
    closing: tuple[str, ...]
    signature: tuple[str, str]  # the court and the date


def notice_text(content: NoticeContent) -> NoticeText:
    closing = [
        *_computation(content),
        f"本参考价有效期至{zh.day(content.valid_until)}。在有效期内发布一拍拍卖公告或者直接进入变卖程序，"
        f"拍卖、变卖时未超过有效期六个月的，无需重新确定参考价（{SHORT}第二十七条）。",
        f"本院将在参考价确定后{rules.DISPOSAL_WITHIN_DAYS}日内启动财产变价程序；拍卖的，参照参考价确定起拍价"
        f"（{SHORT}第三十条）。",
        *_objection(content),
    ]
    if content.center_check_fen is not None:
        closing.append(
            f"附：车辆所在辅助中心按重置成本法核对估算为{price_text(content.center_check_fen)}，"
            "仅供核对，不作为参考价。"
        )
    return NoticeText(
        title=TITLE,
        subtitle=SUBTITLES[content.method],
        opening=(
            f"{content.court_name}在执行{content.case_number}一案中，依照{LAW}（以下简称{SHORT}）"
            "对下列车辆确定财产处置参考价，现将结果通知如下："
        ),
        facts=(
            ("通知书编号", content.number),
            ("案号", content.case_number),
            ("号牌号码", content.plate),
            ("车辆识别代号", content.vin or NO_VIN),
            ("品牌型号", content.brand_model),
            ("确定方式", _method_text(content)),
            ("参考价", price_text(content.price_fen)),
            ("有效期至", zh.day(content.valid_until)),
        ),
        results=tuple(_result_line(i, content, r) for i, r in enumerate(content.results, start=1)),
        closing=tuple(closing),
        signature=(content.court_name, zh.day(content.issued_on)),
    )


def notice_lines(content: NoticeContent) -> tuple[str, ...]:
    """The notice's body, line by line, in Chinese."""
    t = notice_text(content)
    heading = ("询价结果：",) if content.method == Method.ONLINE else ()
    return (
        f"{t.title}（{t.subtitle}）",
        t.opening,
        *(f"{label}：{value}" for label, value in t.facts),
        *(heading if t.results else ()),
        *t.results,
        *t.closing,
        *t.signature,
    )


def sms_text(content: NoticeContent, objection_code: str | None = None) -> str:
    """The text message to a party: court, case, plate, price, notice number and how to object; at most
    ``SMS_MAX_CHARS`` characters (the validity goes first, then the court's name is cut, when too long).
    ``objection_code``: the party's own code to file its objection online with."""
    method = rules.NAMES_ZH[content.method]
    if content.objection_lies:
        online = f"，或凭异议码{objection_code}在线提交" if objection_code else ""
        tail = (
            f"对{REPORT_NAMES[content.method]}有异议的，可在{_objection_deadline(content)}向法院书面提出"
            f"{online}（参考价规定第二十二条）。"
        )
    else:
        tail = f"对{method}结果提出异议的，法院不予受理（参考价规定第二十四条）。"

    def text(court: str, validity: bool) -> str:
        until = f"，有效期至{zh.day(content.valid_until)}" if validity else ""
        return (
            f"【{court}】{content.case_number}案车辆{content.plate}的财产处置参考价已确定为"
            f"{price_text(content.price_fen)}（{method}{until}），通知书{content.number}。{tail}"
        )

    for candidate in (text(content.court_name, True), text(content.court_name, False)):
        if len(candidate) <= SMS_MAX_CHARS:
            return candidate
    spare = SMS_MAX_CHARS - len(text("", False)) - 1
    return text(content.court_name[: max(spare, 0)] + "…", False)[:SMS_MAX_CHARS]


def public_notice_text(content: NoticeContent, party_label: str) -> str:
    """The public notice (公示) on 中国执行信息公开网 for a party who cannot be reached: deemed served
    ``rules.PUBLIC_NOTICE_DAYS`` days after publication (Art. 21 ¶2); objections run from then."""
    days = rules.PUBLIC_NOTICE_DAYS
    method = rules.NAMES_ZH[content.method]
    if content.objection_lies:
        objection = (
            f"对{REPORT_NAMES[content.method]}有异议的，可以在视为收到之日起{content.objection_days}日内"
            f"向本院提出书面异议，异议事由为：{grounds_text()}（{SHORT}第二十二条）；逾期不予受理。"
        )
    else:
        objection = f"对{method}结果提出异议的，本院不予受理（{SHORT}第二十四条第二款）。"
    return "\n".join(
        (
            "公告",
            f"{party_label}：",
            f"{content.court_name}在执行{content.case_number}一案中，已对车辆{content.plate}"
            f"（{content.brand_model}）以{method}方式确定财产处置参考价为{price_text(content.price_fen)}，"
            f"有效期至{zh.day(content.valid_until)}（{TITLE}{content.number}）。"
            f"因无法向{party_label}直接送达，依照{LAW}（以下简称{SHORT}）第二十一条第二款，"
            f"在中国执行信息公开网上予以公示，公示满{days}日即视为收到。{objection}",
            content.court_name,
            zh.day(content.issued_on),
        )
    )


__all__ = [
    "NoticeContent",
    "NoticeResult",
    "NoticeText",
    "notice_lines",
    "notice_text",
    "price_text",
    "public_notice_text",
    "rounding_text",
    "sms_text",
]

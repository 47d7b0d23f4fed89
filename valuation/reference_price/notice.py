"""The notice of the reference price (参考价通知书) served on the parties (参考价规定 Art. 21), as text:
its lines for the printed notice, the text message to a party, and the public notice for one who cannot be
reached. Pure: the content is given; nothing personal is printed beyond it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from car_enforce.core.zh import day, yuan_text
from valuation.reference_price import rules
from valuation.reference_price.rules import Method

MAX_SMS_CHARS = 300
TITLE = "确定财产处置参考价通知书"
GROUNDS_ZH = (
    "财产基本信息错误",
    "超出财产范围或者遗漏财产",
    "评估机构或者评估人员不具备相应评估资质",
    "评估程序严重违法",
)
OBJECTIONS_LIE = (Method.ONLINE, Method.APPRAISAL)


@dataclass(frozen=True, slots=True)
class NoticeResult:
    """One platform's (or the firm's) result as the notice shows it."""

    platform_name: str
    report_number: str
    result_fen: int
    counted: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class NoticeContent:
    number: str
    court_name: str
    case_number: str
    issued_on: date
    plate: str
    vin: str | None
    brand_model: str
    method: Method
    results: tuple[NoticeResult, ...]
    price_fen: int
    valid_until: date
    basis: str = ""  # how the price was reached, when no platform results show it (议价, 定向询价, 评估)


def rounding_text() -> str:
    """The rounding ``rules.mean_fen`` uses, in words: the notice states the rule the code applies."""
    return "参考价为各有效结果的算术平均值，以分为单位计算，不足一分的部分四舍五入（半分进一分）"


def objection_text(content: NoticeContent) -> str:
    if content.method not in OBJECTIONS_LIE:
        return (
            f"本参考价系以{rules.NAMES_ZH[content.method]}方式确定，当事人、利害关系人不得对此提出异议"
            "（《最高人民法院关于人民法院确定财产处置参考价若干问题的规定》第二十四条）。"
        )
    grounds = "；".join(f"（{n}）{g}" for n, g in zip("一二三四", GROUNDS_ZH, strict=True))
    return (
        f"当事人、利害关系人认为报告有下列情形之一的，可以在收到本通知之日起{rules.OBJECTION_DAYS}日内"
        f"向本院提出书面异议：{grounds}。逾期提出或者以其他理由提出的，本院不予受理"
        "（上述规定第二十二条、第二十四条）。"
    )


def notice_lines(content: NoticeContent) -> tuple[str, ...]:
    """The notice's body, one paragraph a line."""
    counted = [r for r in content.results if r.counted]
    car = (
        f"号牌号码{content.plate}"
        + (f"，车辆识别代号{content.vin}" if content.vin else "")
        + f"，{content.brand_model}"
    )
    lines = [
        f"案号：{content.case_number}",
        f"本院在执行{content.case_number}一案中，对被执行人所有的机动车（{car}）"
        f"依法采取{rules.NAMES_ZH[content.method]}方式确定财产处置参考价。",
    ]
    if content.results:
        lines.append(f"各司法网络询价平台出具结果如下（共{len(content.results)}家，计入{len(counted)}家）：")
        for r in content.results:
            mark = "计入" if r.counted else f"不计入{('：' + r.note) if r.note else ''}"
            lines.append(f"{r.platform_name}（报告编号{r.report_number}）：{yuan_text(r.result_fen)}，{mark}")
        lines.append(f"{rounding_text()}。")
    elif content.basis:
        lines.append(f"确定依据：{content.basis}。")
    lines.append(f"参考价：人民币{yuan_text(content.price_fen)}。")
    lines.append(f"本参考价有效期至{day(content.valid_until)}（有效期最长不超过一年，上述规定第二十七条）。")
    lines.append(objection_text(content))
    lines.append("特此通知。")
    return tuple(lines)


def sms_text(content: NoticeContent) -> str:
    """The text served on a party with a phone (电子送达); the court's name is put in front by the sender."""
    objection = (
        f"如有异议，请于收到之日起{rules.OBJECTION_DAYS}日内向本院书面提出。"
        if content.method in OBJECTIONS_LIE
        else "对此参考价不得提出异议。"
    )
    text = (
        f"{content.case_number}一案，车辆{content.plate}的处置参考价已确定为{yuan_text(content.price_fen)}"
        f"（{rules.NAMES_ZH[content.method]}，通知书{content.number}，有效期至{day(content.valid_until)}）。"
        f"{objection}"
    )
    return text[:MAX_SMS_CHARS]


def public_notice_text(content: NoticeContent, party_label: str) -> str:
    """The public notice (公告送达) for a party who cannot be reached: served 15 days after publication."""
    return (
        f"{party_label}：本院在执行{content.case_number}一案中，已确定车辆{content.plate}的财产处置参考价为"
        f"{yuan_text(content.price_fen)}（{content.number}）。因无法直接送达，现予公告送达，自公告之日起经过"
        f"{rules.PUBLIC_NOTICE_DAYS}日，即视为送达（上述规定第二十一条）。{objection_text(content)}"
    )

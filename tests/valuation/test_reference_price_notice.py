"""The notice of the reference price (参考价规定 Art. 21–24, 27): its lines for each method, the rounding it
states against the one the code applies, the PDF read back, the text message and the public notice."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pypdf
import pytest

from car_enforce.core.errors import RuleViolation
from valuation.pdf_font import report_font
from valuation.reference_price import notice_pdf, rules
from valuation.reference_price.notice import (
    SMS_MAX_CHARS,
    NoticeContent,
    NoticeResult,
    notice_lines,
    public_notice_text,
    rounding_text,
    sms_text,
)
from valuation.reference_price.rules import Method

COURT = "浙江省平阳县人民法院"
CASE = "（2026）浙0326执1234号"
PLATE = "浙C·12345"
VIN = "LSVAU2180N2123456"
NUMBER = "参价通〔2026〕000042号"
GROUNDS = (
    "财产基本信息错误",
    "超出财产范围或者遗漏财产",
    "评估机构或者评估人员不具备相应评估资质",
    "评估程序严重违法",
)
# Two results whose mean is 83,000.005 yuan: half a fen, which rounding half up takes to 83,000.01 and
# rounding half to even (Python's round) would take to 83,000.00.
HALF_FEN = (8_300_000, 8_300_001)


def results(*fens: int, set_aside: int = -1) -> tuple[NoticeResult, ...]:
    return tuple(
        NoticeResult(
            f"平台{i}",
            f"R-{i}",
            fen,
            counted=i != set_aside,
            note="异议成立，不计入" if i == set_aside else "",
        )
        for i, fen in enumerate(fens, start=1)
    )


def content(method: Method = Method.ONLINE, **changes: object) -> NoticeContent:
    base = NoticeContent(
        number=NUMBER,
        court_name=COURT,
        case_number=CASE,
        issued_on=date(2026, 11, 28),
        plate=PLATE,
        vin=VIN,
        brand_model="大众牌SVW7141BRD",
        method=method,
        results=results(*HALF_FEN) if method == Method.ONLINE else (),
        price_fen=rules.mean_fen(HALF_FEN) if method == Method.ONLINE else 8_300_000,
        valid_until=date(2027, 5, 28),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def text(c: NoticeContent) -> str:
    return "\n".join(notice_lines(c))


# --- the lines ---------------------------------------------------------------------------------------------


def test_the_online_notice_names_the_court_the_car_each_result_and_the_mean() -> None:
    body = text(content())
    for expected in (COURT, CASE, PLATE, VIN, "大众牌SVW7141BRD", NUMBER, "网络询价"):
        assert expected in body
    assert "平台1（报告编号：R-1）：人民币83,000.00元" in body
    assert "平台2（报告编号：R-2）：人民币83,000.01元" in body
    assert "参考价：人民币83,000.01元" in body
    assert "2家司法网络询价平台" in body and "第十三条" in body
    assert "有效期至：2027年5月28日" in body and "第二十七条" in body
    assert "收到之日起5日内" in body and "书面异议" in body and "第二十二条" in body
    assert "（一）财产基本信息错误；（二）超出财产范围或者遗漏财产；（三）" in body
    assert all(g in body for g in GROUNDS)
    assert notice_lines(content())[-2:] == (COURT, "2026年11月28日")


def test_the_notice_states_the_mean_the_code_computed_and_the_rounding_it_applied() -> None:
    mean = rules.mean_fen(HALF_FEN)
    assert mean == 8_300_001  # half a fen goes up, not to even
    c = content(price_fen=mean)
    lines = notice_lines(c)
    assert rounding_text() in lines
    assert "四舍五入" in rounding_text() and "半分的进为一分" in rounding_text()
    assert "2项结果合计人民币166,000.01元，除以2，得人民币83,000.01元" in text(c)
    # The notice refuses to state a price that is not the mean of the results it lists.
    with pytest.raises(RuleViolation) as refused:
        content(price_fen=8_300_000)
    assert refused.value.rule == rules.RULE_MEAN


def test_a_result_set_aside_is_listed_but_left_out_of_the_mean() -> None:
    c = content(results=results(8_000_000, 9_000_001, 12_000_000, set_aside=3), price_fen=8_500_001)
    body = text(c)
    assert "平台3（报告编号：R-3）：人民币120,000.00元，不计入参考价（异议成立，不计入）" in body
    assert "2家司法网络询价平台" in body and "另有1家结果不计入" in body
    assert "参考价：人民币85,000.01元" in body
    with pytest.raises(RuleViolation):  # the mean of all three is not the price
        content(results=results(8_000_000, 9_000_001, 12_000_000), price_fen=8_500_001)


@pytest.mark.parametrize(
    ("method", "says", "article"),
    [
        (Method.AGREED, "双方当事人提交的议价结果一致", "第二十四条第二款"),
        (Method.DIRECTED, "接受定向询价的机构", "第二十四条第二款"),
    ],
)
def test_no_objection_lies_against_an_agreed_or_directed_price(
    method: Method, says: str, article: str
) -> None:
    c = content(method)
    body = text(c)
    assert says in body and rules.NAMES_ZH[method] in body
    assert f"对{rules.NAMES_ZH[method]}结果提出异议的，本院不予受理" in body and article in body
    assert "第二十五条" in body  # the supervision route that remains
    assert "收到之日起" not in body and "5日内" not in body and "书面异议" not in body
    assert not any(g in body for g in GROUNDS)
    assert "询价结果：" not in body and "参考价：人民币83,000.00元" in body


def test_an_agreed_or_directed_price_carries_no_platform_results() -> None:
    with pytest.raises(ValueError, match="no platform results"):
        content(Method.AGREED, results=results(8_300_000))


def test_the_appraisal_notice_shows_the_firms_report_and_both_kinds_of_objection() -> None:
    firm = (NoticeResult("温州某某资产评估有限公司", "温评字〔2026〕第88号", 7_650_000, True),)
    body = text(content(Method.APPRAISAL, results=firm, price_fen=7_650_000))
    assert "委托评估" in body and "评估报告送达通知" in body
    assert (
        "评估机构：温州某某资产评估有限公司（评估报告编号：温评字〔2026〕第88号），评估结果人民币76,500.00元"
        in body
    )
    assert "参考价：人民币76,500.00元" in body and "第二十六条" in body
    assert "认为评估报告具有下列情形之一的，可以在收到之日起5日内" in body
    assert "参照标准、计算方法或者评估结果" in body and "第二十三条" in body
    assert rounding_text() not in body  # one report, no mean


def test_the_center_check_is_shown_as_a_check_never_as_the_price() -> None:
    body = text(content(center_check_fen=8_000_000))
    assert "核对估算为人民币80,000.00元，仅供核对，不作为参考价" in body
    assert "参考价：人民币83,000.01元" in body
    assert "核对估算" not in text(content())


def test_a_car_without_a_vin_says_so_and_nothing_personal_is_printed() -> None:
    body = text(content(vin=None))
    assert "车辆识别代号：未记载" in body
    assert not re.search(r"1[3-9]\d{9}", body)  # no mobile number
    assert not re.search(r"\d{17}[\dXx]", body)  # no ID number


# --- the PDF -----------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    # Wrapped lines break words: compare without whitespace.
    return re.sub(r"\s", "", "\n".join(page.extract_text() for page in pages))


def test_the_pdf_prints_the_notice_in_chinese() -> None:
    path, face = report_font()
    c = content(results=results(8_000_000, 9_000_001, 12_000_000, set_aside=3), price_fen=8_500_001)
    data = notice_pdf.render(c, str(path), face)
    assert data.startswith(b"%PDF")
    printed = pdf_text(data)
    for expected in (
        "参考价通知书",
        "网络询价报告送达通知",
        COURT,
        CASE,
        PLATE,
        VIN,
        NUMBER,
        "人民币85,000.01元",
        "平台3",
        "人民币120,000.00元",
        "不计入",
        "收到之日起5日内",
        "书面异议",
        *GROUNDS,
        rounding_text(),
    ):
        assert expected in printed, expected
    assert pypdf.PdfReader(io.BytesIO(data)).metadata.title.endswith(NUMBER)  # type: ignore[union-attr]


def test_the_pdf_of_an_agreed_price_says_no_objection_lies() -> None:
    path, face = report_font()
    printed = pdf_text(notice_pdf.render(content(Method.AGREED), str(path), face))
    assert "对当事人议价结果提出异议的，本院不予受理" in printed and "第二十四条第二款" in printed
    assert "收到之日起" not in printed and "询价平台" not in printed
    assert "人民币83,000.00元" in printed and NUMBER in printed


# --- the text message and the public notice -------------------------------------------------------------


def test_the_text_message_carries_the_price_the_number_and_the_deadline() -> None:
    sms = sms_text(content())
    assert len(sms) <= SMS_MAX_CHARS
    for expected in (
        COURT,
        CASE,
        PLATE,
        "人民币83,000.01元",
        NUMBER,
        "收到之日起5日内",
        "有效期至2027年5月28日",
    ):
        assert expected in sms
    agreed = sms_text(content(Method.AGREED))
    assert "不予受理" in agreed and "收到之日起" not in agreed and "人民币83,000.00元" in agreed


def test_a_long_text_message_drops_the_validity_then_cuts_the_court_name() -> None:
    longest_court, longest_case = (
        "某" * 124 + "人民法院",
        "（2026）浙0326执" + "9" * 48 + "号",
    )  # the columns' sizes
    sms = sms_text(content(court_name=longest_court, case_number=longest_case))
    assert len(sms) <= SMS_MAX_CHARS
    assert longest_court in sms and longest_case in sms and "有效期至" not in sms
    absurd = sms_text(content(court_name="某" * 300 + "人民法院"))
    assert len(absurd) == SMS_MAX_CHARS and absurd.startswith("【某某") and "某…】" in absurd
    for kept in (CASE, PLATE, "人民币83,000.01元", NUMBER, "收到之日起5日内"):
        assert kept in sms.replace(longest_case, CASE) and kept in absurd


def test_the_public_notice_is_deemed_served_after_15_days() -> None:
    published = public_notice_text(content(), "被执行人林某某")
    assert rules.PUBLIC_NOTICE_DAYS == 15
    assert "公示满15日即视为收到" in published and "第二十一条第二款" in published
    assert "中国执行信息公开网" in published
    assert "被执行人林某某：" in published and COURT in published and NUMBER in published
    assert "人民币83,000.01元" in published and "视为收到之日起5日内" in published
    assert all(g in published for g in GROUNDS)
    directed = public_notice_text(content(Method.DIRECTED), "被执行人林某某")
    assert "公示满15日即视为收到" in directed and "不予受理" in directed and "5日内" not in directed


def test_a_long_notice_carries_its_number_and_the_court_on_every_page() -> None:
    path, face = report_font()
    many = tuple(NoticeResult(f"询价平台{i}", f"R-{i}", 8_300_000 + i, True) for i in range(40))
    c = content(results=many, price_fen=rules.mean_fen([r.result_fen for r in many]))
    pages = pypdf.PdfReader(io.BytesIO(notice_pdf.render(c, str(path), face))).pages
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        lines = page.extract_text().splitlines()
        assert lines[0] == NUMBER and lines[-1].replace(" ", "") == f"{COURT}2026年11月28日第{number}页"

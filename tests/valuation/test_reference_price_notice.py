"""The notice of the reference price (参考价规定 Art. 21): its text for each method, the rounding it states,
the SMS and the public notice, and its PDF read back."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdf

from valuation.inspection.report import report_font
from valuation.reference_price import notice_pdf, rules
from valuation.reference_price.notice import (
    MAX_SMS_CHARS,
    NoticeContent,
    NoticeResult,
    notice_lines,
    public_notice_text,
    rounding_text,
    sms_text,
)
from valuation.reference_price.rules import Method

RESULTS = (8_300_001, 8_300_002)  # a mean of half a fen: 8,300,001.5 → 8,300,002 (half up)
ONLINE = NoticeContent(
    number="参价通〔2026〕000007号",
    court_name="平阳县人民法院",
    case_number="(2026)浙0326执1234号",
    issued_on=date(2026, 11, 24),
    plate="浙C12345",
    vin="LSVAU218XN2183294",
    brand_model="大众 朗逸 1.5L 自动",
    method=Method.ONLINE,
    results=(
        NoticeResult("模拟询价平台甲", "PLATFORM-A-2026-000001", RESULTS[0], True),
        NoticeResult("模拟询价平台乙", "PLATFORM-B-2026-000001", RESULTS[1], True),
        NoticeResult("模拟询价平台丙", "PLATFORM-C-2026-000001", 9_900_000, False, "逾期未出具"),
    ),
    price_fen=rules.mean_fen(RESULTS),
    valid_until=date(2027, 5, 24),
)
AGREED = replace(
    ONLINE, method=Method.AGREED, results=(), price_fen=8_000_000, basis="双方当事人议价确定（议价笔录）"
)


def text(content: NoticeContent) -> str:
    return "\n".join(notice_lines(content))


def test_an_online_notice_lists_each_platform_and_states_the_rounding_the_code_applies() -> None:
    body = text(ONLINE)
    assert rules.mean_fen(RESULTS) == 8_300_002  # half a fen went up
    assert "参考价：人民币83,000.02元" in body and "四舍五入（半分进一分）" in body
    assert rounding_text() in body
    assert "模拟询价平台甲（报告编号PLATFORM-A-2026-000001）：83,000.01元，计入" in body
    assert "模拟询价平台丙（报告编号PLATFORM-C-2026-000001）：99,000.00元，不计入：逾期未出具" in body
    assert "有效期至2027年5月24日" in body
    assert "收到本通知之日起5日内" in body and "评估程序严重违法" in body and "第二十二条" in body


def test_an_agreed_price_notice_says_no_objection_lies() -> None:
    body = text(AGREED)
    assert "当事人议价" in body and "不得对此提出异议" in body and "第二十四条" in body
    assert "5日内" not in body and "议价笔录" in body


def test_the_sms_fits_and_says_the_price_and_the_objection_period() -> None:
    sms = sms_text(ONLINE)
    assert len(sms) <= MAX_SMS_CHARS
    assert "83,000.02元" in sms and "参价通〔2026〕000007号" in sms and "收到之日起5日内" in sms
    assert "不得提出异议" in sms_text(AGREED) or "不得" in sms_text(AGREED)


def test_the_public_notice_is_deemed_served_after_15_days() -> None:
    notice = public_notice_text(ONLINE, "林*某")
    assert notice.startswith("林*某：") and "经过15日，即视为送达" in notice and "第二十一条" in notice


def test_the_pdf_read_back_names_the_court_the_case_the_car_and_the_price() -> None:
    path, face = report_font()
    pdf = notice_pdf.render(ONLINE, str(path), face)
    read = (
        "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        .replace(" ", "")
        .replace("\n", "")
    )
    for expected in (
        "平阳县人民法院",
        "(2026)浙0326执1234号",
        "浙C12345",
        "LSVAU218XN2183294",
        "83,000.02元",
        "参价通〔2026〕000007号",
        "PLATFORM-B-2026-000001",
        "评估程序严重违法",
    ):
        assert expected in read, expected

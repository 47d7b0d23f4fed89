"""The sale's settlement in the console: the buyer's page of a won round (where it stands, the balance at the
gateway or by a bank transfer, the one window, the documents) and the court's side (the proof checked on the
lot page, service by post recorded, the list of settlements with the overdue first). Refusals show beside
their fields in Chinese; a full ID number is never shown back; nobody else finds the settlement."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html import unescape

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.simulators import payments as payments_sim
from api.web.auction_settlements import _order, _row
from auction.settlement.models import Settlement, SettlementStatus, TransferStatus
from car_enforce.core import zh
from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.settings import get_settings
from tests import factories
from tests.auction_helpers import (
    DEPOSIT_FEN,
    LOSER_ID,
    PAPERS,
    PRICE,
    WINNER_ID,
    Listed,
    pdf_text,
    settlement_of,
    sold,
)
from tests.live import serve
from tests.web.console_helpers import form_csrf, log_in

BALANCE = PRICE - DEPOSIT_FEN
RECEIPT = ("回单.pdf", b"%PDF-1.4 bank receipt", "application/pdf")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _beside(html: str, field: str) -> str:
    """The text of the label that holds a form's ``field``: where its refusal shows."""
    found = re.search(rf'name="{field}".*?</label>', html, re.DOTALL)
    assert found is not None, field
    return _text(found.group(0))


def _sid(db: Database, listed: Listed) -> int:
    return settlement_of(db, listed.round_id).id


def _papers(csrf: str, **changes: str) -> dict[str, str]:
    form = {k: str(v) for k, v in PAPERS.items() if k != "electronic_service"}
    return {"csrf": csrf, "electronic_service": "1", **form, **changes}


@pytest.fixture
def listed(db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers) -> Listed:
    return sold(db, clock, world, centers)


def test_my_bidding_links_the_won_round_to_its_page_showing_the_balance_and_its_due_day(
    app: FastAPI, db: Database, listed: Listed
) -> None:
    sid = _sid(db, listed)
    due = settlement_of(db, listed.round_id).balance_due_on
    with TestClient(app) as winner:
        log_in(winner, "winner", "/buyer")
        assert f'href="/buyer/settlements/{sid}"' in winner.get("/buyer").text
        page = _text(winner.get(f"/buyer/settlements/{sid}").text)
        assert f"应付余款{zh.yuan_text(BALANCE)}" in page and zh.yuan_text(DEPOSIT_FEN) in page
        assert f"付款期限：{zh.day(due)}" in page and "还有" in page
        for step in ("余款", "价款付清", "成交裁定", "过户登记", "交付车辆"):
            assert step in page, step
        assert "在线支付余款" in page and "提交材料" in page
        assert WINNER_ID not in page
        assert f'href="/buyer/settlements/{sid}"' in winner.get(f"/buyer/rounds/{listed.round_id}").text
    with TestClient(app) as loser:
        log_in(loser, "loser", "/buyer")
        assert "/buyer/settlements/" not in loser.get("/buyer").text
        assert loser.get(f"/buyer/settlements/{sid}").status_code == 404


def test_papers_for_another_buyer_are_refused_beside_the_id_number_then_taken_once_and_shown_masked(
    app: FastAPI, db: Database, listed: Listed
) -> None:
    sid = _sid(db, listed)
    with TestClient(app) as winner:
        csrf = log_in(winner, "winner", f"/buyer/settlements/{sid}")
        url = f"/buyer/settlements/{sid}/papers"
        refused = winner.post(url, data=_papers(csrf, id_number=LOSER_ID))
        assert refused.status_code == 403
        beside = _beside(refused.text, "id_number")
        assert "不符" in beside and "第九十条" in beside  # the one window's rule, in Chinese
        assert LOSER_ID not in refused.text  # what was typed is not shown back
        assert 'value="浙江省温州市平阳县昆阳镇某路1号"' in refused.text  # the rest of the form is kept
        assert settlement_of(db, listed.round_id).papers is None

        short = winner.post(url, data=_papers(csrf, phone="1"))
        assert short.status_code == 422 and "至少" in _beside(short.text, "phone")

        taken = winner.post(url, data=_papers(csrf, electronic_service=""))
        assert taken.status_code == 200 and taken.url.fragment == "papers"
        page = _text(taken.text)
        assert "已受理" in page and zh.mask_id_number(WINNER_ID) in page and WINNER_ID not in taken.text
        assert "更正材料" in page and "未同意" in page

        corrected = winner.post(url, data=_papers(csrf, phone="13600000009"))
        assert corrected.status_code == 200
        papers = settlement_of(db, listed.round_id).papers
        assert papers is not None and papers["phone"] == "13600000009" and papers["electronic_service"]


def test_a_transfer_of_the_wrong_amount_is_refused_beside_the_amount_and_a_refused_proof_shows_its_note(
    app: FastAPI, db: Database, listed: Listed
) -> None:
    sid = _sid(db, listed)
    with TestClient(app) as winner, TestClient(app) as court:
        csrf = log_in(winner, "winner", f"/buyer/settlements/{sid}")
        url = f"/buyer/settlements/{sid}/proof"
        wrong = winner.post(
            url, data={"csrf": csrf, "reference": "BOC2026120001", "amount": "100"}, files={"file": RECEIPT}
        )
        assert wrong.status_code == 422
        assert f"应为应付余款{zh.yuan_text(BALANCE)}" in _beside(wrong.text, "amount")
        assert 'value="BOC2026120001"' in wrong.text
        no_file = winner.post(
            url, data={"csrf": csrf, "reference": "BOC2026120001", "amount": zh.yuan(BALANCE)}
        )
        assert no_file.status_code == 422 and "银行回单" in _beside(no_file.text, "file")
        assert settlement_of(db, listed.round_id).proof is None

        sent = winner.post(
            url,
            data={"csrf": csrf, "reference": "BOC2026120001", "amount": zh.yuan(BALANCE)},
            files={"file": RECEIPT},
        )
        assert sent.status_code == 200 and "待法院核对" in _text(sent.text)
        assert "请勿重复付款" in sent.text and "在线支付余款" not in sent.text  # no second payment meanwhile
        assert winner.get(f"/buyer/settlements/{sid}/receipt").content == RECEIPT[1]

        court_csrf = log_in(court, "py.officer", f"/auction/lots/{listed.lot_id}")
        lot = _text(court.get(f"/auction/lots/{listed.lot_id}").text)
        assert "待核对的银行转账" in lot and "BOC2026120001" in lot and zh.yuan_text(BALANCE) in lot
        assert court.get(f"/auction/settlements/{sid}/receipt").content == RECEIPT[1]
        check = f"/auction/settlements/{sid}/proof"
        bare = court.post(check, data={"csrf": court_csrf, "accepted": "0", "note": " "})
        assert bare.status_code == 422 and "退回凭证须说明理由" in _text(bare.text)
        back = court.post(check, data={"csrf": court_csrf, "accepted": "0", "note": "法院账户未见此笔款项"})
        assert back.status_code == 200 and back.url.fragment == f"settlement-{sid}"
        assert settlement_of(db, listed.round_id).status == SettlementStatus.AWAITING_BALANCE

        page = _text(winner.get(f"/buyer/settlements/{sid}").text)
        assert "法院已退回" in page and "法院账户未见此笔款项" in page and "提交转账凭证" in page


def test_the_court_accepts_the_transfer_and_both_sides_print_the_ruling_served_in_the_one_window(
    app: FastAPI, db: Database, listed: Listed
) -> None:
    sid = _sid(db, listed)
    with TestClient(app) as winner, TestClient(app) as court:
        csrf = log_in(winner, "winner", f"/buyer/settlements/{sid}")
        assert winner.post(f"/buyer/settlements/{sid}/papers", data=_papers(csrf)).status_code == 200
        winner.post(
            f"/buyer/settlements/{sid}/proof",
            data={"csrf": csrf, "reference": "BOC2026120001", "amount": zh.yuan(BALANCE)},
            files={"file": RECEIPT},
        )
        court_csrf = log_in(court, "py.officer", f"/auction/lots/{listed.lot_id}")
        ok = court.post(f"/auction/settlements/{sid}/proof", data={"csrf": court_csrf, "accepted": "1"})
        assert ok.status_code == 200
        settlement = settlement_of(db, listed.round_id)
        assert settlement.status == SettlementStatus.RULED and settlement.paid_via == "bank_proof"

        html = winner.get(f"/buyer/settlements/{sid}").text
        page = _text(html)
        assert f"成交裁定书（{settlement.ruling_number}）" in page
        assert "电子送达（一窗受理）" in page and "车辆所有权自送达时起归您所有" in page
        assert "法院已签发出库通知" in page and "应于" in page  # the handover's 15 days (Art. 27)
        # Paid: no way to pay again. Served: the registry has the transfer, so the papers are fixed.
        assert f"/buyer/settlements/{sid}/pay" not in html
        assert "更正材料" not in page and "车辆管理所已在办理过户" in page
        for client, base in ((winner, "/buyer"), (court, "/auction")):
            ruling = client.get(f"{base}/settlements/{sid}/documents/ruling.pdf")
            assert ruling.headers["content-type"] == "application/pdf"
            text = pdf_text(ruling.content)
            assert settlement.ruling_number in text and "王二某" in text and zh.yuan_text(PRICE) in text
            notice = pdf_text(client.get(f"{base}/settlements/{sid}/documents/registry_notice.pdf").content)
            assert "协助执行通知书" in notice
        assert winner.get(f"/buyer/settlements/{sid}/documents/other.pdf").status_code == 404

        lot = _text(court.get(f"/auction/lots/{listed.lot_id}").text)
        assert "裁定已送达" in lot and "成交裁定书" in lot and "待核对的银行转账" not in lot
        assert zh.mask_id_number(WINNER_ID) in lot and WINNER_ID not in lot


def test_a_buyer_at_the_counter_hands_in_the_papers_once_through_the_courts_clerk(
    app: FastAPI, db: Database, listed: Listed
) -> None:
    sid = _sid(db, listed)
    with TestClient(app) as court:
        csrf = log_in(court, "py.officer", f"/auction/lots/{listed.lot_id}")
        assert "窗口代录材料" in court.get(f"/auction/lots/{listed.lot_id}").text
        url = f"/auction/settlements/{sid}/papers"
        refused = court.post(url, data=_papers(csrf, id_number=LOSER_ID))
        assert refused.status_code == 403
        said = _text(refused.text)
        assert "证件号码：" in said and "第九十条" in said and LOSER_ID not in refused.text
        assert 'value="浙江省温州市平阳县昆阳镇某路1号"' in refused.text  # the rest of the form is kept
        short = court.post(url, data=_papers(csrf, phone="1"))
        assert short.status_code == 422 and "手机号码：" in _text(short.text)
        assert settlement_of(db, listed.round_id).papers is None

        taken = court.post(url, data=_papers(csrf))
        assert taken.status_code == 200 and taken.url.fragment == f"settlement-{sid}"
        page = _text(taken.text)
        assert "（窗口代录）" in page and zh.mask_id_number(WINNER_ID) in page and WINNER_ID not in taken.text
        assert "窗口更正材料" in page
        held = settlement_of(db, listed.round_id).papers
        assert held is not None and held["by"] == "counter" and held["electronic_service"]
    with TestClient(app) as winner:  # the buyer is not asked again
        log_in(winner, "winner", f"/buyer/settlements/{sid}")
        assert "法院窗口代为录入" in _text(winner.get(f"/buyer/settlements/{sid}").text)


def test_without_consent_to_electronic_service_the_court_records_service_by_post(
    app: FastAPI, db: Database, clock: MovableClock, listed: Listed
) -> None:
    sid = _sid(db, listed)
    with TestClient(app) as winner, TestClient(app) as court:
        csrf = log_in(winner, "winner", f"/buyer/settlements/{sid}")
        winner.post(f"/buyer/settlements/{sid}/papers", data=_papers(csrf, electronic_service=""))
        winner.post(
            f"/buyer/settlements/{sid}/proof",
            data={"csrf": csrf, "reference": "BOC2026120001", "amount": zh.yuan(BALANCE)},
            files={"file": RECEIPT},
        )
        court_csrf = log_in(court, "py.officer", f"/auction/lots/{listed.lot_id}")
        court.post(f"/auction/settlements/{sid}/proof", data={"csrf": court_csrf, "accepted": "1"})
        assert settlement_of(db, listed.round_id).status == SettlementStatus.PAID
        assert "未同意电子送达" in _text(winner.get(f"/buyer/settlements/{sid}").text)
        lot = court.get(f"/auction/lots/{listed.lot_id}").text
        assert "记录送达" in lot

        url = f"/auction/settlements/{sid}/service"
        later = clock.now() + timedelta(days=1)
        future = court.post(
            url,
            data={
                "csrf": court_csrf,
                "how": "邮寄送达",
                "at": f"{later.astimezone(SHANGHAI):%Y-%m-%dT%H:%M}",
            },
        )
        assert future.status_code == 422 and "不能晚于现在" in _text(future.text)
        nothing = court.post(url, data={"csrf": court_csrf, "how": " "})
        assert nothing.status_code == 422 and "至少" in _text(nothing.text)
        assert settlement_of(db, listed.round_id).served_at is None

        served = court.post(url, data={"csrf": court_csrf, "how": "邮寄送达"})
        assert served.status_code == 200
        after = settlement_of(db, listed.round_id)
        assert after.status == SettlementStatus.RULED and after.served_how == "邮寄送达"
        assert "已送达您（邮寄送达）" in _text(winner.get(f"/buyer/settlements/{sid}").text)


def test_the_registrys_refusal_shows_its_reason_and_reopens_the_papers_and_the_new_registration_shows(
    app: FastAPI, db: Database, listed: Listed
) -> None:
    sid = _sid(db, listed)
    # The registry's callbacks are wired elsewhere; its answers are written here as they would leave them.
    with db.unit_of_work() as s:
        settlement = s.get(Settlement, sid)
        assert settlement is not None
        settlement.transfer_status = TransferStatus.REFUSED
        settlement.transfer_refusal = "该车有未处理的交通违法记录，请处理后再办理转移登记"
    with TestClient(app) as winner:
        log_in(winner, "winner", f"/buyer/settlements/{sid}")
        page = _text(winner.get(f"/buyer/settlements/{sid}").text)
        assert "未予办理" in page and "有未处理的交通违法记录" in page
    with db.unit_of_work() as s:
        settlement = s.get(Settlement, sid)
        assert settlement is not None
        settlement.papers, settlement.papers_at = {**PAPERS, "transfer_area": "local"}, settlement.created_at
        settlement.transfer_status = TransferStatus.REGISTERED
        settlement.registration = {
            "plate": "浙C6789A",
            "previous_plate": "浙C12345",
            "certificate_number": "330001",
        }
        settlement.registered_at = settlement.created_at
    with TestClient(app) as winner:
        log_in(winner, "winner", f"/buyer/settlements/{sid}")
        html = winner.get(f"/buyer/settlements/{sid}").text
        page = _text(html)
        assert "号牌号码：浙C6789A" in page and "机动车登记证书编号：330001" in page
        assert "材料不能再更改" in page and 'action="/buyer/settlements/' + str(sid) + '/papers"' not in html


def test_the_list_shows_the_days_left_and_a_balance_past_due_offers_the_default_on_the_lot_page(
    app: FastAPI, db: Database, clock: MovableClock, listed: Listed
) -> None:
    due = settlement_of(db, listed.round_id).balance_due_on
    with TestClient(app) as court:
        log_in(court, "py.officer", "/auction/settlements")
        page = court.get("/auction/settlements")
        assert 'href="/auction/settlements" aria-current="page"' in page.text  # the menu's 成交过户
        text = _text(page.text)
        assert "王二某" in text and f"余款 {zh.day(due)}" in text and "还有" in text
        assert "可认定悔拍" not in text
        clock.set(
            datetime.combine(due + timedelta(days=2), datetime.min.time(), SHANGHAI) + timedelta(hours=9)
        )
        log_in(court, "py.officer", "/auction/settlements")  # the login of days ago has expired
        late = court.get("/auction/settlements").text
        assert "已逾期2天" in _text(late) and "可认定悔拍" in late
        assert f'href="/auction/lots/{listed.lot_id}#round-{listed.round_id}"' in late
        lot = court.get(f"/auction/lots/{listed.lot_id}").text
        assert f'id="round-{listed.round_id}"' in lot and "认定悔拍" in lot
        assert "余款逾期未付，可认定悔拍" in _text(lot)
        csrf = form_csrf(lot)
        ruled = court.post(
            f"/auction/lots/{listed.lot_id}/rounds/{listed.round_id}/default",
            data={"csrf": csrf, "reason": "逾期未付余款"},
        )
        assert ruled.status_code == 200
        after = _text(court.get("/auction/settlements").text.split("<tbody>", 1)[1])
        assert "悔拍" in after and "可认定悔拍" not in after and "已逾期" not in after
    with TestClient(app) as winner:
        log_in(winner, "winner", "/buyer")
        html = winner.get(f"/buyer/settlements/{_sid(db, listed)}").text
        page = _text(html)
        assert f"保证金{zh.yuan_text(DEPOSIT_FEN)}不予退还" in page and "支付余款" not in page
        assert "此成交已结束" in page and 'name="id_number"' not in html  # no papers are taken any more
        # The resale's close applies the forfeit (tests/auction/test_settlement.py); here as it leaves it.
        with db.unit_of_work() as s:
            settlement = s.get(Settlement, _sid(db, listed))
            assert settlement is not None
            left = DEPOSIT_FEN - 62_000
            settlement.forfeit = {"costs_fen": 12_000, "shortfall_fen": 50_000, "debts_fen": left}
        page = _text(winner.get(f"/buyer/settlements/{_sid(db, listed)}").text)
        assert "拍卖费用损失120.00元，弥补重新拍卖差价500.00元" in page
    with TestClient(app) as other:
        log_in(other, "lc.officer", "/auction/settlements")
        assert "王二某" not in other.get("/auction/settlements").text
        sid = _sid(db, listed)
        assert other.get(f"/auction/settlements/{sid}/receipt").status_code == 404
        assert winner.get("/auction/settlements").status_code == 403


def _settlement(status: SettlementStatus, sid: int, *, due: date, paid: datetime | None = None) -> Settlement:
    return Settlement(
        id=sid,
        status=status,
        balance_due_on=due,
        paid_at=paid,
        transfer_status=TransferStatus.NOT_STARTED,
        lot_id=1,
        round_id=sid,
    )


def test_the_list_puts_the_running_deadlines_first_the_overdue_before_the_rest_and_the_finished_last() -> (
    None
):
    today = date(2026, 12, 21)
    paid = datetime(2026, 12, 8, 10, tzinfo=SHANGHAI)  # the ruling due 10 days later: 18 December
    rows = [
        _row(_settlement(SettlementStatus.DONE, 1, due=date(2026, 12, 1)), "", PrcCalendar({}), today),
        _row(
            _settlement(SettlementStatus.AWAITING_BALANCE, 2, due=date(2026, 12, 25)),
            "",
            PrcCalendar({}),
            today,
        ),
        _row(
            _settlement(SettlementStatus.PAID, 3, due=date(2026, 12, 5), paid=paid),
            "",
            PrcCalendar({}),
            today,
        ),
        _row(
            _settlement(SettlementStatus.AWAITING_BALANCE, 4, due=date(2026, 12, 20)),
            "",
            PrcCalendar({}),
            today,
        ),
    ]
    ordered = sorted(rows, key=_order)
    assert [r.settlement.id for r in ordered] == [3, 4, 2, 1]
    assert [(r.deadline, r.left) for r in ordered[:3]] == [
        ("裁定送达", "已逾期3天"),
        ("余款", "已逾期1天"),
        ("余款", "还有4天"),
    ]
    assert [r.may_default for r in ordered] == [False, True, False, False]


@pytest.fixture
def live(app: FastAPI, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This app on loopback, its built-in payment gateway addressed at it."""
    with serve(app) as url:
        monkeypatch.setenv("CARENFORCE_PUBLIC_BASE_URL", url)
        get_settings.cache_clear()
        try:
            yield url
        finally:
            payments_sim.wait_for_deliveries()
            monkeypatch.delenv("CARENFORCE_PUBLIC_BASE_URL")
            get_settings.cache_clear()


def test_the_pay_button_goes_to_the_balance_order_in_the_buyers_name_and_the_page_follows_the_payment(
    db: Database, listed: Listed, live: str
) -> None:
    sid = _sid(db, listed)
    with httpx.Client(base_url=live, timeout=15) as winner:
        login_page = winner.get("/login").text
        r = winner.post(
            "/login",
            data={"username": "winner", "password": factories.PASSWORD, "csrf": form_csrf(login_page)},
        )
        assert r.status_code == 303
        csrf = form_csrf(winner.get(f"/buyer/settlements/{sid}").text)
        go = winner.post(f"/buyer/settlements/{sid}/pay", data={"csrf": csrf})
        assert go.status_code == 303
        pay_url = go.headers["location"]
        assert pay_url == settlement_of(db, listed.round_id).pay_url
        assert (
            winner.post(f"/buyer/settlements/{sid}/pay", data={"csrf": csrf}).headers["location"] == pay_url
        )
        assert httpx.post(pay_url, data={"confirm": "1"}, timeout=10).status_code == 200
        deadline = time.monotonic() + 10
        while settlement_of(db, listed.round_id).status == SettlementStatus.AWAITING_BALANCE:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        page = _text(winner.get(f"/buyer/settlements/{sid}").text)
        assert "通过支付通道付清" in page and "在线支付余款" not in page
        assert f"全部价款{zh.yuan_text(PRICE)}已付清" in page

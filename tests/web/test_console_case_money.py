"""The console's pages of a case's money: the officer's account (totals, statement, payees, distribution,
payouts held, released and sent again), the applicant's "where is my money" showing only its own, and the
command center's payout figures. Refusals stand beside their fields; another court's case is a 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.simulators import payments as payments_sim
from car_enforce.case_money import distribution, entries
from car_enforce.case_money import payouts as payout_verbs
from car_enforce.case_money.accounts import Source
from car_enforce.case_money.models import CasePayee, CasePayout, PayoutStatus
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.ledger import LedgerPosting
from tests import factories
from tests.case_money_helpers import (
    RECEIVED,
    MoneyCase,
    applicant_user,
    money_case,
    payee,
    payouts,
    received_with_tow,
    standard_payees,
    with_payees,
)
from tests.payments_helpers import Harness, running
from tests.web.console_helpers import log_in


@pytest.fixture(scope="module")
def payments_server() -> Iterator[Harness]:
    with running() as harness:
        yield harness


@pytest.fixture
def harness(payments_server: Harness, db: Database, clock: MovableClock) -> Iterator[Harness]:
    payments_server.receiver.clear()
    yield payments_server
    payments_sim.wait_for_deliveries()  # no send of this test may reach the next test's database


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _section(html: str, name: str) -> str:
    """The text of one section of the page, by its id."""
    found = re.search(rf'<section class="card" id="{name}">.*?</section>', html, re.DOTALL)
    assert found is not None, name
    return _text(found.group(0))


def _beside(html: str, field: str) -> str:
    """The label holding a form's field: what the page says beside it."""
    found = re.search(rf'<label>[^<]*\s*<(?:input|select) name="{field}".*?</label>', html, re.DOTALL)
    assert found is not None, field
    return unescape(found.group(0))


def _distributed(db: Database, case: MoneyCase) -> None:
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)


def test_another_courts_officer_finds_no_money_page_and_forms_want_their_token(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case = money_case(db)
    with TestClient(app) as client:
        csrf = log_in(client, "lc.officer")
        assert client.get(f"/cases/{case.id}/money").status_code == 404
        r = client.post(f"/cases/{case.id}/money/distribute", data={"csrf": csrf})
        assert r.status_code == 404
    with TestClient(app) as client:
        log_in(client, "py.officer")
        r = client.post(f"/cases/{case.id}/money/distribute", data={"csrf": "wrong"})
        assert r.status_code == 403
        assert client.get(f"/cases/{case.id}").text.count(f"/cases/{case.id}/money") == 1  # linked


def test_the_officer_reads_the_totals_and_statement_and_distributes_costs_first(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case = money_case(db)
    received_with_tow(db, case)
    with TestClient(app) as client:
        csrf = log_in(client, "py.officer")
        page = _text(client.get(f"/cases/{case.id}/money").text)
        assert "到账（累计） 10,000.00元" in page and "待分配 10,000.00元" in page
        assert "费用（待分配抵扣） 300.00元" in page and "借贷平衡" in page
        assert "拖车费·平阳县某拖车服务公司" in page and "待分配·拍卖成交价款" in page

        done = client.post(
            f"/cases/{case.id}/money/distribute", data={"csrf": csrf, "fee": "0"}, follow_redirects=False
        )
        assert done.status_code == 303 and "distribution=" in done.headers["location"]
        page = _text(client.get(done.headers["location"]).text)
        assert "本次分配结果" in page
        costs, fee, creditor = (
            page.index(w) for w in ("执行费用 1", "执行费 — 0.00元", "债权人（第1顺位） 1")
        )
        assert costs < fee < creditor
        assert "9,700.00元" in page and "应发放日" in page
        assert "应付各申请人及费用方 10,000.00元" in page and "待分配 0.00元" in page

        again = client.post(f"/cases/{case.id}/money/distribute", data={"csrf": csrf, "fee": ""})
        assert again.status_code == 409
        assert "本案没有待分配的执行款" in _text(again.text)
        bad_fee = client.post(f"/cases/{case.id}/money/distribute", data={"csrf": csrf, "fee": "1.234"})
        assert bad_fee.status_code == 422 and "最多两位小数" in _beside(bad_fee.text, "fee")


def test_a_payee_is_added_by_the_form_and_each_refusal_stands_beside_its_field(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case = money_case(db)

    def form(**changes: str) -> dict[str, str]:
        return {
            "kind": "creditor",
            "name": "某银行",
            "account_number": "6222000055556666",
            "claim": "500",
            **changes,
        }

    with TestClient(app) as client:
        csrf = log_in(client, "py.officer")
        url = f"/cases/{case.id}/money/payees"
        account = client.post(url, data={"csrf": csrf, **form(account_number="no!")})
        assert account.status_code == 422 and "格式不对" in _beside(account.text, "account_number")
        assert 'value="某银行"' in account.text  # the form keeps what was written
        claim = client.post(url, data={"csrf": csrf, **form(claim="五百")})
        assert claim.status_code == 422 and "金额应以元为单位" in _beside(claim.text, "claim")
        party = client.post(url, data={"csrf": csrf, **form(party_id=str(case.debtor))})
        assert party.status_code == 422 and "所选当事人与收款人类别不符" in _beside(party.text, "party_id")
        no_claim = client.post(url, data={"csrf": csrf, **form(claim="")})
        assert no_claim.status_code == 422 and "请填写债权金额" in _beside(no_claim.text, "claim")

        added = client.post(url, data={"csrf": csrf, **form(), "secured": "1"}, follow_redirects=False)
        assert added.status_code == 303
        page = _text(client.get(f"/cases/{case.id}/money").text)
        assert "收款人（1）" in page and "****6666" in page and "优先受偿 第1顺位" in page
        assert "6222000055556666" not in page  # the account is shown masked

        twice = client.post(url, data={"csrf": csrf, **form(), "secured": "1"})
        assert twice.status_code == 422 and "已登记为本案收款人" in _beside(twice.text, "account_number")
        other = client.post(url, data={"csrf": csrf, **form(claim="600")})
        assert other.status_code == 409 and "信息与本次不一致" in _beside(other.text, "account_number")
    with db.unit_of_work(read_only=True) as s:
        assert [p.claim_fen for p in s.scalars(select(CasePayee))] == [50_000]


def test_money_and_a_cost_are_entered_by_hand_and_an_entry_in_error_is_reversed_with_its_reason(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case = money_case(db)
    ids = standard_payees(db, case)
    receipt = {"receipt_amount": "20000", "receipt_source": "debtor_payment", "receipt_reference": "BK-0187"}
    cost = {"cost_payee": str(ids["TOW-330326-01"]), "cost_kind": "towing", "cost_amount": "300"}
    with TestClient(app) as client:
        csrf = log_in(client, "py.officer")
        base = f"/cases/{case.id}/money"
        page = client.get(base).text
        assert "登记到账" in page and "平阳县某拖车服务公司 ****6-01" in _section(page, "entries")

        bad = client.post(f"{base}/receipts", data={"csrf": csrf, **receipt, "receipt_amount": "二万"})
        assert bad.status_code == 422 and "金额应以元为单位" in _beside(bad.text, "receipt_amount")
        blank = client.post(f"{base}/receipts", data={"csrf": csrf, **receipt, "receipt_reference": ""})
        assert blank.status_code == 422 and "填写有误" in _beside(blank.text, "receipt_reference")
        sale = client.post(
            f"{base}/receipts", data={"csrf": csrf, **receipt, "receipt_source": "sale_proceeds"}
        )
        assert sale.status_code == 422 and "填写有误" in _beside(sale.text, "receipt_source")
        done = client.post(f"{base}/receipts", data={"csrf": csrf, **receipt}, follow_redirects=False)
        assert done.status_code == 303
        again = client.post(f"{base}/receipts", data={"csrf": csrf, **receipt}, follow_redirects=False)
        assert again.status_code == 303  # the same serial: the same receipt, nothing more

        nobody = client.post(f"{base}/costs", data={"csrf": csrf, **cost, "cost_payee": ""})
        assert nobody.status_code == 422 and "请选择费用的收款方" in _beside(nobody.text, "cost_payee")
        creditor = str(ids["6222000011112222"])
        wrong = client.post(
            f"{base}/costs", data={"csrf": csrf, **cost, "cost_payee": creditor, "cost_reference": "FP-1"}
        )
        assert wrong.status_code == 422 and "不是执行费用的收款方" in _beside(wrong.text, "cost_payee")
        charged = client.post(
            f"{base}/costs", data={"csrf": csrf, **cost, "cost_reference": "FP-1"}, follow_redirects=False
        )
        assert charged.status_code == 303
        page = _text(client.get(base).text)
        assert "到账（累计） 20,000.00元" in page and "费用（待分配抵扣） 300.00元" in page

        with db.unit_of_work(read_only=True) as s:
            [tow_bill] = s.scalars(select(LedgerPosting).where(LedgerPosting.kind == "cost"))
            bill_id = tow_bill.id
        undo = f"{base}/postings/{bill_id}/reversal"
        no_reason = client.post(undo, data={"csrf": csrf, "reason": " "})
        assert no_reason.status_code == 422 and "请写明冲正原因" in no_reason.text
        reversed_ = client.post(undo, data={"csrf": csrf, "reason": "拖车费重复登记"}, follow_redirects=False)
        assert reversed_.status_code == 303 and reversed_.headers["location"].endswith(f"#posting-{bill_id}")
        page = _text(client.get(base).text)
        assert "费用（待分配抵扣） 0.00元" in page and f"已被 #{bill_id + 1} 冲正" in page
        assert "拖车费重复登记" in page and "借贷平衡" in page

        assert client.post(f"{base}/distribute", data={"csrf": csrf}).status_code == 200
        with db.unit_of_work(read_only=True) as s:
            [money_in] = s.scalars(select(LedgerPosting).where(LedgerPosting.kind == "receipt"))
            receipt_id = money_in.id
        late = client.post(f"{base}/postings/{receipt_id}/reversal", data={"csrf": csrf, "reason": "误"})
        assert late.status_code == 409 and "已分配或已发放，不能冲正" in late.text
    with db.unit_of_work(read_only=True) as s:  # the bill's reversal, and not the receipt's
        assert list(s.scalars(select(LedgerPosting.reverses_id).where(LedgerPosting.kind == "reversal"))) == [
            bill_id
        ]


def test_payees_and_the_statement_are_paged_for_a_mass_case(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case = money_case(db)
    many = [payee(f"62220000{i:08d}", name=f"集资参与人{i}", claim_fen=10_000) for i in range(60)]
    with_payees(db, case, *many)
    with db.unit_of_work() as s:
        entries.receive(
            s, case.id, amount_fen=600_000, source=Source.SALE_PROCEEDS, key="r", actor=case.officer
        )
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    with TestClient(app) as client:
        log_in(client, "py.officer")
        html = client.get(f"/cases/{case.id}/money").text
        page, payees = _text(html), _section(html, "payees")
        assert "收款人（60）" in payees and "集资参与人49" in payees and "集资参与人50" not in payees
        assert "发放（60笔）" in page
        assert "另有" in page and "行（每位收款人一行）" in page  # the distribution's 61 lines, cut short
        second = _section(client.get(f"/cases/{case.id}/money?payees=50").text, "payees")
        assert "集资参与人50" in second and "集资参与人49" not in second
        assert "?payees=50#payees" in html


def test_a_payout_is_held_for_a_listed_reason_released_and_a_declined_one_sent_again(
    app: FastAPI, db: Database, world: factories.World, harness: Harness
) -> None:
    case = money_case(db)
    received_with_tow(db, case, towing=False)
    _distributed(db, case)
    [due] = payouts(db, case.id)
    base = f"/cases/{case.id}/money/payouts/{due.id}"
    with TestClient(app) as client:
        csrf = log_in(client, "py.officer")
        wrong = client.post(f"{base}/hold", data={"csrf": csrf, "reason": "officer_on_leave"})
        assert wrong.status_code == 422 and "请从规定的暂缓原因中选择" in _text(wrong.text)
        held = client.post(
            f"{base}/hold", data={"csrf": csrf, "reason": "creditor_unreachable", "note": "电话停机"}
        )
        assert held.status_code == 200 and "申请执行人无法联系：电话停机" in _text(held.text)
        assert "暂缓发放" in _text(held.text)
        twice = client.post(f"{base}/hold", data={"csrf": csrf, "reason": "case_suspended"})
        assert twice.status_code == 409
        row = re.search(rf'<tr id="payout-{due.id}">.*?</tr>', twice.text, re.DOTALL)
        assert row is not None and 'class="error"' in row.group(0)
        assert client.post(f"{base}/release", data={"csrf": csrf}).status_code == 200
        assert payouts(db, case.id)[0].status == PayoutStatus.PENDING

        harness.stage("decline", count=1)
        with harness.gateway() as gateway:
            assert payout_verbs.send_due(db, gateway) == ["failed"]
        page = _text(client.get(f"/cases/{case.id}/money?status=failed").text)
        assert "发放失败" in page and "重新发放" in page
        assert client.post(f"{base}/retry", data={"csrf": csrf}).status_code == 200
        assert payouts(db, case.id)[0].status == PayoutStatus.PENDING
        assert client.post(f"{base}/retry", data={"csrf": csrf}).status_code == 409


def test_the_applicant_sees_its_own_money_and_never_another_creditors(
    app: FastAPI, db: Database, world: factories.World, harness: Harness, clock: MovableClock
) -> None:
    case = money_case(db)
    standard_payees(db, case)
    with_payees(db, case, payee("6222000077773333", name="另一债权人某某", claim_fen=38_650_000))
    applicant_user(db, "creditor", case)
    applicant_user(db, "stranger")
    with TestClient(app) as client:
        log_in(client, "creditor", "/my-cases")
        page = _text(client.get("/my-cases").text)
        assert "我的执行款" in page and "尚未分配" not in page and "尾号2222" in page
    with db.unit_of_work() as s:
        entries.receive(
            s, case.id, amount_fen=RECEIVED, source=Source.SALE_PROCEEDS, key="r1", actor=case.officer
        )
    _distributed(db, case)  # half each: two equal claims
    with harness.gateway() as gateway:
        assert sorted(payout_verbs.send_due(db, gateway)) == ["succeeded", "succeeded"]
    with db.unit_of_work() as s:
        entries.receive(s, case.id, amount_fen=200_000, source=Source.OTHER, key="r2", actor=case.officer)
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
        mine = s.scalar(
            select(CasePayout)
            .join(CasePayee)
            .where(CasePayee.party_id == case.applicant, CasePayout.status == PayoutStatus.PENDING)
        )
        assert mine is not None
        payout_verbs.hold_payout(s, mine, actor=case.officer, reason="frozen_elsewhere")  # type: ignore[arg-type]
    with TestClient(app) as client:
        log_in(client, "creditor", "/my-cases")
        page = _text(client.get("/my-cases").text)
        assert "本案已到账 12,000.00元" in page and "分配给我 6,000.00元" in page
        assert "已发放 5,000.00元" in page and "已于" in page and "发放到账" in page
        assert "暂缓发放：款项被他案冻结" in page and "待发放 1,000.00元" in page
        assert "另一债权人" not in page and "3333" not in page and "12,000.00元" in page
    with TestClient(app) as client:
        log_in(client, "stranger", "/my-cases")
        page = _text(client.get("/my-cases").text)
        assert "我的执行款" not in page and "5,000.00元" not in page


def test_the_command_center_shows_the_payout_figures_of_the_officers_court(
    app: FastAPI, db: Database, world: factories.World, harness: Harness, clock: MovableClock
) -> None:
    case = money_case(db)
    received_with_tow(db, case, towing=False)
    clock.advance(timedelta(days=2))
    _distributed(db, case)
    clock.advance(timedelta(days=1))
    with harness.gateway() as gateway:
        assert payout_verbs.send_due(db, gateway) == ["succeeded"]
    with TestClient(app) as client:
        log_in(client, "py.officer")
        page = _text(client.get("/command").text)
        assert re.search(r"到账→发放\s+1\s+3\.0\s+100\.0%\s+9\.74", page), page
    with TestClient(app) as client:
        log_in(client, "lc.officer")
        page = _text(client.get("/command").text)
        assert re.search(r"到账→发放\s+0\s+—\s+—", page), page

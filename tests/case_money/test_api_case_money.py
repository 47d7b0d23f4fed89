"""The case's money through the HTTP API, for the officers of the case's court only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from car_enforce.case_money import entries
from car_enforce.case_money.accounts import Source
from car_enforce.core.db import Database
from tests.api_helpers import login, open_case
from tests.case_money_helpers import officer


def party(case: dict[str, Any], role: str) -> int:
    return int(next(p["id"] for p in case["parties"] if p["role"] == role))


def receive(db: Database, case_id: int, amount: int) -> None:
    with db.unit_of_work() as s:
        entries.receive(
            s, case_id, amount_fen=amount, source=Source.SALE_PROCEEDS, key="r1", actor=officer(s)
        )


def test_an_officer_keeps_the_case_account(client: TestClient, db: Database) -> None:
    headers = login(client, "py.officer")
    case = open_case(client, headers)
    base = f"/api/cases/{case['id']}/money"
    payees = {
        "payees": [
            {
                "party_id": party(case, "applicant"),
                "account_number": "6222000011112222",
                "bank_name": "工商银行",
            },
            {"kind": "debtor", "party_id": party(case, "debtor"), "account_number": "6222000099998888"},
        ]
    }
    r = client.post(f"{base}/payees", json=payees, headers=headers)
    assert (r.status_code, r.json()) == (201, {"added": 2, "existing": 0})
    r = client.post(f"{base}/payees", json=payees, headers=headers)
    assert (r.status_code, r.json()) == (200, {"added": 0, "existing": 2})
    listed = client.get(f"{base}/payees", headers=headers).json()
    assert [p["account_masked"] for p in listed] == ["****2222", "****8888"]
    lender = listed[0]["id"]

    r = client.post(f"{base}/distribute", json={}, headers=headers)
    assert (r.status_code, r.json()["error"]) == (409, "NothingToDistribute")
    receive(db, case["id"], 50_000_000)
    r = client.post(f"{base}/distribute", json={}, headers=headers)
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["creditors_fen"] == 38_650_000 and done["payouts"] == 2

    money = client.get(base, headers=headers).json()
    assert money["balanced"] and money["problems"] == []
    assert money["held_fen"] == 50_000_000 - done["fee_fen"]
    assert money["owed_fen"] == money["held_fen"] and money["undistributed_fen"] == 0
    statement = client.get(f"{base}/statement", headers=headers).json()
    assert [e["kind"] for e in statement] == ["receipt", "distribution", "fee"]
    assert all(sum(x["amount_fen"] for x in e["lines"]) == 0 for e in statement)
    assert (
        client.get(f"{base}/statement?after_id={statement[0]['id']}&limit=1", headers=headers).json()[0][
            "kind"
        ]
        == "distribution"
    )

    payouts = client.get(f"{base}/payouts?status=pending", headers=headers).json()
    assert len(payouts) == 2
    first = f"{base}/payouts/{payouts[0]['id']}"
    r = client.post(f"{first}/hold", json={}, headers=headers)
    assert r.status_code == 422  # no hold without its reason
    r = client.post(f"{first}/hold", json={"reason": "the officer is away"}, headers=headers)
    assert r.status_code == 422
    r = client.post(f"{first}/hold", json={"reason": "case_suspended", "note": "中止裁定"}, headers=headers)
    assert (r.status_code, r.json()["status"], r.json()["held_reason"]) == (200, "held", "case_suspended")
    assert client.post(f"{first}/release", headers=headers).json()["status"] == "pending"
    r = client.post(f"{first}/retry", headers=headers)
    assert (r.status_code, r.json()["error"]) == (409, "PayoutStateConflict")

    r = client.post(
        f"{base}/payouts", json={"payee_id": lender, "amount_fen": 1, "key": "k1"}, headers=headers
    )
    assert (r.status_code, r.json()["error"]) == (409, "BeyondHeld")
    r = client.post(
        f"{base}/payouts", json={"payee_id": 999_999, "amount_fen": 1, "key": "k2"}, headers=headers
    )
    assert r.status_code == 404
    assert client.get(f"{base}/payouts/{payouts[0]['id']}", headers=headers).status_code in (404, 405)


def test_another_courts_officer_sees_no_case_account(client: TestClient) -> None:
    case = open_case(client, login(client, "py.officer"))
    other = login(client, "lc.officer")
    base = f"/api/cases/{case['id']}/money"
    assert client.get(base, headers=other).status_code == 404
    assert client.get(f"{base}/payouts", headers=other).status_code == 404
    r = client.post(
        f"{base}/payees",
        json={"payees": [{"account_number": "X-0001", "name": "某", "claim_fen": 1}]},
        headers=other,
    )
    assert r.status_code == 404
    assert client.post(f"{base}/distribute", json={}, headers=other).status_code == 404


def test_money_and_costs_entered_by_hand_are_named_by_their_reference_and_reversed_with_a_reason(
    client: TestClient, db: Database
) -> None:
    headers = login(client, "py.officer")
    case = open_case(client, headers)
    base = f"/api/cases/{case['id']}/money"
    payees = {
        "payees": [
            {"party_id": party(case, "applicant"), "account_number": "6222000011112222"},
            {"kind": "cost", "name": "温州某价格评估公司", "account_number": "6222000055556666"},
        ]
    }
    assert client.post(f"{base}/payees", json=payees, headers=headers).status_code == 201
    lender, appraiser = (p["id"] for p in client.get(f"{base}/payees", headers=headers).json())

    def statement() -> list[dict[str, Any]]:
        return list(client.get(f"{base}/statement", headers=headers).json())

    # The debtor transfers 20,000 yuan: its bank serial names it; sent twice, recorded once.
    transfer = {"amount_fen": 2_000_000, "source": "debtor_payment", "reference": "BK20261123000187"}
    first = client.post(f"{base}/receipts", json=transfer, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post(f"{base}/receipts", json=transfer, headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert {x["account"]: x["amount_fen"] for x in first.json()["lines"]} == {
        "bank": 2_000_000,
        "received:debtor_payment": -2_000_000,
    }
    # The same serial with another amount, a sale's price entered by hand, a blank reference: refused.
    for body, status in (
        ({**transfer, "amount_fen": 2_000_001}, 409),
        ({**transfer, "source": "sale_proceeds", "reference": "BK2"}, 422),
        ({**transfer, "reference": " "}, 422),
        ({**transfer, "amount_fen": 0, "reference": "BK3"}, 422),
    ):
        r = client.post(f"{base}/receipts", json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
    assert [e["kind"] for e in statement()] == ["receipt"]

    # The appraiser's bill is a cost owed to it; a creditor is not a cost's party.
    bill = {"payee_id": appraiser, "kind": "other", "amount_fen": 150_000, "reference": "FP-0091"}
    r = client.post(f"{base}/costs", json={**bill, "memo": "评估费"}, headers=headers)
    assert r.status_code == 201, r.text
    cost_id = r.json()["id"]
    r = client.post(
        f"{base}/costs", json={**bill, "payee_id": lender, "reference": "FP-0092"}, headers=headers
    )
    assert (r.status_code, r.json()["fields"]) == (422, ["payee_id"])
    r = client.post(
        f"{base}/costs", json={**bill, "payee_id": 999_999, "reference": "FP-0093"}, headers=headers
    )
    assert r.status_code == 404
    assert [e["kind"] for e in statement()] == ["receipt", "cost"]

    # The bill was entered in error: reversed, with the reason kept; asked again, the same reversal.
    undo = f"{base}/postings/{cost_id}/reversal"
    assert client.post(undo, json={"reason": ""}, headers=headers).status_code == 422
    r = client.post(undo, json={"reason": "重复入账"}, headers=headers)
    assert (r.status_code, r.json()["reverses_id"], r.json()["memo"]) == (201, cost_id, "重复入账")
    assert client.post(undo, json={"reason": "重复入账"}, headers=headers).json()["id"] == r.json()["id"]
    assert client.get(base, headers=headers).json()["accounts"].get(f"cost:other:{appraiser}", 0) == 0

    # Once the money is shared out, the receipt can no longer be taken back; a distribution never is.
    done = client.post(f"{base}/distribute", json={}, headers=headers)
    assert done.status_code == 201, done.text
    receipt_id = first.json()["id"]
    r = client.post(f"{base}/postings/{receipt_id}/reversal", json={"reason": "误"}, headers=headers)
    assert (r.status_code, r.json()["error"]) == (409, "AlreadyMoved")
    r = client.post(
        f"{base}/postings/{done.json()['posting_id']}/reversal", json={"reason": "误"}, headers=headers
    )
    assert r.status_code == 409
    money = client.get(base, headers=headers).json()
    assert money["balanced"] and money["received_fen"] == 2_000_000

    # Another court's officer reaches none of it.
    other = login(client, "lc.officer")
    assert (
        client.post(f"{base}/receipts", json={**transfer, "reference": "BK9"}, headers=other).status_code
        == 404
    )
    assert client.post(undo, json={"reason": "x"}, headers=other).status_code == 404

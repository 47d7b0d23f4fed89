"""The center clerk's custody pages: the chain with each key's hand, the cost statement, the release at
the gate; scoped to the clerk's own center, every form checked for its CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.custody import release
from car_enforce.custody.models import (
    Custody,
    CustodyCharge,
    CustodyEvent,
    CustodyKey,
    CustodyStatus,
    ReleaseKind,
)
from car_enforce.custody.schemas import ReleaseOrderIn
from tests import factories
from tests.custody_helpers import in_custody
from tests.web.console_helpers import log_in

DEBTOR_ID_NUMBER = "330326199001011236"  # the debtor of tests.api_helpers.case_body
SAFE = "李保管（钥匙柜）"
SCRIPT = "<script>alert('x')</script>"


def _beside(html: str, name: str) -> str:
    """The label or fieldset around the form field ``name``: where its refusal is shown."""
    found = re.search(rf'<(label|fieldset)[^>]*>(?:(?!</\1>).)*name="{name}".*?</\1>', html, re.DOTALL)
    assert found is not None, name
    return found.group(0)


@dataclass
class Car:
    client: TestClient
    custody_id: int
    keys: dict[str, int]  # label → id
    csrf: str

    @property
    def base(self) -> str:
        return f"/center/custody/{self.custody_id}"


@pytest.fixture
def car(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> Iterator[Car]:
    """The Pingyang center's car (two keys in the key safe), its clerk logged in."""
    built = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=clock.now().date(), intake={})
    keys = {k["label"]: k["id"] for k in built.custody["keys"]}
    with TestClient(app) as client:
        yield Car(client, built.custody["id"], keys, log_in(client, "py.center"))


def _holders(db: Database, custody_id: int) -> list[tuple[str, str]]:
    with db.unit_of_work(read_only=True) as s:
        rows = s.execute(
            select(CustodyKey.label, CustodyKey.holder)
            .where(CustodyKey.custody_id == custody_id)
            .order_by(CustodyKey.number)
        )
        return [(label, holder) for label, holder in rows]


def _count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _order(db: Database, custody_id: int, id_number: str = DEBTOR_ID_NUMBER) -> int:
    """The Pingyang court's release order: the car back to its owner."""
    with db.unit_of_work() as s:
        officer = principal_of_user(s.scalars(select(User).where(User.username == "py.officer")).one())
        held = s.get(Custody, custody_id)
        assert held is not None
        issued = release.issue_order(
            s,
            actor=officer,
            custody=held,
            data=ReleaseOrderIn(
                kind=ReleaseKind.RETURN_TO_OWNER,
                document_number="（2026）浙0326执1234号之二",
                recipient_name="林某某",
                recipient_id_number=id_number,
            ),
        )
        return issued.id


def test_the_chain_page_passes_one_key_of_two_and_names_it(car: Car, db: Database) -> None:
    page = car.client.get(f"{car.base}/chain")
    assert page.status_code == 200
    assert "钥匙1：随车移交 → 李保管（钥匙柜）" in page.text  # the intake, key by key
    r = car.client.post(
        f"{car.base}/chain/keys",
        data={"csrf": car.csrf, "keys": f"{car.keys['钥匙1']}:{SAFE}", "to": "检测员 王某"},
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, f"{car.base}/chain")
    assert _holders(db, car.custody_id) == [("钥匙1", "检测员 王某"), ("钥匙2", SAFE)]
    after = car.client.get(f"{car.base}/chain").text
    assert "2. 钥匙交接" in after and "钥匙1：李保管（钥匙柜） → 检测员 王某" in after
    assert '<option value="检测员 王某">' in after  # offered as a hand next time
    back = car.client.post(
        f"{car.base}/chain/keys",
        data={"csrf": car.csrf, "keys": f"{car.keys['钥匙1']}:检测员 王某", "to": "钥匙柜"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert _holders(db, car.custody_id) == [("钥匙1", SAFE), ("钥匙2", SAFE)]


def test_a_key_that_changed_hands_since_the_page_was_read_is_refused_with_its_rule(
    car: Car, db: Database
) -> None:
    key = car.keys["钥匙2"]
    moved = {"csrf": car.csrf, "keys": f"{key}:{SAFE}", "to": "检测员 王某"}
    assert car.client.post(f"{car.base}/chain/keys", data=moved, follow_redirects=False).status_code == 303
    stale = car.client.post(f"{car.base}/chain/keys", data={**moved, "to": "洗车工 张某"})  # the old page
    assert stale.status_code == 409
    beside = _beside(stale.text, "keys")
    assert "钥匙2现由检测员 王某保管" in beside and "依据：《查封规定》第六条、第十条" in beside
    assert 'value="洗车工 张某"' in stale.text  # the form is kept
    none = car.client.post(f"{car.base}/chain/keys", data={"csrf": car.csrf, "to": "检测员 王某"})
    assert none.status_code == 422 and "请勾选交接的钥匙" in _beside(none.text, "keys")
    assert _holders(db, car.custody_id) == [("钥匙1", SAFE), ("钥匙2", "检测员 王某")]


def test_the_car_moves_from_the_chain_page_and_a_move_to_where_it_is_is_refused(
    car: Car, db: Database
) -> None:
    r = car.client.post(
        f"{car.base}/chain/move", data={"csrf": car.csrf, "to_place": "检测工位2"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "车辆：A-07 → 检测工位2" in car.client.get(f"{car.base}/chain").text
    again = car.client.post(f"{car.base}/chain/move", data={"csrf": car.csrf, "to_place": "检测工位2"})
    assert again.status_code == 409 and "车辆已在检测工位2" in _beside(again.text, "to_place")
    assert _count(db, CustodyEvent) == 2


def test_typed_script_on_the_chain_is_shown_as_text(car: Car) -> None:
    data = {"csrf": car.csrf, "keys": f"{car.keys['钥匙1']}:{SAFE}", "to": SCRIPT[:96]}
    assert car.client.post(f"{car.base}/chain/keys", data=data, follow_redirects=False).status_code == 303
    page = car.client.get(f"{car.base}/chain").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_cost_statement_shows_days_tariff_charges_and_total_and_takes_a_charge(
    car: Car, db: Database, clock: MovableClock
) -> None:
    page = car.client.get(f"{car.base}/costs")
    assert page.status_code == 200
    text = page.text
    assert "保管费30.00元/天" in text and "拖车费（12公里）" in text
    assert "<dd>1天</dd>" in text and 'id="total">426.00元' in text  # 396 towing + one day at 30
    form = {
        "csrf": car.csrf,
        "kind": "other",
        "amount": "80.50",
        "description": "电瓶搭电",
        "charge_key": "INV-0091",
    }
    r = car.client.post(f"{car.base}/costs/charges", data=form, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"{car.base}/costs")
    again = car.client.post(f"{car.base}/costs/charges", data=form, follow_redirects=False)
    assert again.status_code == 303  # the same reference: the same charge, posted once
    after = car.client.get(f"{car.base}/costs").text
    assert "电瓶搭电" in after and "80.50元" in after and 'id="total">506.50元' in after
    assert _count(db, CustodyCharge) == 2
    bad = car.client.post(f"{car.base}/costs/charges", data={**form, "amount": "八十"})
    assert bad.status_code == 422 and "金额应以元为单位" in _beside(bad.text, "amount")
    reused = car.client.post(f"{car.base}/costs/charges", data={**form, "amount": "90"})
    assert reused.status_code == 409 and "单据号已用于另一笔费用（80.50元" in _beside(
        reused.text, "charge_key"
    )
    assert 'value="90"' in reused.text  # the form is kept
    assert _count(db, CustodyCharge) == 2


def test_a_release_with_a_key_out_of_the_safe_is_refused_with_its_article_then_made(
    car: Car, db: Database
) -> None:
    order_id = _order(db, car.custody_id)
    key1, key2 = car.keys["钥匙1"], car.keys["钥匙2"]
    car.client.post(
        f"{car.base}/chain/keys",
        data={"csrf": car.csrf, "keys": f"{key2}:{SAFE}", "to": "检测员 王某"},
        follow_redirects=False,
    )
    page = car.client.get(f"{car.base}/release")
    assert "（2026）浙0326执1234号之二" in page.text and "3303**********1236" in page.text
    assert "林*某" in page.text and "待执行" in page.text
    form = {"csrf": car.csrf, "order_id": str(order_id), "recipient_id_number": DEBTOR_ID_NUMBER}
    refused = car.client.post(f"{car.base}/release", data={**form, "key_ids": str(key1)})
    assert refused.status_code == 409
    beside = _beside(refused.text, "key_ids")
    assert "钥匙2在检测员 王某手中" in beside and "依据：《查封规定》第六条、第十条" in beside
    assert DEBTOR_ID_NUMBER not in refused.text  # the ID number typed at the gate is not shown back
    wrong = car.client.post(
        f"{car.base}/release",
        data={**form, "recipient_id_number": "330326198505120036", "key_ids": [str(key1), str(key2)]},
    )
    assert wrong.status_code == 403
    assert "与放行通知所载（3303**********1236）不符" in _beside(wrong.text, "recipient_id_number")
    assert "只凭人民法院的放行通知出库" in _beside(wrong.text, "recipient_id_number")  # the rule
    with db.unit_of_work(read_only=True) as s:
        held = s.get(Custody, car.custody_id)
        assert held is not None and held.status == CustodyStatus.IN_CUSTODY
    made = car.client.post(
        f"{car.base}/release", data={**form, "key_ids": [str(key1), str(key2)]}, follow_redirects=False
    )
    assert (made.status_code, made.headers["location"]) == (303, f"{car.base}/release")
    done = car.client.get(f"{car.base}/release").text
    assert "已出库" in done and "已执行" in done
    recipient = "解除扣押发还 3303**********1236"
    assert _holders(db, car.custody_id) == [("钥匙1", recipient), ("钥匙2", recipient)]
    chain = car.client.get(f"{car.base}/chain").text
    assert f"钥匙1：李保管（钥匙柜） → {recipient}" in chain and f"钥匙2：检测员 王某 → {recipient}" in chain
    assert 'action="/center/custody/' not in chain.split("保管链")[-1]  # no forms once the car has left


def test_without_an_issued_order_the_release_page_says_why_the_car_stays(car: Car) -> None:
    page = car.client.get(f"{car.base}/release")
    assert "没有待执行的放行通知" in page.text and "依据：《查封规定》第六条、第十条" in page.text
    assert 'id="release"' not in page.text
    posted = car.client.post(
        f"{car.base}/release",
        data={"csrf": car.csrf, "order_id": "999", "recipient_id_number": DEBTOR_ID_NUMBER},
    )
    beside = _beside(posted.text, "order_id")
    assert posted.status_code == 409 and "没有这份待执行的放行通知" in beside
    assert "依据：《查封规定》第六条、第十条" in beside


PAGES = ("chain", "costs", "release")
FORMS = {
    "chain/move": {"to_place": "B-01"},
    "chain/keys": {"keys": "1", "to": "检测员 王某"},
    "costs/charges": {"amount": "80", "description": "电瓶搭电", "charge_key": "X-1"},
    "release": {"order_id": "1", "recipient_id_number": DEBTOR_ID_NUMBER, "key_ids": "1"},
}


def test_another_centers_clerk_is_not_told_the_car_exists(app: FastAPI, car: Car, db: Database) -> None:
    events, charges = _count(db, CustodyEvent), _count(db, CustodyCharge)
    with TestClient(app) as other:
        csrf = log_in(other, "hz.center")
        for page in PAGES:
            r = other.get(f"{car.base}/{page}")
            assert r.status_code == 404 and "未找到" in r.text, page
        for action, fields in FORMS.items():
            r = other.post(f"{car.base}/{action}", data={"csrf": csrf, **fields})
            assert r.status_code == 404 and "未找到" in r.text, action
    assert (_count(db, CustodyEvent), _count(db, CustodyCharge)) == (events, charges)


def test_every_custody_form_posted_without_its_csrf_token_is_refused(car: Car, db: Database) -> None:
    _order(db, car.custody_id)
    events, charges = _count(db, CustodyEvent), _count(db, CustodyCharge)
    for action, fields in FORMS.items():
        for token in ({}, {"csrf": "forged"}):
            r = car.client.post(f"{car.base}/{action}", data={**fields, **token})
            assert r.status_code == 403 and "CSRF" in r.text, action
    assert (_count(db, CustodyEvent), _count(db, CustodyCharge)) == (events, charges)
    assert _holders(db, car.custody_id) == [("钥匙1", SAFE), ("钥匙2", SAFE)]


def test_the_cars_page_links_to_its_chain_costs_and_release_and_says_whose_hand_each_key_is_in(
    car: Car,
) -> None:
    page = car.client.get(car.base).text
    for tab in PAGES:
        assert f'href="{car.base}/{tab}"' in page
    assert "2把（钥匙1、钥匙2），现由 李保管（钥匙柜） 保管" in page
    data = {"csrf": car.csrf, "keys": f"{car.keys['钥匙1']}:{SAFE}", "to": "检测员 王某"}
    car.client.post(f"{car.base}/chain/keys", data=data, follow_redirects=False)
    assert "2把：钥匙1由检测员 王某保管；钥匙2由李保管（钥匙柜）保管" in car.client.get(car.base).text

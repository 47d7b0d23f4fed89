"""The officer's pages around a case: registering a car (a known plate is confirmed on a page first), the
case's timeline with its hash chain verified, a seized car's stage clock, and linking applicants' accounts.
Another court's case is a 404 on each, and every form wants its CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from car_enforce.cases.models import EnforcementCase
from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import open_case
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.identity.service import create_organisation, create_user
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.stages.jobs import sweep_stage_clocks
from car_enforce.vehicles.models import CaseVehicle, Vehicle
from tests import factories
from tests.api_helpers import PASSWORD, VIN, case_body
from tests.custody_helpers import in_custody
from tests.web.console_helpers import case_with_car, log_in, principal

OTHER_DEBTOR = {"kind": "person", "name": "张三丰", "id_number": "330302199001011235", "phone": "13900000009"}


def _count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _lucheng_case(db: Database) -> tuple[int, int]:
    """Another court's case against another debtor: its id and its debtor's party id."""
    with db.unit_of_work() as s:
        body = case_body("(2026)浙0302执77号", debtors=[OTHER_DEBTOR])
        case = open_case(s, actor=principal(s, "lc.officer"), data=CaseCreate(**body))
        return case.id, next(p.id for p in case.parties if p.role == "debtor")


def _vehicle_form(csrf: str, owner: int, **changes: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "plate": "浙C12345",
        "plate_colour": "blue",
        "plate_type": "02",
        "vin": "",
        "description": "白色轿车",
        "vehicle_type": "",
        "owner_party_id": str(owner),
        **changes,
    }


def _beside(html: str, field: str) -> str:
    """The label holding a form's field: what the page says beside it."""
    found = re.search(rf'<label>[^<]*\s*<(?:input|select) name="{field}".*?</label>', html, re.DOTALL)
    assert found is not None, field
    return unescape(found.group(0))


def test_another_courts_case_capture_and_forms_are_not_found(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    built = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=clock.now().date(), intake={})
    case_id, capture_id = built.case["id"], built.capture["id"]
    with TestClient(app) as mine:
        log_in(mine, "py.officer")
        for path in (
            f"/cases/{case_id}/timeline",
            f"/cases/{case_id}/applicants",
            f"/captures/{capture_id}/stages",
        ):
            assert mine.get(path).status_code == 200, path
    with TestClient(app) as clerk:
        log_in(clerk, "py.center")  # the center holding the car follows its clock too
        assert clerk.get(f"/captures/{capture_id}/stages").status_code == 200
    with TestClient(app) as other:
        csrf = log_in(other, "lc.officer")
        for path in (
            f"/cases/{case_id}/timeline",
            f"/cases/{case_id}/applicants",
            f"/captures/{capture_id}/stages",
        ):
            r = other.get(path)
            assert r.status_code == 404 and "未找到" in r.text, path  # not even told it exists
        posted = other.post(f"/cases/{case_id}/vehicles", data=_vehicle_form(csrf, 1, plate="浙C54321"))
        assert posted.status_code == 404
        linked = other.post(
            f"/cases/{case_id}/applicants", data={"csrf": csrf, "party_id": 1, "username": "x"}
        )
        assert linked.status_code == 404
    with TestClient(app) as stranger:
        log_in(stranger, "hz.center")
        assert stranger.get(f"/captures/{capture_id}/stages").status_code == 404
    assert _count(db, Vehicle) == 1


def test_the_case_forms_without_their_csrf_token_are_refused(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case_id = case_with_car(db)
    with TestClient(app) as client:
        log_in(client, "py.officer")
        r = client.post(f"/cases/{case_id}/vehicles", data=_vehicle_form("forged", 2, plate="浙C54321"))
        assert r.status_code == 403 and "CSRF" in r.text
        r = client.post(f"/cases/{case_id}/applicants", data={"party_id": 1, "username": "creditor"})
        assert r.status_code == 403
    assert _count(db, Vehicle) == 1


def test_a_known_plate_is_shown_and_confirmed_on_a_page_before_it_joins_the_case(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case_with_car(db)
    case_id, debtor = _lucheng_case(db)
    with TestClient(app) as client:
        csrf = log_in(client, "lc.officer")
        page = client.get(f"/cases/{case_id}").text
        assert "《查封规定》第二十六条" in _beside(
            page, "plate"
        )  # the rule beside the field, before anything
        shown = client.post(f"/cases/{case_id}/vehicles", data=_vehicle_form(csrf, debtor))
        assert shown.status_code == 409, shown.text
        text = unescape(shown.text)
        assert "号牌浙C12345已在平台登记" in text
        assert "平阳县人民法院" in text and "(2026)浙0326执1234号" in text and "林*某" in text
        assert "LSVA*********3294" in text and "其他案件中登记的车辆所有人不是本案被执行人" in text
        assert VIN not in text and "330326198808080019" not in text and "386,500" not in text
        assert _count(db, CaseVehicle) == 1  # nothing attached yet

        confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', shown.text))
        assert confirm["plate"] == "浙C12345" and confirm["confirm_known_vehicle_id"]
        done = client.post(f"/cases/{case_id}/vehicles", data=confirm, follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, f"/cases/{case_id}#vehicles")
        assert "白色大众帕萨特轿车" in client.get(f"/cases/{case_id}").text
    assert (_count(db, Vehicle), _count(db, CaseVehicle)) == (1, 2)


def test_a_vin_that_contradicts_the_known_car_is_refused_beside_the_vin(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case_with_car(db)
    case_id, debtor = _lucheng_case(db)
    with TestClient(app) as client:
        csrf = log_in(client, "lc.officer")
        form = _vehicle_form(csrf, debtor, vin="LFV2A21K8G4012345", confirm_known_vehicle_id="1")
        refused = client.post(f"/cases/{case_id}/vehicles", data=form)
        assert refused.status_code == 409
        beside = _beside(refused.text, "vin")
        assert (
            "LSVA*********3294" in beside and "车架号不会改变" in beside and "(2026)浙0326执1234号" in beside
        )
        assert 'value="LFV2A21K8G4012345"' in beside  # what was typed stays for correcting
        malformed = client.post(f"/cases/{case_id}/vehicles", data=_vehicle_form(csrf, debtor, plate="浙C1"))
        assert malformed.status_code == 422 and "error" in _beside(malformed.text, "plate")
        new = client.post(
            f"/cases/{case_id}/vehicles",
            data=_vehicle_form(csrf, debtor, plate="浙C54321"),
            follow_redirects=False,
        )
        assert new.status_code == 303  # a plate nobody knows registers at once
    with db.unit_of_work(read_only=True) as s:
        assert s.scalars(select(Vehicle.vin).where(Vehicle.plate == "浙C12345")).one() == VIN


def test_the_timeline_page_says_whether_the_chain_verifies(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case_id = case_with_car(db)
    with TestClient(app) as client:
        log_in(client, "py.officer")
        page = client.get(f"/cases/{case_id}/timeline").text
        assert "哈希链校验通过" in page and "未通过" not in page
        assert "立案登记" in page and "登记车辆" in page and "py.officer<small" in page  # Chinese, with who
        with db.unit_of_work() as s:  # someone edits a stored record behind the platform's back
            s.execute(
                update(TimelineEvent)
                .where(TimelineEvent.case_id == case_id, TimelineEvent.kind == "vehicle.registered")
                .values(reason="改过的说明")
            )
        page = client.get(f"/cases/{case_id}/timeline").text
        assert "哈希链校验未通过" in page and "第2条事件（登记车辆）的内容在记录后被改动" in page
        assert 'class="broken"' in page


def test_the_stage_clock_shows_targets_time_taken_warnings_and_the_laws_deadlines(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    built = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=clock.now().date(), intake={})
    clock.advance(timedelta(days=10))  # inspection (3 working days) is overdue
    assert sweep_stage_clocks(db)
    with TestClient(app) as client:
        log_in(client, "py.officer")
        page = client.get(f"/captures/{built.capture['id']}/stages").text
        assert 'class="stagebars"' in page and "<svg" in page and "<script" not in page
        assert "按期完成" in page and "已超期" in page and "已发出" in page  # intake on time, inspection late
        assert "《参考价规定》第一条" in page and "启动确定参考价程序" in page
        assert f'<a href="/cases/{built.case["id"]}">' in page


def test_an_applicant_account_is_linked_from_its_page_and_a_refusal_stands_beside_its_field(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    case_id = case_with_car(db)
    with db.unit_of_work() as s:
        public = create_organisation(s, actor=factories.SYSTEM, kind=OrgKind.PUBLIC, name="公众", code="PUB")
        create_user(
            s,
            actor=factories.SYSTEM,
            organisation_id=public.id,
            username="creditor",
            password=PASSWORD,
            role=Role.APPLICANT,
            display_name="某小贷公司",
        )
        case = s.get(EnforcementCase, case_id)
        assert case is not None
        case_parties = {p.role: p.id for p in case.parties}
    with TestClient(app) as client:
        csrf = log_in(client, "py.officer")
        page = client.get(f"/cases/{case_id}/applicants").text
        assert "未关联" in page
        unknown = client.post(
            f"/cases/{case_id}/applicants",
            data={"csrf": csrf, "party_id": case_parties["applicant"], "username": "py.center"},
        )
        assert unknown.status_code == 422 and "没有这个登录名的有效申请执行人账号" in _beside(
            unknown.text, "username"
        )
        debtor = client.post(
            f"/cases/{case_id}/applicants",
            data={"csrf": csrf, "party_id": case_parties["debtor"], "username": "creditor"},
        )
        assert debtor.status_code == 422 and "不是本案的申请执行人" in _beside(debtor.text, "party_id")
        linked = client.post(
            f"/cases/{case_id}/applicants",
            data={"csrf": csrf, "party_id": case_parties["applicant"], "username": "creditor"},
            follow_redirects=False,
        )
        assert linked.status_code == 303
        assert "creditor<small" in client.get(f"/cases/{case_id}/applicants").text

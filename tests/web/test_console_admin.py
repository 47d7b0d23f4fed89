"""The administrator's pages: organisations, users, machine keys shown once, calendar years and the
timeline's check; every other role is refused, every form checks its CSRF token, and the pages agree with
``/api/admin``."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from car_enforce.core.calendar.models import CalendarDay, CalendarYear
from car_enforce.core.db import Database
from car_enforce.core.identity import security
from car_enforce.core.identity.models import ApiKey, Organisation, OrgKind, Role, User
from car_enforce.core.identity.service import create_organisation, create_user
from car_enforce.core.timeline.models import TimelineEvent
from tests import factories
from tests.api_helpers import PASSWORD, login
from tests.web.console_helpers import form_csrf

SCRIPT = "<script>alert('x')</script>"
PAGES = ("/admin/organisations", "/admin/users", "/admin/api-keys", "/admin/calendar", "/admin/timeline")
FORMS = (
    "/admin/organisations",
    "/admin/users",
    "/admin/api-keys",
    "/admin/api-keys/1/revoke",
    "/admin/calendar",
    "/admin/organisations/1/bank-account",
)


def _logged_in(app: FastAPI, username: str = "root.admin", password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    page = client.get("/login").text
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": form_csrf(page), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def _org_id(db: Database, name: str) -> int:
    with db.unit_of_work(read_only=True) as s:
        found = s.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None
        return found


def _beside(html: str, field: str) -> str:
    """The label that holds a form's field, with the refusal shown beside it."""
    found = re.search(rf'<label>(?:(?!</label>).)*name="{field}".*?</label>', html, re.DOTALL)
    assert found is not None, field
    return found.group(0)


@pytest.fixture
def everyone_else(db: Database, world: factories.World, centers: factories.Centers) -> dict[Role, str]:
    """A login for every role but the administrator's."""
    with db.unit_of_work() as s:
        public = create_organisation(s, actor=factories.SYSTEM, kind=OrgKind.PUBLIC, name="公众", code="PUB")
        unit = s.scalar(select(Organisation).where(Organisation.kind == OrgKind.POLICE_UNIT))
        assert unit is not None
        for username, role, org_id in (
            ("a.police", Role.POLICE_ADAPTER, unit.id),
            ("a.auction", Role.AUCTION_STAFF, world.pingyang_court),
            ("a.buyer", Role.BUYER, public.id),
            ("a.applicant", Role.APPLICANT, public.id),
        ):
            create_user(
                s,
                actor=factories.SYSTEM,
                organisation_id=org_id,
                username=username,
                password=PASSWORD,
                role=role,
                display_name=username,
            )
    return {
        Role.OFFICER: "py.officer",
        Role.CENTER_STAFF: "py.center",
        Role.POLICE_ADAPTER: "a.police",
        Role.AUCTION_STAFF: "a.auction",
        Role.BUYER: "a.buyer",
        Role.APPLICANT: "a.applicant",
    }


def test_every_other_role_is_refused_every_admin_page_and_form(
    app: FastAPI, db: Database, everyone_else: dict[Role, str]
) -> None:
    assert set(everyone_else) == set(Role) - {Role.ADMIN}
    for role, username in everyone_else.items():
        with _logged_in(app, username) as client:
            csrf = form_csrf(client.get("/").text)
            for path in (*PAGES, "/admin/timeline?run=1"):
                r = client.get(path)
                assert r.status_code == 403 and "无权访问" in r.text, (role, path)
            for path in FORMS:
                r = client.post(path, data={"csrf": csrf, "name": "x", "kind": "court"})
                assert r.status_code == 403, (role, path)
            assert not any(href.startswith("/admin") for href in re.findall(r'href="([^"]+)"', r.text))
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == "x")) == 0


def test_every_admin_page_is_in_the_administrators_menu(app: FastAPI, world: factories.World) -> None:
    with _logged_in(app) as client:
        home = client.get("/").text
        for path in PAGES:
            assert f'href="{path}"' in home
            assert client.get(path).status_code == 200, path


def test_an_admin_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with db.unit_of_work(read_only=True) as s:
        before = s.scalar(select(func.count()).select_from(TimelineEvent))
    with _logged_in(app) as client:
        police = _org_id(db, "温州市公安局交通警察支队")
        bodies = {
            "/admin/organisations": {"kind": "court", "name": "新法院"},
            "/admin/users": {"organisation_id": police, "role": "police_adapter", "username": "new.one"},
            "/admin/api-keys": {"organisation_id": police, "name": "卡口", "role": "police_adapter"},
            "/admin/api-keys/1/revoke": {},
            "/admin/calendar": {"year": "2027", "source": "通知", "holidays": "元旦 2027-01-01"},
            f"/admin/organisations/{police}/bank-account": {
                "bank_name": "工商银行",
                "bank_account": "6222000011",
            },
        }
        for path, body in bodies.items():
            for forged in ({}, {"csrf": "forged"}):
                r = client.post(path, data={**body, **forged})
                assert r.status_code == 403 and "CSRF" in r.text, path
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(TimelineEvent)) == before  # nothing happened
        assert s.scalar(select(ApiKey.revoked_at).where(ApiKey.id == 1)) is None


def test_a_new_keys_secret_is_shown_once_and_only_its_hash_is_kept(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    police = _org_id(db, "温州市公安局交通警察支队")
    with _logged_in(app) as client:
        listing = client.get("/admin/api-keys")
        r = client.post(
            "/admin/api-keys",
            data={
                "csrf": form_csrf(listing.text),
                "organisation_id": police,
                "name": "支队卡口",
                "role": "police_adapter",
            },
            follow_redirects=False,
        )
        assert r.status_code == 200  # the answer itself, not a redirect that would carry the secret
        assert r.headers["cache-control"] == "no-store"
        assert "location" not in r.headers and "set-cookie" not in r.headers
        found = re.search(r'<code class="key" id="new-secret">([^<]+)</code>', r.text)
        assert found is not None
        secret = found.group(1)
        assert r.text.count(secret) == 1 and "只显示这一次" in r.text
        again = client.get("/admin/api-keys")
        assert secret not in again.text and "new-secret" not in again.text
        prefix = security.prefix_of(secret)
        assert prefix is not None and prefix in again.text and "支队卡口" in again.text
        # The key works for the unit's systems.
        assert client.get("/api/police/watchlist/changes", headers={"X-API-Key": secret}).status_code == 200
    with db.unit_of_work(read_only=True) as s:
        key = s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        assert key.secret_hash == security.sha256_hex(secret) and key.organisation_id == police
        stored = s.execute(
            select(ApiKey.name, ApiKey.prefix, ApiKey.secret_hash).where(ApiKey.id == key.id)
        ).one()
        assert all(secret not in str(column) for column in stored)


def test_a_key_is_revoked_from_the_list_and_stops_working(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    prefix = security.prefix_of(world.pingyang_key)
    with db.unit_of_work(read_only=True) as s:
        key_id = s.scalars(select(ApiKey.id).where(ApiKey.prefix == prefix)).one()
    with _logged_in(app) as client:
        listing = client.get("/admin/api-keys").text
        assert f'action="/admin/api-keys/{key_id}/revoke"' in listing
        r = client.post(
            f"/admin/api-keys/{key_id}/revoke", data={"csrf": form_csrf(listing)}, follow_redirects=False
        )
        assert (r.status_code, r.headers["location"]) == (303, f"/admin/api-keys#key-{key_id}")
        row = re.search(rf'<tr id="key-{key_id}">.*?</tr>', client.get("/admin/api-keys").text, re.DOTALL)
        assert row is not None and "吊销" in row.group(0) and "revoke" not in row.group(0)
        r = client.get("/api/police/watchlist/changes", headers={"X-API-Key": world.pingyang_key})
        assert r.status_code == 403


def test_a_script_typed_into_an_organisations_name_shows_as_text(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with _logged_in(app) as client:
        page = client.get("/admin/organisations")
        r = client.post(
            "/admin/organisations",
            data={"csrf": form_csrf(page.text), "kind": "aux_center", "name": SCRIPT, "code": "AUX-X"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        for path in ("/admin/organisations", "/admin/users", "/admin/api-keys"):
            html = client.get(path).text
            assert "<script>alert" not in html and "&lt;script&gt;alert(" in html, path


def test_an_organisation_is_created_with_its_jurisdiction_and_place_and_refusals_stand_beside_the_field(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with _logged_in(app) as client:
        page = client.get("/admin/organisations")
        assert page.status_code == 200 and 'option value="330326">平阳县' in page.text
        form = {
            "csrf": form_csrf(page.text),
            "kind": "aux_center",
            "name": "法拍车辅助事务办理中心（乐清站）",
            "code": "AUX-YQ",
            "jurisdiction_code": "330382",
            "lon": "120.9679",
            "lat": "28.1163",
        }
        for change, field, words in (
            ({"jurisdiction_code": "339999"}, "jurisdiction_code", "没有这个行政区划代码"),
            ({"lat": ""}, "lat", "经度和纬度须同时填写"),
            ({"lon": "东经120度"}, "lon", "十进制度数"),
            ({"name": "运营"}, "name", "已有同名机构"),
            ({"code": "OPS"}, "code", "已有机构使用这个代码"),
            ({"kind": "bank"}, "kind", "填写有误：不是可选的值"),
            ({"name": ""}, "name", "填写有误：至少 1 个字符"),
        ):
            refused = client.post("/admin/organisations", data={**form, **change})
            assert refused.status_code in (404, 409, 422), (field, refused.status_code)
            assert words in _beside(refused.text, field), field
            assert 'value="AUX-YQ"' in refused.text or field == "code"  # the form is kept
        r = client.post("/admin/organisations", data=form, follow_redirects=False)
        assert r.status_code == 303
        listing = client.get("/admin/organisations").text
        row = re.search(
            r'<tr id="org-\d+">\s*<td>法拍车辅助事务办理中心（乐清站）.*?</tr>', listing, re.DOTALL
        )
        assert row is not None
        for shown in ("辅助事务办理中心", "AUX-YQ", "乐清市", "330382", "120.9679, 28.1163"):
            assert shown in row.group(0)
        api = login(client, "root.admin")
        orgs = client.get("/api/admin/organisations", headers=api).json()
        made = next(o for o in orgs if o["code"] == "AUX-YQ")
        assert (made["jurisdiction_code"], made["lon"], made["lat"]) == ("330382", 120.9679, 28.1163)
        # The API refuses the same way, naming the field.
        for body, status, field, words in (
            ({"kind": "aux_center", "name": "半个位置", "lon": 120.5}, 422, "lat", "经度和纬度须同时填写"),
            ({"kind": "court", "name": "运营"}, 409, "name", "已有同名机构"),
            (
                {"kind": "court", "name": "新法院", "jurisdiction_code": "339999"},
                404,
                "jurisdiction_code",
                "没有这个行政区划代码",
            ),
        ):
            r = client.post("/api/admin/organisations", json=body, headers=api)
            assert (r.status_code, r.json()["fields"]) == (status, [field]), r.text
            assert words in r.json()["detail_zh"]


def test_a_user_is_created_and_a_role_that_does_not_fit_the_organisation_is_refused_beside_it(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with _logged_in(app) as client:
        page = client.get("/admin/users")
        assert "py.officer" in page.text and "执行干警" in page.text and "启用" in page.text
        form = {
            "csrf": form_csrf(page.text),
            "organisation_id": str(world.pingyang_court),
            "role": "center_staff",
            "username": "py.officer2",
            "display_name": "平阳执行干警二",
            "phone": "13800000001",
            "password": "a-long-first-password",
        }
        refused = client.post("/admin/users", data=form)
        assert refused.status_code == 422
        assert "辅助中心工作人员只能属于：辅助事务办理中心" in _beside(refused.text, "role")
        assert "a-long-first-password" not in refused.text  # a password is never sent back
        assert 'value="py.officer2"' in refused.text
        for change, field, words in (
            ({"username": "py.officer"}, "username", "这个用户名已被使用"),
            ({"password": "short"}, "password", "填写有误：至少 10 个字符"),
            ({"organisation_id": "999"}, "organisation_id", "没有这个机构"),
        ):
            again = client.post("/admin/users", data={**form, "role": "officer", **change})
            assert again.status_code in (404, 409, 422) and words in _beside(again.text, field), field
        r = client.post("/admin/users", data={**form, "role": "officer"}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/admin/users#user-py.officer2")
        row = re.search(r'<tr id="user-py.officer2">.*?</tr>', client.get("/admin/users").text, re.DOTALL)
        assert row is not None and "执行干警" in row.group(0) and "平阳" in row.group(0)
        users = client.get("/api/admin/users", headers=login(client, "root.admin")).json()
        assert {"username": "py.officer2", "role": "officer", "active": True}.items() <= next(
            u for u in users if u["username"] == "py.officer2"
        ).items()
    with db.unit_of_work(read_only=True) as s:
        user = s.scalars(select(User).where(User.username == "py.officer2")).one()
        assert user.password_hash != "a-long-first-password"
    _logged_in(
        app, "py.officer2", "a-long-first-password"
    ).close()  # the new officer logs in with the initial password


HOLIDAYS_2027 = """元旦 2027-01-01 2027-01-03
春节 2027-02-05 至 2027-02-11

清明节 2027年4月5日
"""


def test_a_calendar_year_is_loaded_line_by_line_and_a_bad_line_is_named_beside_its_box(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with _logged_in(app) as client:
        page = client.get("/admin/calendar")
        assert "尚未载入任何年份" in page.text
        form = {
            "csrf": form_csrf(page.text),
            "year": "2027",
            "source": "国务院办公厅关于2027年部分节假日安排的通知",
            "holidays": HOLIDAYS_2027,
            "workdays": "春节调休 2027-02-14\n春节调休 2027-02-15\n",
        }
        refused = client.post("/admin/calendar", data=form)
        assert refused.status_code == 422
        assert "第2行：2027年2月15日是周一；调休上班日只能是周六或周日" in _beside(
            refused.text, "workdays"
        )  # the line, as typed
        assert "春节调休 2027-02-15" in refused.text  # the text is kept to correct
        for change, field, words in (
            ({"holidays": "元旦 2027-01-01\n春节 二月五日"}, "holidays", "第2行应写作"),
            (
                {"holidays": "元旦 2027-01-01\n春节 2027-02-11 2027-02-05"},
                "holidays",
                "第2行：结束日期2027年2月5日早于开始日期2027年2月11日",
            ),
            ({"holidays": "元旦 2027-02-30"}, "holidays", "第1行应写作"),
            ({"holidays": ""}, "holidays", "至少列出一个节日"),
            ({"year": "二〇二七"}, "year", "填写有误：应为整数"),
        ):
            again = client.post("/admin/calendar", data={**form, "workdays": "", **change})
            assert again.status_code == 422 and words in _beside(again.text, field), field
        with db.unit_of_work(read_only=True) as s:
            assert s.scalar(select(func.count()).select_from(CalendarYear)) == 0
        r = client.post(
            "/admin/calendar", data={**form, "workdays": "春节调休 2027-02-14"}, follow_redirects=False
        )
        assert (r.status_code, r.headers["location"]) == (303, "/admin/calendar#year-2027")
        listing = client.get("/admin/calendar").text
        row = re.search(r'<tr id="year-2027">(.*?)</tr>', listing, re.DOTALL)
        assert row is not None
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
        # 3 + 7 + 1 rest days; 2027 has 261 weekdays, 7 of them in these holidays, and one make-up Sunday.
        assert cells[:5] == ["2027年", "国务院办公厅关于2027年部分节假日安排的通知", "11天", "1天", "255天"]
        assert cells[6] == "root.admin"
        years = client.get("/api/admin/calendar-years", headers=login(client, "root.admin")).json()
        assert [(y["year"], y["rest_days"], y["make_up_workdays"], y["working_days"]) for y in years] == [
            (2027, 11, 1, 255)
        ]
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(CalendarDay)) == 12


def test_the_timeline_check_counts_what_it_read_and_shows_the_first_broken_link(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with _logged_in(app) as client:
        page = client.get("/admin/timeline")
        assert "核验全部时间线" in page.text and "完整无误" not in page.text  # it runs on request only
        with db.unit_of_work(read_only=True) as s:
            events = s.scalar(select(func.count()).select_from(TimelineEvent))
        intact = client.get("/admin/timeline?run=1").text
        assert "完整无误" in intact and f"已核验 1 条链、{events} 条事件" in intact
        with db.unit_of_work(read_only=True) as s:
            second, fifth = (
                s.scalars(
                    select(TimelineEvent.id).where(TimelineEvent.seq.in_((2, 5))).order_by(TimelineEvent.seq)
                )
            ).all()
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE timeline_event SET subject = 'organisation:99' WHERE id = :i"), {"i": second}
            )
            conn.execute(text("DELETE FROM notification WHERE event_id = :i"), {"i": fifth})
            conn.execute(text("DELETE FROM timeline_event WHERE id = :i"), {"i": fifth})
        broken = client.get("/admin/timeline?run=1")
        assert broken.status_code == 200 and "发现 2 处断链" in broken.text
        first = re.search(r"<strong>第一处断链：</strong>(.*?)</p>", broken.text)
        assert first is not None
        chain = "平台管理记录（机构、用户、密钥、日历）"
        assert first.group(1) == f"{chain}，第2条事件（新增机构）的内容在记录后被改动（事件编号 {second}）。"
        assert "第5条事件缺失（已被删除）" in broken.text
        api = client.get("/api/admin/timeline/verify", headers=login(client, "root.admin")).json()
        assert api["intact"] is False and api["events_checked"] == events - 1 and api["chains_checked"] == 1


def test_where_an_organisation_is_paid_is_set_on_its_row_and_shown_by_its_last_four_digits(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    center = world.pingyang_court  # its designated account, where the winner's deposit goes
    police = _org_id(db, "温州市公安局交通警察支队")
    url = f"/admin/organisations/{center}/bank-account"
    with _logged_in(app) as client:
        csrf = form_csrf(client.get("/admin/organisations").text)
        bad = client.post(url, data={"csrf": csrf, "bank_name": "工商银行平阳支行", "bank_account": "6222-!"})
        assert bad.status_code == 422
        row = re.search(rf'<tr id="org-{center}">.*?</tr>', bad.text, re.DOTALL)
        assert row is not None and '<details class="account" open>' in row.group(0)
        assert "error" in _beside(row.group(0), "bank_account")
        assert "error" not in _beside(bad.text, "name")  # the new organisation's form is left alone
        done = client.post(
            url,
            data={"csrf": csrf, "bank_name": "工商银行平阳支行", "bank_account": "6222 0203 0400 5678"},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"].endswith(f"#org-{center}")
        page = client.get("/admin/organisations").text
        assert "工商银行平阳支行 ****5678" in page and "6222020304005678" not in page
        again = client.post(
            url, data={"csrf": csrf, "bank_name": "工商银行平阳支行", "bank_account": "6222020304005678"}
        )
        assert again.status_code == 200  # the same account: nothing new on the timeline
    with db.unit_of_work(read_only=True) as s:
        org = s.get(Organisation, center)
        assert org is not None and (org.bank_name, org.bank_account) == (
            "工商银行平阳支行",
            "6222020304005678",
        )
        [event] = s.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "organisation.bank_account_set")
        )
        assert "6222020304005678" not in str(event.data) and event.data["account"] == "****5678"
    with TestClient(app) as api:
        headers = login(api, "root.admin")
        [shown] = [
            o for o in api.get("/api/admin/organisations", headers=headers).json() if o["id"] == center
        ]
        assert (shown["bank_name"], shown["bank_account_masked"]) == ("工商银行平阳支行", "****5678")
        r = api.post(
            f"/api/admin/organisations/{center}/bank-account", json={"bank_name": "x"}, headers=headers
        )
        assert r.status_code == 422
        missing = {"bank_name": "工商银行", "bank_account": "62220001"}
        assert (
            api.post(
                "/api/admin/organisations/999999/bank-account", json=missing, headers=headers
            ).status_code
            == 404
        )
        # A police unit is paid nothing through the platform: no account to set, nothing stored.
        r = api.post(f"/api/admin/organisations/{police}/bank-account", json=missing, headers=headers)
        assert r.status_code == 409 and "无需登记收款账户" in r.json()["detail_zh"]
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(Organisation.bank_account).where(Organisation.id == police)) is None

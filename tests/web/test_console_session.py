"""The console's login: a session cookie, CSRF on every form, expiry and logout, pages scoped like the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.web.pages import PageRoute
from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import cases_of_applicant, link_applicant, open_case
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import Forbidden, InvalidInput
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.identity.service import create_organisation, create_user, principal_of_user
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.watches.models import Watch
from tests import factories
from tests.api_helpers import PASSWORD, case_body
from tests.custody_helpers import in_custody
from tests.web.console_helpers import case_with_car, form_csrf, log_in, post_login, principal

SCRIPT = "<script>alert('x')</script>"


def _log_in(client: TestClient, username: str = "py.officer", next_page: str = "/") -> None:
    log_in(client, username, next_page)


def test_a_page_without_a_login_sends_to_the_login_page_and_back(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with TestClient(app) as client:
        r = client.get("/cases", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login?next=/cases")
        r = post_login(client, client.get("/login?next=/cases").text, "/cases")
        assert (r.status_code, r.headers["location"]) == (303, "/cases")
        cookie = r.headers["set-cookie"]
        assert "ce_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain HTTP here; over TLS the cookie is Secure
        assert client.get("/cases").status_code == 200


def test_a_login_elsewhere_than_this_site_is_not_followed(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with TestClient(app) as client:
        r = post_login(client, client.get("/login").text, "//evil.example")
        assert r.headers["location"] == "/"


def test_forms_posted_without_their_csrf_token_are_refused(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with TestClient(app) as client:
        client.get("/login")
        r = client.post("/login", data={"username": "py.officer", "password": PASSWORD, "csrf": "forged"})
        assert r.status_code == 403 and "CSRF" in r.text
        _log_in(client)
        r = client.post("/logout", data={})  # another site's form cannot know the token
        assert r.status_code == 403
        assert client.get("/cases", follow_redirects=False).status_code == 200  # still logged in


def test_logout_ends_the_session_and_a_login_expires(
    app: FastAPI, db: Database, world: factories.World, clock: MovableClock
) -> None:
    with TestClient(app) as client:
        _log_in(client)
        page = client.get("/cases")
        r = client.post("/logout", data={"csrf": form_csrf(page.text)}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login")
        assert client.get("/cases", follow_redirects=False).status_code == 303
        _log_in(client)
        clock.advance(timedelta(hours=12, minutes=1))
        assert client.get("/cases", follow_redirects=False).headers["location"] == "/login?next=/cases"
        _log_in(client, next_page="/cases")  # the dead session cookie does not lock the browser out
        assert client.get("/cases", follow_redirects=False).status_code == 200


def test_an_officer_sees_the_cases_of_the_court_only_and_typed_script_is_text(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with db.unit_of_work() as s:
        body = case_body()
        body["applicants"][0]["name"] = SCRIPT
        mine = open_case(s, actor=principal(s, "py.officer"), data=CaseCreate(**body))
        theirs = open_case(
            s,
            actor=principal(s, "lc.officer"),
            data=CaseCreate(**case_body("(2026)浙0302执9号")),
        )
        mine_id, theirs_id = mine.id, theirs.id
    with TestClient(app) as client:
        _log_in(client)
        listing = client.get("/cases").text
        assert "(2026)浙0326执1234号" in listing and "(2026)浙0302执9号" not in listing
        page = client.get(f"/cases/{mine_id}")
        assert page.status_code == 200 and "<script>alert" not in page.text
        other = client.get(f"/cases/{theirs_id}")
        assert other.status_code == 404 and "未找到" in other.text


# The login, and the public auction pages (tests/web/test_auction_public_pages.py shows each one anonymously).
PUBLIC_PAGES = {
    "/login",
    "/signup",
    "/auctions",
    "/auctions/{round_id}",
    "/auctions/{round_id}/photos/{position}",
    "/auctions/{round_id}/defects/{defect_id}/photos/{position}",
    "/auctions/{round_id}/inspection",
}


def test_every_page_but_the_login_asks_for_a_login(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    routes = [c.original_route for c in iter_route_contexts(app.routes)]
    pages = [r for r in routes if isinstance(r, PageRoute)]
    assert len(pages) >= 4
    with TestClient(app) as client:
        for route in pages:
            path = re.sub(r"\{\w+\}", "1", route.path)
            for method in route.methods - {"HEAD"}:
                if route.path in PUBLIC_PAGES:
                    continue
                r = client.request(method, path, follow_redirects=False)
                # GET: to the login page; POST: refused before anything (no session, so no CSRF token).
                assert r.status_code in (303, 403), f"{method} {path}: {r.status_code}"
                if method == "GET":
                    assert r.headers["location"].startswith("/login?next="), path


def test_an_officer_issues_a_watch_from_the_case_page_and_a_term_too_long_shows_the_article(
    app: FastAPI, db: Database, world: factories.World, clock: MovableClock
) -> None:
    case_id = case_with_car(db)
    with TestClient(app) as client:
        _log_in(client)
        page = client.get(f"/cases/{case_id}")
        assert "最长至2028年11月23日" in page.text and "第四百八十五条" in page.text
        vehicle_id = re.search(r'name="vehicle_id">\s*<option value="(\d+)"', page.text)
        assert vehicle_id is not None
        form = {
            "csrf": form_csrf(page.text),
            "vehicle_id": vehicle_id.group(1),
            "ruling_number": "(2026)浙0326执1234号之一",
            "scope_code": "330326",
            "expires_on": "2028-12-01",
        }
        refused = client.post(f"/cases/{case_id}/watches", data=form)
        assert refused.status_code == 400, refused.text
        assert "民事诉讼法〉的解释》第四百八十五条" in refused.text and 'value="2028-12-01"' in refused.text
        beside = re.search(r'name="expires_on".*?</label>', refused.text, re.DOTALL)
        assert beside is not None and "第四百八十五条" in beside.group(0)  # the rule, beside its field
        with db.unit_of_work(read_only=True) as s:
            assert s.scalar(select(func.count()).select_from(Watch)) == 0  # nothing stored
        issued = client.post(
            f"/cases/{case_id}/watches", data={**form, "expires_on": ""}, follow_redirects=False
        )
        assert issued.status_code == 303, issued.text
        assert "布控中" in client.get(f"/cases/{case_id}").text
        with db.unit_of_work(read_only=True) as s:
            watch = s.scalar(select(Watch))
            assert watch is not None and str(watch.expires_on) == "2028-11-23"


def test_an_applicant_account_is_linked_by_the_court_to_an_applicant_party_only_once(
    db: Database, world: factories.World
) -> None:
    with db.unit_of_work() as s:
        officer = principal(s, "py.officer")
        case = open_case(s, actor=officer, data=CaseCreate(**case_body()))
        public = create_organisation(s, actor=factories.SYSTEM, kind=OrgKind.PUBLIC, name="公众", code="PUB")
        account = create_user(
            s,
            actor=factories.SYSTEM,
            organisation_id=public.id,
            username="creditor",
            password=PASSWORD,
            role=Role.APPLICANT,
            display_name="申请执行人",
        )
        creditor = next(p for p in case.parties if p.role == "applicant")
        debtor = next(p for p in case.parties if p.role == "debtor")
        with pytest.raises(InvalidInput):
            link_applicant(s, actor=officer, case=case, party_id=debtor.id, user_id=account.id)
        with pytest.raises(Forbidden):
            link_applicant(
                s, actor=principal(s, "lc.officer"), case=case, party_id=creditor.id, user_id=account.id
            )
        link_applicant(s, actor=officer, case=case, party_id=creditor.id, user_id=account.id)
        link_applicant(
            s, actor=officer, case=case, party_id=creditor.id, user_id=account.id
        )  # again: nothing
        linked = cases_of_applicant(s, principal_of_user(account))
        assert [(c.case_number, p.id) for c, p in linked] == [(case.case_number, creditor.id)]
        events = s.scalar(
            select(func.count())
            .select_from(TimelineEvent)
            .where(TimelineEvent.kind == "case.applicant_linked")
        )
        assert events == 1


def test_a_clerk_of_one_center_cannot_see_another_centers_car_by_changing_the_id(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    built = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=clock.now().date(), intake={})
    custody_id = built.custody["id"]
    with TestClient(app) as client:
        _log_in(client, "py.center")
        assert client.get(f"/center/custody/{custody_id}").status_code == 200
        assert client.get(f"/custody/{custody_id}/photos/0").status_code == 200
    with TestClient(app) as other:
        _log_in(other, "hz.center")
        for path in (
            f"/center/custody/{custody_id}",
            f"/custody/{custody_id}/photos/0",
            f"/center/custody/{custody_id}/inspection",
        ):
            r = other.get(path)
            assert r.status_code == 404 and "未找到" in r.text, path  # not even told it exists


def test_an_officer_renews_then_lifts_a_watch_from_the_case_page(
    app: FastAPI, db: Database, world: factories.World, clock: MovableClock
) -> None:
    case_id = case_with_car(db)
    with TestClient(app) as client:
        _log_in(client)
        page = client.get(f"/cases/{case_id}")
        vehicle_id = re.search(r'name="vehicle_id">\s*<option value="(\d+)"', page.text)
        assert vehicle_id is not None
        form = {
            "csrf": form_csrf(page.text),
            "vehicle_id": vehicle_id.group(1),
            "ruling_number": "(2026)浙0326执1234号之一",
            "scope_code": "330326",
        }
        assert client.post(f"/cases/{case_id}/watches", data=form, follow_redirects=False).status_code == 303
        with db.unit_of_work(read_only=True) as s:
            watch_id = s.scalars(select(Watch.id)).one()
        renew = {"csrf": form["csrf"], "ruling_number": "(2026)浙0326执1234号之二"}
        r = client.post(f"/cases/{case_id}/watches/{watch_id}/renew", data=renew, follow_redirects=False)
        assert r.status_code == 303, r.text
        with db.unit_of_work(read_only=True) as s:
            assert str(s.get(Watch, watch_id).expires_on) == "2030-11-25"  # two more years (a Sunday: Monday)
        bad = client.post(
            f"/cases/{case_id}/watches/{watch_id}/lift", data={"csrf": form["csrf"], "reason": "bored"}
        )
        assert (
            bad.status_code == 422 and "填写有误" in bad.text
        )  # not a reason the law knows: nothing changes
        lifted = client.post(
            f"/cases/{case_id}/watches/{watch_id}/lift",
            data={"csrf": form["csrf"], "reason": "debtor_paid"},
            follow_redirects=False,
        )
        assert lifted.status_code == 303
        with db.unit_of_work(read_only=True) as s:
            assert s.get(Watch, watch_id).status == "lifted"


def test_a_deployments_login_page_lists_no_demo_logins(client: TestClient, db: Database) -> None:
    """The test world has courts and users but is not the demo: its login page names nobody."""
    page = client.get("/login").text
    assert "py.officer" not in page and "pingyang.officer" not in page and "demo-password" not in page

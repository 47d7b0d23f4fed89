"""Logging a test client into the console and posting its forms, as a browser would."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import open_case
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import principal_of_user
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.service import register_vehicle
from tests.api_helpers import PASSWORD, VIN, case_body


def form_csrf(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def post_login(client: TestClient, login_page: str, next_page: str, username: str = "py.officer") -> Any:
    """The login form posted as the browser would, with the page's CSRF token."""
    return client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": form_csrf(login_page), "next": next_page},
        follow_redirects=False,
    )


def log_in(client: TestClient, username: str = "py.officer", next_page: str = "/") -> str:
    """Log in; the CSRF token of the session's forms."""
    r = post_login(client, client.get("/login").text, next_page, username)
    assert r.status_code == 303, r.text
    return form_csrf(client.get("/").text if next_page == "/" else client.get(next_page).text)


def principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_of_user(user)


def case_with_car(db: Database) -> int:
    """The Pingyang court's case with one registered car (浙C12345) and no watch yet."""
    with db.unit_of_work() as s:
        officer = principal(s, "py.officer")
        case = open_case(s, actor=officer, data=CaseCreate(**case_body()))
        debtor = next(p for p in case.parties if p.role == "debtor")
        register_vehicle(
            s,
            actor=officer,
            case=case,
            data=VehicleCreate(
                plate="浙C12345",
                plate_colour="blue",
                plate_type="02",
                vin=VIN,
                description="白色大众帕萨特轿车",
                owner_party_id=debtor.id,
            ),
        )
        return case.id

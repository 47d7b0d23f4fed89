"""Logging a test client into the console and posting its forms, as a browser would."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api_helpers import PASSWORD


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

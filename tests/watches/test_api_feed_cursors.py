"""A feed cursor beyond the newest entry is a 409 that says how to resynchronise, never a silent empty page.

A client whose cursor was not handed out by this platform (its database was restored from an older
backup, or the client mixed up two platforms) would otherwise poll "nothing new" forever.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from car_enforce.core import clock as clock_mod
from tests import factories
from tests.api_helpers import PINGYANG_CASE, issue_watch, login, open_case, register_vehicle

CHANGES = "/api/police/watchlist/changes"
ALERTS = "/api/police/alerts"
IN_PINGYANG = (120.45, 27.65)


def key(secret: str) -> dict[str, str]:
    return {"X-Api-Key": secret}


def watch_a_car(
    client: TestClient, plate: str = "浙C12345", case_number: str = PINGYANG_CASE
) -> dict[str, Any]:
    """A Pingyang-county watch of the Pingyang court: a change in the Pingyang brigade's feed."""
    officer = login(client, "py.officer")
    case = open_case(client, officer, case_number)
    link = register_vehicle(client, officer, case, plate=plate, vin=None)
    return issue_watch(client, officer, case, link["vehicle"]["id"])


def newest_watch_cursor(client: TestClient, world: factories.World) -> int:
    snap = client.get("/api/police/watchlist/snapshot", headers=key(world.pingyang_key))
    assert snap.status_code == 200, snap.text
    return int(snap.headers["X-Watchlist-Cursor"])


def changes(client: TestClient, secret: str, after: int, **headers: str) -> Any:
    return client.get(CHANGES, params={"after": after}, headers={**key(secret), **headers})


def assert_resync(response: Any, newest: int) -> str:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "CursorBeyondEnd"
    detail = str(body["detail"])
    assert f"cursor {newest})" in detail
    return detail


# --- the watch-list change feed ----------------------------------------------------------------------


def test_a_change_feed_cursor_beyond_the_newest_change_is_409_naming_it_and_the_snapshot(
    client: TestClient, world: factories.World
) -> None:
    watch_a_car(client)
    newest = newest_watch_cursor(client, world)
    assert newest > 0

    # A cursor at the end is a client that is up to date: an empty page, the cursor unchanged.
    at_end = changes(client, world.pingyang_key, newest)
    assert at_end.status_code == 200, at_end.text
    assert at_end.json() == {"cursor": newest, "has_more": False, "changes": []}

    for beyond in (newest + 1, 2**62):
        detail = assert_resync(changes(client, world.pingyang_key, beyond), newest)
        assert f"after={beyond}" in detail
        assert "GET /api/police/watchlist/snapshot" in detail and "X-Watchlist-Cursor" in detail

    # An ETag of the page the client last saw does not turn the 409 into "not modified".
    tag = at_end.headers["ETag"]
    assert changes(client, world.pingyang_key, newest + 1, **{"If-None-Match": tag}).status_code == 409


def test_the_end_is_the_platforms_newest_change_not_the_units_own(
    client: TestClient, world: factories.World
) -> None:
    """A unit whose area holds no change yet may hold any cursor up to the platform's newest (its area
    may have been redrawn under it); only beyond that is its cursor not this platform's."""
    watch_a_car(client)
    newest = newest_watch_cursor(client, world)
    hangzhou = client.get("/api/police/watchlist/snapshot", headers=key(world.hangzhou_key))
    assert hangzhou.headers["X-Watchlist-Cursor"] == "0"  # nothing in its area

    for after in (0, newest):
        page = changes(client, world.hangzhou_key, after)
        assert page.status_code == 200, page.text
        assert page.json()["changes"] == []
    assert_resync(changes(client, world.hangzhou_key, newest + 1), newest)


def test_a_cursor_into_an_empty_feed_is_beyond_its_end(client: TestClient, world: factories.World) -> None:
    """A platform restored to before any watch: every cursor but 0 is beyond the end."""
    assert changes(client, world.pingyang_key, 0).status_code == 200
    assert_resync(changes(client, world.pingyang_key, 1), 0)


def test_a_cursor_behind_the_end_still_pages_through_the_changes(
    client: TestClient, world: factories.World
) -> None:
    watch_a_car(client)
    first = newest_watch_cursor(client, world)
    watch_a_car(client, plate="浙C54321", case_number="(2026)浙0326执1235号")
    newest = newest_watch_cursor(client, world)
    assert newest > first

    page = changes(client, world.pingyang_key, first).json()
    assert [c["entry"]["plate"] for c in page["changes"]] == ["浙C54321"]
    assert page["cursor"] == newest
    assert changes(client, world.pingyang_key, newest).json()["changes"] == []


# --- the police alert feed ---------------------------------------------------------------------------


def raise_a_hit(client: TestClient, world: factories.World) -> int:
    """A camera of the Pingyang brigade reads the watched car in Pingyang: a hit routed to that brigade."""
    read = {
        "plate": "浙C12345",
        "read_at": clock_mod.now().isoformat(),
        "camera_id": "cam-1",
        "lon": IN_PINGYANG[0],
        "lat": IN_PINGYANG[1],
        "datum": "WGS84",
    }
    r = client.post("/api/police/reads", json={"reads": [read]}, headers=key(world.pingyang_key))
    assert r.status_code == 200, r.text
    assert r.json()["hits"] == 1
    feed = client.get(ALERTS, headers=key(world.pingyang_key)).json()
    assert len(feed["dispatches"]) == 1
    return int(feed["cursor"])


def alerts_after(client: TestClient, secret: str, after: int) -> Any:
    return client.get(ALERTS, params={"after": after}, headers=key(secret))


def test_an_alert_feed_cursor_beyond_the_newest_dispatch_is_409_saying_where_to_start_again(
    client: TestClient, world: factories.World
) -> None:
    watch_a_car(client)
    newest = raise_a_hit(client, world)

    at_end = alerts_after(client, world.pingyang_key, newest)
    assert at_end.status_code == 200, at_end.text
    assert at_end.json() == {"cursor": newest, "dispatches": []}
    # Another unit, to which nothing was routed, may hold the same cursor.
    assert alerts_after(client, world.hangzhou_key, newest).status_code == 200

    for beyond in (newest + 1, 2**62):
        detail = assert_resync(alerts_after(client, world.pingyang_key, beyond), newest)
        assert f"after={beyond}" in detail
        assert "after=0" in detail and f"after={newest} " in detail
    assert_resync(alerts_after(client, world.hangzhou_key, newest + 1), newest)

    # Both ways out work: from 0 the unit receives its alert again, from the newest cursor nothing old.
    again = alerts_after(client, world.pingyang_key, 0).json()
    assert [d["seq"] for d in again["dispatches"]] == [newest]
    assert alerts_after(client, world.pingyang_key, newest).json()["dispatches"] == []


def test_an_alert_cursor_into_an_empty_feed_is_beyond_its_end(
    client: TestClient, world: factories.World
) -> None:
    assert alerts_after(client, world.pingyang_key, 0).json() == {"cursor": 0, "dispatches": []}
    assert_resync(alerts_after(client, world.pingyang_key, 7), 0)


# --- the documents -----------------------------------------------------------------------------------


def test_the_409_is_declared_on_both_feeds_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (CHANGES, ALERTS):
        answers = paths[path]["get"]["responses"]
        assert "CursorBeyondEnd" in answers["409"]["description"]
        # The platform's one error shape, as its 401 is.
        shape = answers["401"]["content"]["application/json"]["schema"]
        assert answers["409"]["content"]["application/json"]["schema"] == shape
        assert shape["$ref"].endswith("ErrorOut")

"""The inquiry platforms are configuration: a court asks every active platform configured for it (参考价规定
Art. 10), and a platform is added with what it takes to reach it safely."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.identity.models import Organisation, OrgKind
from car_enforce.core.timeline.models import TimelineEvent
from tests import factories
from tests.factories import SYSTEM
from valuation.inquiry import platforms
from valuation.inquiry.models import InquiryPlatform

SECRET = "s" * 32


def add(db: Database, code: str, **changes: Any) -> int:
    fields = {
        "name": f"询价平台 {code}",
        "code": code,
        "base_url": f"http://127.0.0.1:9/{code}/",
        "secret": SECRET,
    }
    with db.unit_of_work() as s:
        return platforms.add_platform(s, actor=SYSTEM, **{**fields, **changes}).organisation_id


def codes_for(db: Database, court_id: int) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return [p.code for p in platforms.platforms_for(s, court_id)]


def test_a_court_asks_every_active_platform_configured_for_it_and_no_other(
    db: Database, world: factories.World
) -> None:
    a, b, c = add(db, "platform-a"), add(db, "platform-b"), add(db, "platform-c")
    with db.unit_of_work() as s:
        for platform in (c, a, b):
            assert platforms.use_platform(
                s, actor=SYSTEM, court_id=world.pingyang_court, platform_id=platform
            )
        assert platforms.use_platform(s, actor=SYSTEM, court_id=world.lucheng_court, platform_id=b)
        s.get_one(InquiryPlatform, c).active = False  # struck off the SPC's list (Art. 9)
    assert codes_for(db, world.pingyang_court) == ["platform-a", "platform-b"]
    assert codes_for(db, world.lucheng_court) == ["platform-b"]
    with db.unit_of_work() as s:
        assert platforms.stop_using_platform(s, actor=SYSTEM, court_id=world.pingyang_court, platform_id=a)
        assert not platforms.stop_using_platform(
            s, actor=SYSTEM, court_id=world.pingyang_court, platform_id=a
        )
    assert codes_for(db, world.pingyang_court) == ["platform-b"]


def test_a_platform_is_an_organisation_and_its_address_is_kept_without_a_trailing_slash(
    db: Database, world: factories.World
) -> None:
    platform_id = add(db, "platform-a")
    with db.unit_of_work(read_only=True) as s:
        org = s.get_one(Organisation, platform_id)
        assert (org.kind, org.code) == (OrgKind.INQUIRY_PLATFORM, "platform-a")
        assert s.get_one(InquiryPlatform, platform_id).base_url == "http://127.0.0.1:9/platform-a"


def test_assigning_twice_changes_nothing_and_is_on_the_timeline_once(
    db: Database, world: factories.World
) -> None:
    platform_id = add(db, "platform-a")
    with db.unit_of_work() as s:
        assert platforms.use_platform(s, actor=SYSTEM, court_id=world.pingyang_court, platform_id=platform_id)
    with db.unit_of_work() as s:
        assert not platforms.use_platform(
            s, actor=SYSTEM, court_id=world.pingyang_court, platform_id=platform_id
        )
    with db.unit_of_work(read_only=True) as s:
        assigned = select(func.count()).where(TimelineEvent.kind == "inquiry_platform.assigned")
        assert s.scalar(assigned) == 1
    assert codes_for(db, world.pingyang_court) == ["platform-a"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "Platform A"}, "code"),
        ({"code": "-a"}, "code"),
        ({"base_url": "ftp://example.org/"}, "base_url"),
        ({"base_url": "http:///no-host"}, "base_url"),
        ({"base_url": "https://example.org/api?key=1"}, "base_url"),
        ({"secret": "short"}, "secret"),
        ({"fee_fen": -1}, "fee_fen"),
    ],
)
def test_a_platform_that_cannot_be_reached_safely_is_refused_and_nothing_is_stored(
    db: Database, world: factories.World, changes: dict[str, Any], field: str
) -> None:
    others = {k: v for k, v in changes.items() if k != "code"}
    with pytest.raises(InvalidInput, check=lambda e: e.field == field):
        add(db, str(changes.get("code", "platform-a")), **others)
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(InquiryPlatform)) == 0
        kinds = s.scalars(select(Organisation.kind))
        assert OrgKind.INQUIRY_PLATFORM not in set(kinds)


def test_a_second_platform_with_the_same_code_is_a_conflict(db: Database, world: factories.World) -> None:
    add(db, "platform-a")
    with pytest.raises(Conflict):
        add(db, "platform-a", name="另一个平台")


def test_only_a_court_and_a_known_platform_are_linked(db: Database, world: factories.World) -> None:
    platform_id = add(db, "platform-a")
    with db.unit_of_work() as s, pytest.raises(NotFound):
        platforms.use_platform(s, actor=SYSTEM, court_id=platform_id, platform_id=platform_id)  # not a court
    with db.unit_of_work() as s, pytest.raises(NotFound):
        platforms.use_platform(s, actor=SYSTEM, court_id=world.pingyang_court, platform_id=10_000)

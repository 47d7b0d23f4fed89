"""Access scopes: the SQL clause a list uses and the check a load uses come from one rule and agree."""

from __future__ import annotations

import factories
import pytest
from sqlalchemy import select

from car_enforce.core.access import Scope, is_not, own, owned_through
from car_enforce.core.db import Database
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.models import Organisation, OrgKind, Role, User
from car_enforce.core.identity.principal import Principal

# A scope over organisations, so the test needs nothing but the demo-like region: officers see their own
# court; center staff see their own organisation unless it is a court (it never is); police see nothing.
ORGS = Scope(
    Organisation,
    "organisation",
    {
        Role.OFFICER: [own(Organisation.id)],
        Role.CENTER_STAFF: [own(Organisation.id), is_not(Organisation.kind, OrgKind.COURT)],
    },
)


def _who(role: Role | None, org: int | None) -> Principal:
    return Principal(
        kind="user", id=1, label="user:t", role=role, organisation_id=org, organisation_kind=None
    )


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.CENTER_STAFF, Role.POLICE_ADAPTER, None])
def test_the_list_and_the_load_agree_for_every_role(db: Database, role: Role | None) -> None:
    world = factories.world(db)
    with db.unit_of_work() as session:
        everything = list(session.scalars(select(Organisation)))
        for org in [world.pingyang_court, world.lucheng_court, None]:
            who = _who(role, org)
            listed = {o.id for o in session.scalars(ORGS.select(who))}
            allowed = {o.id for o in everything if ORGS.allows(who, o)}
            assert listed == allowed
            for o in everything:
                if o.id in allowed:
                    assert ORGS.load(session, who, o.id) is o
                else:
                    with pytest.raises(NotFound, match=f"organisation {o.id} does not exist"):
                        ORGS.load(session, who, o.id)


def test_conditions_of_a_role_must_all_hold(db: Database) -> None:
    world = factories.world(db)
    with db.unit_of_work() as session:
        court = session.get(Organisation, world.pingyang_court)
        assert court is not None
        assert ORGS.allows(_who(Role.OFFICER, court.id), court)
        assert not ORGS.allows(_who(Role.CENTER_STAFF, court.id), court)  # its own, but a court
        assert not ORGS.allows(_who(Role.POLICE_ADAPTER, court.id), court)  # no rule: nothing
        assert ORGS.allows(_who(Role.ADMIN, None), court)


def test_a_rule_that_follows_a_link_agrees_too(db: Database) -> None:
    users = Scope(User, "user", {Role.OFFICER: [owned_through(User.organisation_id, Organisation.id)]})
    world = factories.world(db)
    with db.unit_of_work() as session:
        everyone = list(session.scalars(select(User)))
        who = _who(Role.OFFICER, world.pingyang_court)
        listed = {u.id for u in session.scalars(users.select(who))}
        assert listed == {u.id for u in everyone if users.allows(who, u, session)}
        assert listed == {u.id for u in everyone if u.organisation_id == world.pingyang_court}
        assert listed

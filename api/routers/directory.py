"""Reference data any signed-in caller may read, and an organisation's own webhook subscriptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Allow, AnyUser, SessionDep
from api.errors import responses
from car_enforce.core.geo import service as geo_service
from car_enforce.core.geo.models import JurisdictionLevel
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.notify import service as notify

router = APIRouter(prefix="/api", tags=["directory"], responses=responses(401, 403))


class JurisdictionOut(BaseModel):
    code: str
    name: str
    level: JurisdictionLevel
    path: str


@router.get("/jurisdictions", response_model=list[JurisdictionOut])
def jurisdictions(session: SessionDep, _who: AnyUser) -> list[JurisdictionOut]:
    """Provinces, cities and counties known to the platform (the possible watch scopes)."""
    return [
        JurisdictionOut(code=j.code, name=j.name, level=j.level, path=j.path)
        for j in geo_service.all_jurisdictions(session)
    ]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=512, examples=["https://court.example/hooks/carenforce"])
    event_kinds: list[str] = Field(default_factory=lambda: ["*"], max_length=50)


class SubscriptionOut(BaseModel):
    id: int
    url: str
    event_kinds: list[str]
    secret: str = Field(
        description="Signs every delivery the Standard Webhooks way (webhook-id, webhook-timestamp, "
        "webhook-signature): whsec_ and the base64 of the key; shown once"
    )


Subscriber = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]


@router.post(
    "/webhook-subscriptions", status_code=201, response_model=SubscriptionOut, responses=responses(422)
)
def subscribe(body: SubscriptionIn, session: SessionDep, who: Subscriber) -> SubscriptionOut:
    """Receive the events of the caller's organisation at a URL, signed as Standard Webhooks."""
    assert who.organisation_id is not None
    sub, secret = notify.create_subscription(
        session, organisation_id=who.organisation_id, url=body.url, event_kinds=body.event_kinds, actor=who
    )
    return SubscriptionOut(id=sub.id, url=sub.url, event_kinds=sub.event_kinds, secret=secret)

"""Login, logout, and who am I."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnyUser, SessionDep, bearer_scheme
from api.errors import responses
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.settings import get_settings

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class MeOut(BaseModel):
    kind: str
    id: int | None
    label: str
    role: Role | None
    organisation_id: int | None
    organisation_kind: OrgKind | None


@router.post(
    "/login",
    response_model=TokenOut,
    responses=responses(401, 422),
    summary="Log in with a password",
    description="**Who may call:** anyone (public).",
)
def login(body: LoginIn, session: SessionDep) -> TokenOut:
    token, row = identity.login(
        session, username=body.username, password=body.password, ttl_hours=get_settings().token_ttl_hours
    )
    return TokenOut(access_token=token, expires_at=row.expires_at)


@router.post("/logout", status_code=204, responses=responses(401))
def logout(
    session: SessionDep,
    _me: AnyUser,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> None:
    if credentials is not None:
        identity.logout(session, credentials.credentials)


@router.get("/me", response_model=MeOut, responses=responses(401, 403))
def me(principal: AnyUser) -> MeOut:
    return MeOut(
        kind=principal.kind,
        id=principal.id,
        label=principal.label,
        role=principal.role,
        organisation_id=principal.organisation_id,
        organisation_kind=principal.organisation_kind,
    )

"""Organisations, users, machine API keys and login tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime
from car_enforce.core.geo.models import Jurisdiction


class OrgKind(StrEnum):
    COURT = "court"
    POLICE_UNIT = "police_unit"
    AUX_CENTER = "aux_center"
    AUCTION_PLATFORM = "auction_platform"
    VEHICLE_REGISTRY = "vehicle_registry"
    INQUIRY_PLATFORM = "inquiry_platform"  # 司法网络询价平台 (参考价规定 Art. 8)
    APPRAISAL_FIRM = "appraisal_firm"  # 评估机构 (参考价规定 Art. 14–20)
    PLATFORM_OPERATOR = "platform_operator"
    PUBLIC = "public"  # buyers and applicants who belong to no institution


# Those the case's money or a deposit may be paid to: a court (its designated account), a center (its costs),
# a platform (an inquiry's fee), an appraiser (its bill). Police units and the registry are paid nothing here.
PAID_ORG_KINDS = frozenset(
    {
        OrgKind.COURT,
        OrgKind.AUX_CENTER,
        OrgKind.AUCTION_PLATFORM,
        OrgKind.INQUIRY_PLATFORM,
        OrgKind.APPRAISAL_FIRM,
    }
)

ORG_KIND_NAMES_ZH: dict[str, str] = {
    OrgKind.COURT: "人民法院",
    OrgKind.POLICE_UNIT: "公安交警",
    OrgKind.AUX_CENTER: "辅助事务办理中心",
    OrgKind.AUCTION_PLATFORM: "网络司法拍卖平台",
    OrgKind.VEHICLE_REGISTRY: "车辆管理所",
    OrgKind.INQUIRY_PLATFORM: "司法网络询价平台",
    OrgKind.APPRAISAL_FIRM: "评估机构",
    OrgKind.PLATFORM_OPERATOR: "平台运营方",
    OrgKind.PUBLIC: "社会公众",
}


class Role(StrEnum):
    OFFICER = "officer"
    POLICE_ADAPTER = "police_adapter"
    CENTER_STAFF = "center_staff"
    AUCTION_STAFF = "auction_staff"
    BUYER = "buyer"
    APPLICANT = "applicant"
    ADMIN = "admin"


ROLE_NAMES_ZH: dict[str, str] = {
    Role.OFFICER: "执行干警",
    Role.POLICE_ADAPTER: "公安交警",
    Role.CENTER_STAFF: "辅助中心工作人员",
    Role.AUCTION_STAFF: "拍卖工作人员",
    Role.BUYER: "买受人",
    Role.APPLICANT: "申请执行人",
    Role.ADMIN: "平台管理员",
}

# Which organisation kinds a role may belong to.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.OFFICER: frozenset({OrgKind.COURT}),
    Role.POLICE_ADAPTER: frozenset({OrgKind.POLICE_UNIT}),
    Role.CENTER_STAFF: frozenset({OrgKind.AUX_CENTER}),
    Role.AUCTION_STAFF: frozenset({OrgKind.AUCTION_PLATFORM, OrgKind.COURT}),
    Role.BUYER: frozenset({OrgKind.PUBLIC}),
    Role.APPLICANT: frozenset({OrgKind.PUBLIC}),
    Role.ADMIN: frozenset({OrgKind.PLATFORM_OPERATOR}),
}


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128), unique=True)
    # A court's code as it appears in case numbers (浙0326); a police unit's or center's own code.
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    # A location (WGS84) for centers and units: where cars are taken, where officers sit.
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    # Where money owed to it is paid: a center's costs, a platform's inquiry fee; a court's designated
    # account for the winner's deposit (网拍规定 Art. 25). Set by an administrator, on the timeline.
    bank_name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    bank_account: Mapped[str | None] = mapped_column(String(64))

    jurisdiction: Mapped[Jurisdiction | None] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ApiKey(Base):
    """A machine client's key: only its SHA-256 is stored; the secret is shown once at creation."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class AuthToken(Base):
    """A bearer token from a password login; stored as its SHA-256, revocable, with an expiry."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

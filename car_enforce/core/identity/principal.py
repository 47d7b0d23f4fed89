"""Who is acting: a logged-in user, a machine key, or the platform itself (scheduler sweeps)."""

from __future__ import annotations

from dataclasses import dataclass

from car_enforce.core.identity.models import OrgKind, Role


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "user", "api_key" or "system"
    id: int | None
    label: str  # shown on the timeline: "user:zhang.officer", "api_key:ck_ab12", "system:watch-sweep"
    role: Role | None
    organisation_id: int | None
    organisation_kind: OrgKind | None
    jurisdiction_id: int | None = None

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    @classmethod
    def system(cls, job: str) -> Principal:
        return cls(
            kind="system",
            id=None,
            label=f"system:{job}",
            role=None,
            organisation_id=None,
            organisation_kind=None,
        )

"""What a buyer hands in at the one window, and what the settlement's pages and API show."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PapersIn(BaseModel):
    """Everything the transfer and the handover need, handed in once (一窗受理)."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        min_length=15,
        max_length=32,
        description="The buyer's resident ID (or credit code): must be the buyer's",
    )
    phone: str = Field(min_length=5, max_length=32)
    address: str = Field(min_length=2, max_length=200, description="送达地址: where papers reach the buyer")
    electronic_service: bool = Field(
        description="The buyer agrees to be served the ruling on this platform (送达地址确认书)"
    )
    transfer_area: Literal["local", "out_of_area"] = Field(
        default="local",
        description="Registered where the registry is, or moved out of its area (登记规定 Art. 27)",
    )
    agent_name: str = Field(
        default="", max_length=64, description="Who comes in the buyer's place, if anyone"
    )


class ProofIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=4, max_length=64, description="The bank transfer's reference (流水号)")
    amount_fen: int = Field(gt=0)


class ProofCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted: bool
    note: str = Field(default="", max_length=500)


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    how: str = Field(min_length=2, max_length=64, description="直接送达, 邮寄送达, …")
    at: datetime | None = None


class DocumentOut(BaseModel):
    kind: str
    number: str
    digest: str
    issued_at: datetime
    pdf_url: str


class SettlementOut(BaseModel):
    id: int
    round_id: int
    lot_id: int
    case_id: int
    status: str
    status_zh: str
    buyer_name: str
    buyer_id_masked: str
    buyer_number: str
    price_fen: int
    deposit_fen: int
    balance_fen: int
    balance_due_on: date
    paid_via: str | None
    paid_at: datetime | None
    proof_status: str | None
    papers_at: datetime | None
    ruling_number: str
    served_at: datetime | None
    ruling_due_on: date | None
    handover_due_on: date | None
    transfer_status: str
    transfer_refusal: str
    registration: dict[str, object] | None
    registered_at: datetime | None
    handed_over_at: datetime | None
    release_order_id: int | None
    documents: list[DocumentOut]

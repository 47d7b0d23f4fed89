"""the inquiry platforms (司法网络询价平台) and the courts that ask each

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 02:25:54.017341
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import car_enforce.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inquiry_platform",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", car_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_inquiry_platform_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_inquiry_platform")),
        sa.UniqueConstraint("code", name=op.f("uq_inquiry_platform_code")),
    )
    op.create_table(
        "court_inquiry_platform",
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["court_id"], ["organisation.id"], name=op.f("fk_court_inquiry_platform_court_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["inquiry_platform.organisation_id"],
            name=op.f("fk_court_inquiry_platform_platform_id_inquiry_platform"),
        ),
        sa.PrimaryKeyConstraint("court_id", "platform_id", name=op.f("pk_court_inquiry_platform")),
    )


def downgrade() -> None:
    op.drop_table("court_inquiry_platform")
    op.drop_table("inquiry_platform")

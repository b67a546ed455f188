"""notice_school: the schools a notice names

A notice is for the schools chosen on its form, and reaches exactly those
(geo_risk.contract.notice_reach). Notices written before this table existed keep their
area; each is given the schools whose location lies inside that area, the schools its
page listed them for.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_school",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("school_urn", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "school_urn", name="uq_notice_school"),
    )
    op.create_index(op.f("ix_notice_school_notice_id"), "notice_school", ["notice_id"], unique=False)
    op.execute(
        "INSERT INTO notice_school (notice_id, school_urn) "
        "SELECT notice.id, school.urn FROM notice JOIN school ON ST_Intersects(notice.geom, school.geom) = 1"
        if op.get_bind().dialect.name == "sqlite" else
        "INSERT INTO notice_school (notice_id, school_urn) "
        "SELECT notice.id, school.urn FROM notice JOIN school ON ST_Intersects(notice.geom, school.geom)"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_school_notice_id"), table_name="notice_school")
    op.drop_table("notice_school")

"""incident: drop the category index

Analytics read incidents into the in-memory snapshot and never query them by
category, so this index only slowed every import. (The month index stays: the
importers look up what a month already holds to stay idempotent.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_incident_category", table_name="incident")


def downgrade() -> None:
    op.create_index("ix_incident_category", "incident", ["category"], unique=False)

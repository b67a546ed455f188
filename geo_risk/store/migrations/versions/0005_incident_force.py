"""incident: the police force a row came from, indexed with its month

A national import holds every force's months side by side: ``force`` (police.uk's file-name
slug, e.g. ``avon-and-somerset``; empty for partner and emergency-department records) and an
index on (force, month) let ``geo-risk status`` show which forces and months are loaded and
let batch work read one force's incidents without a scan.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("force", sa.String(length=64), nullable=True))
    op.create_index("ix_incident_force_month", "incident", ["force", "month"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incident_force_month", table_name="incident")
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("force")

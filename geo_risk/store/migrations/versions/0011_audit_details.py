"""audit_event.details: what a check looked at, kept with its audit event

audit_event gains ``details``, a JSON object: a placement or route check records its
candidate addresses there (postcode and EPSG:27700 easting and northing), and a probing
alert its evidence. A keyed event's MAC covers ``details`` when present; events written
before this migration have none and hash as they always did, so their chain still verifies.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: audit_event is never copied (its rows and triggers stay).
    op.add_column("audit_event", sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_event", "details")

"""incident: the weapon and age band of an emergency-department injury

The Cardiff-model injury importer reads ``weapon`` and ``age_band``; they are now stored, so the
area surface can weigh an injury by them (``[surface.injury_weapon_weights]`` and
``[surface.injury_age_weights]`` in the policy). Empty for police.uk and partner records, and for
injuries imported before this revision (import them again to add the detail).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("weapon", sa.String(length=40), nullable=True))
    op.add_column("incident", sa.Column("age_band", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): a batch copy of the incident table trips SpatiaLite's
    # geometry triggers and foreign keys
    op.drop_column("incident", "age_band")
    op.drop_column("incident", "weapon")

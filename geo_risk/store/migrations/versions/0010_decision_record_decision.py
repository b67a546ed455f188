"""assessment: a decision record holds the decision (option, reasons, case reference, marking, data currency)

A decision record kept the check an officer saw but not what they decided. It gains the
option chosen, the officer's reasons, the case reference, the protective marking and the
currency of the data the check ran on (latest incident month, street and peer network import
dates). The officer and the date were already there (``user_id``, ``created_at``). Records
saved before this migration keep these empty and the pages say the decision was not recorded.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = ("decision", "rationale", "case_reference", "marking", "data_currency")


def upgrade() -> None:
    op.add_column("assessment", sa.Column("decision", sa.String(length=300), nullable=True))
    op.add_column("assessment", sa.Column("rationale", sa.Text(), nullable=True))
    op.add_column("assessment", sa.Column("case_reference", sa.String(length=40), nullable=True))
    op.add_column("assessment", sa.Column("marking", sa.String(length=32), nullable=True))
    op.add_column("assessment", sa.Column("data_currency", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)

"""login_attempt: failed sign-ins counted in the database, shared by every web worker

The failed-login limit was counted in each worker's memory, so with N workers an
attacker got N times the limit. Attempts now live in this table: a keyed hash of the
username or client address and the time, nothing else; rows are deleted once older
than the window.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempt_key_hash_at", "login_attempt", ["key_hash", "at"], unique=False)
    op.create_index(op.f("ix_login_attempt_at"), "login_attempt", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_attempt_at"), table_name="login_attempt")
    op.drop_index("ix_login_attempt_key_hash_at", table_name="login_attempt")
    op.drop_table("login_attempt")

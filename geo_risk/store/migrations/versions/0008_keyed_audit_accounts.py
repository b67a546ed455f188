"""keyed audit chain, how each actor signed in, two-administrator account requests, two-factor sign-in

audit_event gains ``via`` (session, token or cli), ``target`` (the account an
administrator's action was about) and ``keyed`` (the hash is an HMAC under the audit
key, kept outside the database). Events written before this migration stay as they are,
unkeyed, and are checked by their plain SHA-256 up to the first keyed event.

account_request holds an administrator's request to create or promote a privileged
account until a second administrator decides it. app_user gains the activation code
hash of an approved account, the TOTP secret and recovery codes, and the demo flag.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: audit_event is never copied (its rows and triggers stay).
    op.add_column("audit_event", sa.Column("via", sa.String(length=16), nullable=True))
    op.add_column("audit_event", sa.Column("target", sa.String(length=80), nullable=True))
    op.add_column("audit_event", sa.Column("keyed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("app_user", sa.Column("activation_hash", sa.String(length=64), nullable=True))
    op.add_column("app_user", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("app_user", sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
    op.add_column("app_user", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("app_user", sa.Column("recovery_codes", sa.JSON(), nullable=True))
    op.add_column("app_user", sa.Column("demo_account", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "account_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("school_urns", sa.String(length=400), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["requested_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("account_request")
    for name in ("demo_account", "recovery_codes", "totp_last_step", "totp_enabled_at", "totp_secret",
                 "activation_hash"):
        op.drop_column("app_user", name)
    for name in ("keyed", "target", "via"):
        op.drop_column("audit_event", name)

"""The remediation audit trail (`virt-doctor fix`).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("who", sa.String(300), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("finding_id", sa.String(40), nullable=False, index=True),
        sa.Column("alert", sa.String(200), nullable=False),
        sa.Column("step", sa.String(120), nullable=False),
        sa.Column("target", sa.String(600), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit")

"""Incidents, their diagnoses, and the notifications received.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("alertname", sa.String(200), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("health_impact", sa.String(20), nullable=False),
        sa.Column("namespace", sa.String(253), nullable=False),
        sa.Column("component", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(600), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("has_runbook", sa.Boolean, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("cause_id", sa.String(120), nullable=False),
        sa.Column("cause_title", sa.Text, nullable=False),
        sa.Column("confidence", sa.String(20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("notifications", sa.Integer, nullable=False),
    )
    op.create_index("ix_incidents_state_updated", "incidents", ["state", "updated_at"])
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("cause_id", sa.String(120), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("finding", sa.JSON, nullable=True),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("receiver", sa.String(200), nullable=False),
        sa.Column("group_key", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("alerts", sa.Integer, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("diagnoses")
    op.drop_index("ix_incidents_state_updated", "incidents")
    op.drop_table("incidents")

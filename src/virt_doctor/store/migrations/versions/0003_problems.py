"""Problems: the broken things the findings group into, and which incident belongs to which; an Alertmanager
alert virt-doctor already tracks joins its incident (alias); an incident only Alertmanager reports expires when
Alertmanager stops repeating it (expires_at).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("root", sa.String(600), nullable=False),
        sa.Column("cause", sa.String(120), nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("alerts", sa.JSON, nullable=False),
        sa.Column("notified", sa.JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("finding_id", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("alias", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("problem_key", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_incidents_finding_id", ["finding_id"])
        batch.create_index("ix_incidents_alias", ["alias"])
        batch.create_index("ix_incidents_problem_key", ["problem_key"])


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_problem_key")
        batch.drop_index("ix_incidents_alias")
        batch.drop_index("ix_incidents_finding_id")
        batch.drop_column("expires_at")
        batch.drop_column("problem_key")
        batch.drop_column("alias")
        batch.drop_column("finding_id")
    op.drop_table("problems")

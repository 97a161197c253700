"""orders, order_images and dispatch_lease

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
        "orders",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("prediction_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_state", sa.String(16), nullable=False),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.Column("progress_done", sa.Integer, nullable=True),
        sa.Column("progress_total", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("image_url", sa.Text, nullable=True),
        sa.Column("arrived_via", sa.String(16), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float, nullable=True),
        sa.Column("news_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
    )
    op.create_index("orders_status_seq", "orders", ["status", "seq"])
    op.create_index("orders_client_status", "orders", ["client", "status"])
    op.create_index("orders_prediction", "orders", ["prediction_id"])
    op.create_table(
        "order_images",
        sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "dispatch_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dispatch_lease")
    op.drop_table("order_images")
    op.drop_index("orders_prediction", "orders")
    op.drop_index("orders_client_status", "orders")
    op.drop_index("orders_status_seq", "orders")
    op.drop_table("orders")

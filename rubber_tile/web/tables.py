"""The order store's tables (SQLAlchemy Core); migrations/ creates and changes them (Alembic).

`orders`: one row per render order, from `queued` to a final status, never evicted by other
orders (only finished ones older than ORDERS_KEEP_HOURS are deleted). `order_images`: the finished
picture apart, so that status reads never load it. `dispatch_lease`: which app instance sends orders
to the render server (one at a time, so that two instances never fill coglet's one slot twice).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text

__all__ = ["dispatch_lease", "metadata", "order_images", "orders"]

metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # the queue's order
    Column("id", String(32), nullable=False, unique=True),  # public; also the Cog prediction id
    Column("client", String(64), nullable=False),  # a keyed hash of the client's address
    Column("language", String(2), nullable=False),
    Column("backend", String(16), nullable=False),  # cog or replicate
    Column("inputs", Text, nullable=False),  # JSON: what the customer asked (mix, seed, grade, ...)
    Column("request", Text, nullable=False),  # JSON: the predictor's inputs
    Column("token", String(64), nullable=False),  # the Cog webhook URL's secret
    Column("prediction_id", String(128), nullable=True),
    Column("status", String(16), nullable=False),
    # none: never sent; sending: a request left and its answer is not known; accepted: the server took it
    Column("send_state", String(16), nullable=False, default="none"),
    Column("sends", Integer, nullable=False, default=0),  # requests that may have started it
    Column("progress_done", Integer, nullable=True),
    Column("progress_total", Integer, nullable=True),
    Column("error", Text, nullable=True),  # JSON {code, message, ...} in the order's language
    Column("image_url", Text, nullable=True),
    Column("arrived_via", String(16), nullable=True),
    Column("version", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float, nullable=True),
    Column("news_at", Float, nullable=True),  # the last webhook or read that said something
    Column("finished_at", Float, nullable=True),
)
Index("orders_status_seq", orders.c.status, orders.c.seq)
Index("orders_client_status", orders.c.client, orders.c.status)
Index("orders_prediction", orders.c.prediction_id)

order_images = Table(
    "order_images",
    metadata,
    Column("order_id", String(32), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("media_type", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

dispatch_lease = Table(
    "dispatch_lease",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

"""The order store: SQLAlchemy Core over SQLite (a file, the default) or PostgreSQL (DATABASE_URL).

Every change is a compare-and-set on the order's `version`, so two app instances (or a webhook and
the dispatcher) can never overwrite each other's news; `update` returns None when it lost the race
and the caller reads the order again. The methods are synchronous: the app calls them in threads
(`asyncio.to_thread`). Admission (queue length, open orders per client, the daily paid cap) is
counted and the order inserted in one transaction.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.engine.url import make_url

from .orders import FINAL_STATUSES, IN_FLIGHT_STATUSES, Order
from .tables import dispatch_lease, order_images, orders

__all__ = ["Admission", "NewOrder", "OrderStore", "Refusal"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
OPEN_STATUSES = ("queued", *IN_FLIGHT_STATUSES)
DAY_S = 86_400.0


class Refusal(Exception):
    """An order that cannot be taken now: `code` names a message in messages.py, `values` fill it."""

    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class NewOrder:
    client: str
    language: str
    backend: str
    inputs: dict[str, Any]
    request: dict[str, Any]


@dataclass(frozen=True)
class Admission:
    queue_max: int
    open_per_client: int
    paid_per_day: int | None  # None: the backend is not paid (Cog)


class OrderStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)

    def migrate(self) -> None:
        """`alembic upgrade head` on this database (creates the tables on a new one)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    def add(self, new: NewOrder, admission: Admission, now: float | None = None) -> Order:
        """A queued order; Refusal when the queue, the client's open orders or today's paid cap is full."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            _admit(connection, new, admission, now)
            order_id = secrets.token_urlsafe(16)
            connection.execute(
                insert(orders).values(
                    id=order_id, client=new.client, language=new.language, backend=new.backend,
                    inputs=json.dumps(new.inputs), request=json.dumps(new.request),
                    token=secrets.token_urlsafe(32), status="queued", send_state="none", sends=0,
                    version=0, created_at=now,
                )
            )
            return _read(connection, orders.c.id == order_id)

    def get(self, order_id: str) -> Order | None:
        with self.engine.connect() as connection:
            return _read(connection, orders.c.id == order_id)

    def by_prediction(self, prediction_id: str) -> Order | None:
        with self.engine.connect() as connection:
            return _read(connection, orders.c.prediction_id == prediction_id)

    def image(self, order_id: str) -> tuple[bytes, str] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(order_images.c.data, order_images.c.media_type).where(order_images.c.order_id == order_id)
            ).first()
        return (bytes(row.data), row.media_type) if row else None

    def queue_position(self, order: Order) -> int | None:
        """1-based place among the orders waiting to be sent (None when it does not wait)."""
        if order.status != "queued" or order.send_state != "none":
            return None
        with self.engine.connect() as connection:
            ahead = connection.execute(
                select(func.count()).select_from(orders).where(
                    orders.c.status == "queued", orders.c.send_state == "none",
                    orders.c.backend == order.backend, orders.c.seq < order.seq,
                )
            ).scalar_one()
        return int(ahead) + 1

    def next_queued(self, backend: str) -> Order | None:
        with self.engine.connect() as connection:
            return _read(
                connection,
                (orders.c.status == "queued") & (orders.c.send_state == "none") & (orders.c.backend == backend),
            )

    def waiting(self, backend: str) -> list[Order]:
        """Every order not yet sent, oldest first."""
        where = (orders.c.status == "queued") & (orders.c.send_state == "none") & (orders.c.backend == backend)
        with self.engine.connect() as connection:
            return _read_all(connection, where)

    def in_flight(self, backend: str) -> list[Order]:
        """Orders sent (or perhaps sent) and not finished, oldest first."""
        where = (orders.c.backend == backend) & (
            orders.c.status.in_(IN_FLIGHT_STATUSES)
            | ((orders.c.status == "queued") & (orders.c.send_state == "sending"))
        )
        with self.engine.connect() as connection:
            return _read_all(connection, where)

    def open_elsewhere(self, backend: str) -> list[Order]:
        """Open orders meant for another backend (the app was switched between Cog and Replicate)."""
        with self.engine.connect() as connection:
            return _read_all(connection, orders.c.status.in_(OPEN_STATUSES) & (orders.c.backend != backend))

    def update(self, order: Order, values: dict[str, Any], image: tuple[bytes, str] | None = None) -> Order | None:
        """Set `values` if nobody changed the order since it was read; the new order, or None."""
        encoded = {k: json.dumps(v) if k == "error" and v is not None else v for k, v in values.items()}
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(orders)
                .where(orders.c.id == order.id, orders.c.version == order.version)
                .values(**encoded, version=order.version + 1)
            ).rowcount
            if changed != 1:
                return None
            if image is not None:
                connection.execute(order_images.delete().where(order_images.c.order_id == order.id))
                connection.execute(insert(order_images).values(order_id=order.id, data=image[0], media_type=image[1]))
            return _read(connection, orders.c.id == order.id)

    def purge(self, before: float) -> int:
        """Delete finished orders (and their pictures) finished before `before`; how many."""
        with self.engine.begin() as connection:
            old = select(orders.c.id).where(orders.c.status.in_(FINAL_STATUSES), orders.c.finished_at < before)
            connection.execute(order_images.delete().where(order_images.c.order_id.in_(old)))
            return connection.execute(
                orders.delete().where(orders.c.status.in_(FINAL_STATUSES), orders.c.finished_at < before)
            ).rowcount

    def take_lease(self, name: str, owner: str, ttl_s: float, now: float | None = None) -> bool:
        """Hold (or renew) the lease `name` for `ttl_s`; False while another owner holds it."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(dispatch_lease)
                .where(dispatch_lease.c.name == name)
                .where((dispatch_lease.c.owner == owner) | (dispatch_lease.c.expires_at < now))
                .values(owner=owner, expires_at=now + ttl_s)
            ).rowcount
            if taken:
                return True
            if connection.execute(select(dispatch_lease.c.name).where(dispatch_lease.c.name == name)).first():
                return False
            connection.execute(insert(dispatch_lease).values(name=name, owner=owner, expires_at=now + ttl_s))
            return True

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up at once (a clean stop), so that the next instance need not wait for it to expire."""
        with self.engine.begin() as connection:
            connection.execute(
                dispatch_lease.delete().where(dispatch_lease.c.name == name, dispatch_lease.c.owner == owner)
            )


def _admit(connection: Connection, new: NewOrder, admission: Admission, now: float) -> None:
    def count(where: Any) -> int:
        return int(connection.execute(select(func.count()).select_from(orders).where(where)).scalar_one())

    if count((orders.c.status == "queued") & (orders.c.backend == new.backend)) >= admission.queue_max:
        raise Refusal("queue_full")
    open_orders = count((orders.c.client == new.client) & orders.c.status.in_(OPEN_STATUSES))
    if open_orders >= admission.open_per_client:
        raise Refusal("too_many_orders", open=open_orders)
    if admission.paid_per_day is not None:
        today = count((orders.c.backend == new.backend) & (orders.c.created_at >= now - DAY_S))
        if today >= admission.paid_per_day:
            raise Refusal("daily_cap")


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _columns() -> list[Any]:
    has_image = select(order_images.c.order_id).where(order_images.c.order_id == orders.c.id).exists()
    return [*orders.c, has_image.label("has_image")]


def _read(connection: Connection, where: Any) -> Order | None:
    row = connection.execute(select(*_columns()).where(where).order_by(orders.c.seq).limit(1)).first()
    return _order(row) if row else None


def _read_all(connection: Connection, where: Any) -> list[Order]:
    return [_order(row) for row in connection.execute(select(*_columns()).where(where).order_by(orders.c.seq))]


def _order(row: Row) -> Order:
    values = dict(row._mapping)
    for name in ("inputs", "request"):
        values[name] = json.loads(values[name])
    values["error"] = json.loads(values["error"]) if values["error"] else None
    values["has_image"] = bool(values["has_image"])
    return Order(**values)

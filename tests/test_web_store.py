"""The order store on SQLite (a file) and on PostgreSQL (started here from Debian's package, or skipped
saying why): migrations, admission caps, compare-and-set, the dispatch lease, and two app instances
sharing one PostgreSQL database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rubber_tile.web.store import Admission, NewOrder, OrderStore, Refusal
from rubber_tile_dev.fake_cog import FakeCog
from rubber_tile_dev.postgres import TemporaryPostgres, unavailable_reason
from tests.support.web import PUBLIC_URL, cog_app, finished, wait_for_order

ORDER = {"mix": "50% red, 50% white", "seed": 1, "language": "en"}


def new(client: str = "c1") -> NewOrder:
    return NewOrder(client, "en", "cog", {"mix": "50% red, 50% white"}, {"prompt": "50% red, 50% white"})


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = TemporaryPostgres()
    try:
        server.start()
    except (RuntimeError, OSError) as error:
        server.stop()
        pytest.skip(f"PostgreSQL did not start here: {error}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[OrderStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'orders.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").url
    store = OrderStore(url)
    store.migrate()
    yield store
    with store.engine.begin() as connection:  # PostgreSQL's database is shared by the module's tests
        for table in ("order_images", "orders", "dispatch_lease"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    store.close()


def test_the_migrations_build_the_tables_the_code_declares(store: OrderStore) -> None:
    """tables.py and the Alembic revisions are written apart; a column added to one only fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from rubber_tile.web.tables import metadata

    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_migrations_run_twice_and_orders_survive_a_new_store(store: OrderStore) -> None:
    order = store.add(new(), Admission(10, 10, None))
    store.migrate()
    again = OrderStore(store.url)
    assert again.get(order.id) == order and again.queue_position(order) == 1
    again.close()


def test_admission_caps_the_queue_the_client_and_the_paid_day(store: OrderStore) -> None:
    caps = Admission(queue_max=3, open_per_client=2, paid_per_day=None)
    store.add(new("a"), caps)
    store.add(new("a"), caps)
    with pytest.raises(Refusal) as refused:
        store.add(new("a"), caps)
    assert refused.value.code == "too_many_orders" and refused.value.values == {"open": 2}
    store.add(new("b"), caps)
    with pytest.raises(Refusal, match="queue_full"):
        store.add(new("c"), caps)
    with pytest.raises(Refusal, match="daily_cap"):
        store.add(new("d"), Admission(100, 100, paid_per_day=3))


def test_compare_and_set_lets_exactly_one_of_many_writers_win(store: OrderStore) -> None:
    order = store.add(new(), Admission(10, 10, None))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: store.update(order, {"status": "starting", "sends": n}), range(16)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and store.get(order.id).version == 1


def test_the_lease_has_one_owner_until_it_expires_or_is_given_back(store: OrderStore) -> None:
    now = time.time()
    assert store.take_lease("cog", "a", 10, now) and not store.take_lease("cog", "b", 10, now + 1)
    assert store.take_lease("cog", "a", 10, now + 2)  # renewed
    assert store.take_lease("cog", "b", 10, now + 13)  # expired
    store.release_lease("cog", "b")
    assert store.take_lease("cog", "c", 10, now + 14)


def test_finished_orders_are_purged_by_age_and_never_the_open_ones(store: OrderStore) -> None:
    caps = Admission(10, 10, None)
    old, waiting = store.add(new(), caps), store.add(new(), caps)
    store.update(old, {"status": "succeeded", "finished_at": time.time() - 7200}, image=(b"png", "image/png"))
    assert store.purge(time.time() - 3600) == 1
    assert store.get(old.id) is None and store.image(old.id) is None and store.get(waiting.id) is not None


def test_two_app_instances_share_one_postgresql_store(postgres: TemporaryPostgres, tmp_path: Path, fake: FakeCog) -> None:
    common = {"database_url": postgres.url}
    with cog_app(tmp_path / "a", fake, **common) as first, cog_app(tmp_path / "b", fake, **common) as second:
        fake.deliver = lambda url, payload: second.post(url.removeprefix(PUBLIC_URL), json=payload).status_code
        orders = [first.post("/api/renders", json=ORDER | {"seed": s}).json() for s in range(3)]
        orders += [second.post("/api/renders", json=ORDER | {"seed": s}).json() for s in range(3, 6)]
        done = [wait_for_order(first, order["id"], finished, timeout=30) for order in orders]
    assert [d["status"] for d in done] == ["succeeded"] * 6
    assert sorted(fake.runs.values()) == [1] * 6 and 409 not in {status for _, status in fake.answers}

"""The order store as the app uses it: async (each call in a thread) and with a wake-up for whoever
waits for news (the dispatcher, the server-sent event streams). Another app instance's changes are
seen by reading the store again after `wait`'s timeout, so waits are short."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from .orders import Order, OrderChange, PayloadError, change_from_payload
from .store import Admission, NewOrder, OrderStore

__all__ = ["OrderBook"]

log = logging.getLogger(__name__)
CHANGE_ATTEMPTS = 20


class OrderBook:
    def __init__(self, store: OrderStore, delivery_host: str) -> None:
        self.store = store
        self.delivery_host = delivery_host
        self._changed = asyncio.Event()

    async def call(self, method: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(method, *args)

    def notify(self) -> None:
        """Wake everyone waiting in this process (a new event for the next waiters)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Until something changes in this process, or `timeout` s."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass

    async def add(self, new: NewOrder, admission: Admission) -> Order:
        order = await self.call(self.store.add, new, admission)
        self.notify()
        return order

    async def get(self, order_id: str) -> Order | None:
        return await self.call(self.store.get, order_id)

    async def change(self, order: Order, decide: Callable[[Order], OrderChange | None]) -> Order | None:
        """Apply `decide(order)` with compare-and-set, reading the order again after a lost race.
        The order as it now is, or None when `decide` found nothing to change."""
        for _ in range(CHANGE_ATTEMPTS):
            change = decide(order)
            if change is None:
                return None
            updated = await self.call(self.store.update, order, change.values, change.image)
            if updated is not None:
                self.notify()
                return updated
            fresh = await self.get(order.id)
            if fresh is None:
                return None
            order = fresh
        raise RuntimeError(f"order {order.id}: {CHANGE_ATTEMPTS} changes in a row lost their race")

    async def set(self, order: Order, **values: Any) -> Order | None:
        """Set `values` unless the order finished meanwhile."""
        return await self.change(order, lambda current: None if current.finished else OrderChange(values))

    async def fail(self, order: Order, error: dict[str, Any]) -> Order | None:
        """Fail the order with `error` ({code, message} in its language) unless it finished meanwhile."""
        values = {"status": "failed", "error": error, "finished_at": time.time()}
        updated = await self.set(order, **values)
        if updated is not None:
            log.info("order %s failed: %s (%s)", order.id, error["code"], error.get("detail", ""))
        return updated

    async def apply(self, order: Order, payload: dict[str, Any], via: str) -> Order | None:
        """A prediction payload; the changed order or None (no news). PayloadError when unreadable."""
        now = time.time()
        return await self.change(order, lambda current: change_from_payload(current, payload, via, now,
                                                                            self.delivery_host))


__all__ += ["PayloadError"]

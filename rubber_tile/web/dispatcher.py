"""The queue in front of the render server: one dispatcher per app, and only the holder of the store's
lease sends (so two instances never fill coglet's one slot twice).

Each step: watch the orders in flight (liveness), then, while a slot is free, send the oldest waiting
order. Before a send the order is marked `sending` in the store (write-ahead); the answer decides:
accepted -> `starting`; busy (409), not ready (503 in setup) or unreachable -> back to waiting, tried
again after a backoff, never shown to the customer unless it lasts (then every waiting order fails
with the reason); refused -> failed; unknown -> left in flight and judged by liveness, never sent
again. A Cog order in flight is judged by `GET /health-check` alone: BUSY (it runs), READY for
RENDER_LOST_AFTER_S without news (lost), unreachable for RENDER_SERVER_DEAD_AFTER_S (down), STARTING
or back after being down (restarted). A step that raises is logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from .backends import ReadError, RenderBackend, SendResult, ServerHealth
from .book import OrderBook
from .messages import customer_error
from .orders import Order, OrderChange, PayloadError
from .settings import WebSettings

__all__ = ["Dispatcher", "Watch", "judge_blocked", "judge_cog"]

log = logging.getLogger(__name__)
LEASE_TTL_S = 10.0
MIN_BACKOFF_S = 0.05
MAX_BACKOFF_S = 1.0
PURGE_EVERY_S = 600.0
BROKEN_STATES = ("UNHEALTHY", "DEFUNCT", "SETUP_FAILED")


@dataclass
class Watch:
    """What this process has seen of one order in flight (timers restart with the process)."""

    started: float = field(default_factory=time.monotonic)  # health read before this says nothing of it
    ready_since: float | None = None
    bad_since: float | None = None
    saw_down: bool = False
    last_read: float = 0.0


def judge_cog(order: Order, watch: Watch, health: ServerHealth, now: float, settings: WebSettings) -> tuple[str, str] | None:
    """(error code, detail) when a Cog order in flight has failed, or None while it may still finish."""
    if not health.reachable:
        watch.bad_since = watch.bad_since or now
        watch.saw_down = watch.saw_down or health.state == "unreachable"
        watch.ready_since = None
        if now - watch.bad_since >= settings.render_server_dead_after_s:
            code = "render_server_down" if health.state == "unreachable" else "render_server_unreadable"
            return code, health.detail
        return None
    watch.bad_since = None
    if watch.saw_down or health.state == "STARTING":
        return "render_server_restarted", f"the render server was down or set up again ({health.state})"
    if health.state == "BUSY":
        watch.ready_since = None
        return None
    watch.ready_since = watch.ready_since or now
    if now - watch.ready_since < settings.render_lost_after_s:
        return None
    if health.state in BROKEN_STATES:
        return "render_server_broken", f"{health.state}: {health.detail}"
    return "render_lost", f"the render server is {health.state} and sent no result"


def judge_blocked(outcome: str, waited: float, health: ServerHealth | None, settings: WebSettings) -> str | None:
    """The error code for every waiting order when sending has been blocked too long, else None."""
    if health is not None and health.state == "SETUP_FAILED":
        return "render_server_setup_failed"
    if outcome == "unreachable":
        return "render_server_down" if waited >= settings.render_server_dead_after_s else None
    if outcome == "not_ready" and health is not None and health.state == "STARTING":
        return "render_server_setup_failed" if waited >= settings.render_setup_wait_s else None
    return "render_server_broken" if waited >= settings.render_stuck_after_s else None


class Dispatcher:
    def __init__(self, book: OrderBook, backend: RenderBackend, settings: WebSettings) -> None:
        self.book = book
        self.backend = backend
        self.settings = settings
        self.watches: dict[str, Watch] = {}
        self.blocked_since: dict[str, float] = {}
        self.backoff = MIN_BACKOFF_S
        self.problem: str | None = None  # set while the render server is judged down or broken
        self.health: ServerHealth | None = None
        self.health_at = 0.0
        self.waited_out: dict[str, int] = {"busy": 0, "not_ready": 0, "unreachable": 0}
        self.purged_at = 0.0

    async def run(self) -> None:
        """Steps until cancelled; a step that raises is logged with its traceback and the loop goes on."""
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher step failed; the next step starts in 1 s")
                await asyncio.sleep(1.0)

    async def step(self) -> None:
        store = self.book.store
        if not await self.book.call(store.take_lease, self.backend.name, self.settings.instance, LEASE_TTL_S):
            await asyncio.sleep(1.0)
            return
        await self._housekeeping()
        in_flight = await self.book.call(store.in_flight, self.backend.name)
        if in_flight:
            await self.watch(in_flight)
        if len(in_flight) < self.backend.slots:
            order = await self.book.call(store.next_queued, self.backend.name)
            if order is not None:
                await self.dispatch(order)
                return
        await self.book.wait(self.settings.health_interval_s)

    async def close(self) -> None:
        await self.book.call(self.book.store.release_lease, self.backend.name, self.settings.instance)

    async def server_health(self, max_age_s: float = 0.5, since: float = 0.0) -> ServerHealth:
        """The render server's health, asked again when older than `max_age_s` or than `since`."""
        now = time.monotonic()
        if self.health is None or now - self.health_at > max_age_s or self.health_at < since:
            self.health, self.health_at = await self.backend.health(), now
        return self.health

    async def dispatch(self, order: Order) -> None:
        claimed = await self.book.set(order, send_state="sending", sends=order.sends + 1, sent_at=time.time())
        if claimed is None:
            return
        result = await self.backend.send(claimed)
        if result.outcome == "accepted":
            await self._accepted(claimed, result)
        elif result.outcome == "refused":
            await self._not_sent(claimed)
            await self.book.fail(claimed, customer_error("render_refused", claimed.language, result.detail))  # re-read on its race
        elif result.proves_not_started:
            await self._not_sent(claimed)
            await self._blocked(result)
        else:
            log.warning("order %s: the answer to its send is unknown (%s); it is watched, never sent again",
                        claimed.id, result.detail)

    async def _accepted(self, order: Order, result: SendResult) -> None:
        self.blocked_since.clear()
        self.backoff, self.problem = MIN_BACKOFF_S, None

        def accept(current: Order) -> OrderChange:
            values: dict[str, Any] = {"send_state": "accepted", "prediction_id": result.prediction_id}
            if current.status == "queued":
                values["status"] = "starting"
            return OrderChange(values)

        await self.book.change(order, accept)
        log.info("order %s: sent to %s", order.id, self.backend.name)

    async def _not_sent(self, order: Order) -> None:
        def undo(current: Order) -> OrderChange | None:
            if current.send_state != "sending":
                return None
            return OrderChange({"send_state": "none", "sends": current.sends - 1})

        await self.book.change(order, undo)

    async def _blocked(self, result: SendResult) -> None:
        now = time.monotonic()
        since = self.blocked_since.setdefault(result.outcome, now)
        self.waited_out[result.outcome] += 1
        health = await self.server_health() if result.outcome != "unreachable" else None
        code = judge_blocked(result.outcome, now - since, health, self.settings)
        if code is not None:
            self.problem = code
            await self.fail_waiting(code, f"{result.outcome}: {result.detail}")
            self.blocked_since.clear()
        await asyncio.sleep(self.backoff)
        self.backoff = min(self.backoff * 2, MAX_BACKOFF_S)

    async def fail_waiting(self, code: str, detail: str) -> None:
        waiting = await self.book.call(self.book.store.waiting, self.backend.name)
        log.error("render server trouble (%s: %s); failing %d waiting orders", code, detail, len(waiting))
        for order in waiting:
            await self.book.fail(order, customer_error(code, order.language, detail))

    async def watch(self, in_flight: list[Order]) -> None:
        live = {order.id for order in in_flight}
        self.watches = {key: value for key, value in self.watches.items() if key in live}
        for order in in_flight:
            watch = self.watches.setdefault(order.id, Watch())
            verdict = await self._judge(order, watch)
            if verdict is not None:
                code, detail = verdict
                values = {"seconds": round(self.settings.render_timeout_s)} if code == "timed_out" else {}
                await self.book.fail(order, customer_error(code, order.language, detail, **values))

    async def _judge(self, order: Order, watch: Watch) -> tuple[str, str] | None:
        if order.sent_at is not None and time.time() - order.sent_at > self.settings.render_timeout_s:
            return "timed_out", "no result in time"
        if self.backend.name == "cog":
            health = await self.server_health(since=watch.started)
            return judge_cog(order, watch, health, time.monotonic(), self.settings)
        return await self._judge_by_reading(order, watch)

    async def _judge_by_reading(self, order: Order, watch: Watch) -> tuple[str, str] | None:
        """Replicate: read the prediction after a quiet spell (reading is safe to repeat)."""
        now = time.monotonic()
        quiet = time.time() - (order.news_at or order.sent_at or time.time())
        if order.send_state == "sending":
            quiet_for_long = quiet >= self.settings.render_lost_after_s
            return ("render_lost", "Replicate never said whether it created the prediction") if quiet_for_long else None
        if quiet < self.settings.webhook_poll_after_s or now - watch.last_read < self.settings.webhook_poll_after_s:
            return None
        watch.last_read = now
        try:
            payload = await self.backend.read(order)
        except ReadError as error:
            watch.bad_since = watch.bad_since or now
            if now - watch.bad_since >= self.settings.render_server_dead_after_s:
                return "render_server_unreadable", str(error)
            return None
        watch.bad_since = None
        if payload is not None:
            try:
                await self.book.apply(order, payload, via="poll")
            except PayloadError as error:
                return "render_server_unreadable", str(error)
        return None

    async def _housekeeping(self) -> None:
        if self.problem is not None and (await self.server_health(self.settings.health_interval_s)).state == "READY":
            log.info("render server answers READY again")
            self.problem = None
        now = time.monotonic()
        if now - self.purged_at >= PURGE_EVERY_S:
            if not self.purged_at:  # the first step: orders left for a backend this app no longer uses
                for order in await self.book.call(self.book.store.open_elsewhere, self.backend.name):
                    await self.book.fail(order, customer_error("render_server_down", order.language,
                                                               f"this app now renders on {self.backend.name}"))
            self.purged_at = now
            before = time.time() - self.settings.orders_keep_hours * 3600
            purged = await self.book.call(self.book.store.purge, before)
            if purged:
                log.info("purged %d finished orders older than %.0f h", purged, self.settings.orders_keep_hours)

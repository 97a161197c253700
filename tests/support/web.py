"""The configurator under test: settings with the order store in a temporary folder and limits out of
the way unless a test is about them, and the app wired to a fake Cog server (rubber_tile_dev/fake_cog.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from rubber_tile.web import WebSettings, create_app
from rubber_tile.web.backends import CogBackend
from rubber_tile_dev.fake_cog import FakeCog

PUBLIC_URL = "http://configurator.test"
GENEROUS = {
    "preview_rate_limit": "10000/second",
    "order_rate_limit": "10000/second",
    "orders_open_per_client": 1000,
    "queue_max": 1000,
}
# Liveness thresholds shortened so that a test sees them in about a second (the defaults are tested apart).
QUICK = {
    "health_interval_s": 0.05,
    "render_server_dead_after_s": 0.6,
    "render_lost_after_s": 0.6,
    "render_stuck_after_s": 0.8,
}


def web_settings(folder: Path, **changes: Any) -> WebSettings:
    return WebSettings(**({"render_workers": 0, "database_url": f"sqlite:///{folder / 'orders.sqlite3'}"}
                          | GENEROUS | changes))


def nowhere(url: str, payload: dict[str, Any]) -> int:
    """A webhook receiver that is not there (no app yet, or the app is down)."""
    raise ConnectionError("no app yet")


def cog_app(folder: Path, fake: FakeCog, **changes: Any) -> TestClient:
    """The app with its renders going to `fake`, whose webhooks come back through this client.
    Use it as a context manager (that runs the dispatcher)."""
    settings = web_settings(folder, public_url=PUBLIC_URL, cog_url="http://cog.test", **(QUICK | changes))
    backend = CogBackend(settings, transport=httpx.MockTransport(fake.handle))
    client = TestClient(create_app(settings, backend=backend))

    def deliver(url: str, payload: dict[str, Any]) -> int:
        return client.post(url.removeprefix(PUBLIC_URL), json=payload).status_code

    fake.deliver = deliver
    return client


def wait_for_order(
    client: TestClient, order_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 15.0
) -> dict[str, Any]:
    """Poll GET /api/renders/{id} until `done(state)`; AssertionError with the last state on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/api/renders/{order_id}").json()
        if done(state):
            return state
        assert time.monotonic() < deadline, f"order {order_id} never got there: {state}"
        time.sleep(0.02)


def finished(state: dict[str, Any]) -> bool:
    return state.get("status") in ("succeeded", "failed", "canceled")


def is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)

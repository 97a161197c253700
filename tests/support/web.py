"""Settings for configurator tests: the order store in a temporary folder, limits out of the way unless
a test is about them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rubber_tile.web import WebSettings

GENEROUS = {
    "preview_rate_limit": "10000/second",
    "order_rate_limit": "10000/second",
    "orders_open_per_client": 1000,
    "queue_max": 1000,
}


def web_settings(folder: Path, **changes: Any) -> WebSettings:
    return WebSettings(**({"render_workers": 0, "database_url": f"sqlite:///{folder / 'orders.sqlite3'}"}
                          | GENEROUS | changes))

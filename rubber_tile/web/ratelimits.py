"""Per-client rate limits (the `limits` library, moving windows, kept in this process's memory).

A client is its address as uvicorn reports it (behind a proxy listed in FORWARDED_ALLOW_IPS, the
address the proxy forwarded). Previews cost by area: a 1024 px one counts as four 512 px ones.
Orders have their own limit, plus the store's caps (open orders per client, queue, paid per day).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .errors import ApiError
from .messages import message

__all__ = ["ClientLimits", "client_key", "preview_cost"]

PREVIEW_UNIT_PX = 512


def client_key(request: Request) -> str:
    """A hash of the client's address (the store keeps no address)."""
    address = request.client.host if request.client else "unknown"
    return hashlib.blake2b(address.encode(), digest_size=16, person=b"rubber-tile").hexdigest()


def preview_cost(size: int) -> int:
    return max(1, math.ceil((size / PREVIEW_UNIT_PX) ** 2))


@dataclass(frozen=True)
class _Limit:
    kind: str
    items: tuple[RateLimitItem, ...]


class ClientLimits:
    def __init__(self, preview_limits: str, order_limits: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.previews = _Limit("preview", tuple(parse_many(preview_limits)))
        self.orders = _Limit("order", tuple(parse_many(order_limits)))

    def take(self, limit: _Limit, client: str, language: str, cost: int = 1) -> None:
        """Count one request of `cost`; ApiError 429 with Retry-After when a window is full."""
        for item in limit.items:
            if not self._limiter.test(item, limit.kind, client, cost=cost):
                stats = self._limiter.get_window_stats(item, limit.kind, client)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise ApiError(429, "rate_limited", message("rate_limited", language, retry_after=retry_after),
                               headers={"Retry-After": str(retry_after)})
        for item in limit.items:
            self._limiter.hit(item, limit.kind, client, cost=cost)

"""What the routes share: the settings, the preview pool, the order book, the backend, its dispatcher,
the per-client limits and the Replicate webhook checks."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from .backends import RenderBackend
from .book import OrderBook
from .dispatcher import Dispatcher
from .previews import PreviewPool
from .ratelimits import ClientLimits
from .settings import WebSettings
from .webhooks import ReplicateVerifier

__all__ = ["Services", "services"]


@dataclass
class Services:
    settings: WebSettings
    previews: PreviewPool
    book: OrderBook
    backend: RenderBackend
    dispatcher: Dispatcher
    limits: ClientLimits
    verifier: ReplicateVerifier | None


def services(request: Request) -> Services:
    return request.app.state.services

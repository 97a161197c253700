"""What the routes share: the settings, the preview pool, the renders, the backend and the webhook checks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request

from .backends import RenderBackend
from .previews import PreviewPool
from .renders import RenderStore
from .settings import WebSettings
from .webhooks import ReplicateVerifier

__all__ = ["Services", "services"]


@dataclass
class Services:
    settings: WebSettings
    previews: PreviewPool
    renders: RenderStore
    backend: RenderBackend
    verifier: ReplicateVerifier | None
    watchers: set[asyncio.Task] = field(default_factory=set)  # one per render in flight (the polling fallback)


def services(request: Request) -> Services:
    return request.app.state.services

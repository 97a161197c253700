"""Where photoreal renders go: the local Cog server (coglet, default) or Replicate, both with a webhook back.

What a send proves decides what may happen next (docs/web.md, "What coglet does"):
`accepted` (it runs), `busy` (coglet's 409: it did not start), `not_ready` (coglet's 503 during setup:
it did not start), `unreachable` (no connection: nothing was sent), `refused` (the inputs were refused:
it will never run), and `unknown` (a timeout after sending, a reset, an answer that cannot be read):
it may have started, so it is never sent again. coglet forgets a prediction once it finishes and
runs a repeated `PUT /predictions/{id}` again, so a Cog order is sent once and never asked about by
PUT; its liveness comes from `GET /health-check`, which has no side effects. Replicate's predictions
can be read by id (`predictions.get`), which is safe to repeat.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import replicate
from replicate.exceptions import ReplicateError

from .orders import Order
from .settings import WebSettings

__all__ = [
    "PREDICTION_ID",
    "CogBackend",
    "ReadError",
    "RenderBackend",
    "ReplicateBackend",
    "SendResult",
    "ServerHealth",
    "make_backend",
]

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = ["start", "output", "logs", "completed"]
COG_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
HEALTH_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# coglet joins the id to /tmp/coglet/predictions/{id} unchecked and keeps its one slot for ever when
# that fails (a slash, or over 255 bytes): only plain short ids ever reach it.
PREDICTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
Outcome = Literal["accepted", "busy", "not_ready", "unreachable", "refused", "unknown"]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""
    prediction_id: str | None = None

    @property
    def proves_not_started(self) -> bool:
        return self.outcome in ("busy", "not_ready", "unreachable", "refused")


@dataclass(frozen=True)
class ServerHealth:
    """coglet's /health-check status (READY, BUSY, STARTING, SETUP_FAILED, UNHEALTHY, DEFUNCT, UNKNOWN),
    or `unreachable` / `unreadable` when it did not answer or its answer cannot be read."""

    state: str
    detail: str = ""

    @property
    def reachable(self) -> bool:
        return self.state not in ("unreachable", "unreadable")


class ReadError(Exception):
    """A prediction could not be read (no connection, or an answer that cannot be read)."""


class RenderBackend(Protocol):
    name: str
    slots: int

    async def send(self, order: Order) -> SendResult: ...

    async def health(self) -> ServerHealth: ...

    async def read(self, order: Order) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


def _json_object(reply: httpx.Response) -> dict[str, Any] | None:
    try:
        body = reply.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


class CogBackend:
    """The Cog HTTP server at COG_URL: one slot, webhooks unsigned (a token per order in the URL)."""

    name = "cog"
    slots = 1

    def __init__(self, settings: WebSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(base_url=settings.cog_url, timeout=COG_TIMEOUT, transport=transport)

    def webhook_url(self, order: Order) -> str:
        return f"{self.settings.webhook_base_url}/api/webhooks/cog/{order.id}/{order.token}"

    async def send(self, order: Order) -> SendResult:
        if not PREDICTION_ID.fullmatch(order.id):
            return SendResult("refused", f"prediction id {order.id[:80]!r} is not 1-64 letters, digits, - or _")
        body = {"input": order.request, "webhook": self.webhook_url(order), "webhook_events_filter": WEBHOOK_EVENTS}
        try:
            reply = await self.client.put(f"/predictions/{order.id}", json=body, headers={"Prefer": "respond-async"})
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            return SendResult("unreachable", f"{type(error).__name__}: {error}")
        except httpx.HTTPError as error:
            return SendResult("unknown", f"{type(error).__name__}: {error}")
        return _cog_send_result(reply, order.id)

    async def health(self) -> ServerHealth:
        try:
            reply = await self.client.get("/health-check", timeout=HEALTH_TIMEOUT)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            return ServerHealth("unreachable", f"{type(error).__name__}: {error}")
        except httpx.HTTPError as error:  # it took the connection but gave no usable answer in time
            return ServerHealth("unreadable", f"{type(error).__name__}: {error}")
        body = _json_object(reply)
        if reply.status_code != 200 or body is None or not isinstance(body.get("status"), str):
            return ServerHealth("unreadable", f"HTTP {reply.status_code}: {reply.text[:200]}")
        setup = body.get("setup") if isinstance(body.get("setup"), dict) else {}
        return ServerHealth(body["status"], str(setup.get("logs") or body.get("user_healthcheck_error") or "")[-300:])

    async def read(self, order: Order) -> dict[str, Any] | None:
        return None  # coglet has no side-effect-free read: a PUT would run a finished prediction again

    async def close(self) -> None:
        await self.client.aclose()


def _cog_send_result(reply: httpx.Response, order_id: str) -> SendResult:
    body = _json_object(reply)
    said = f"HTTP {reply.status_code}: {reply.text[:300]}"
    if body is None:
        return SendResult("unknown", said)
    error = str(body.get("error", ""))
    if reply.status_code == 202 and body.get("id") == order_id:
        return SendResult("accepted", prediction_id=order_id)
    if reply.status_code == 409 and "capacity" in error:
        return SendResult("busy", said)
    if reply.status_code == 503 and "Setup has not finished" in error:
        return SendResult("not_ready", said)
    if reply.status_code == 422 and "detail" in body:
        return SendResult("refused", said)
    return SendResult("unknown", said)


class ReplicateBackend:
    """A model version on Replicate, through the official client; its webhooks are signed."""

    name = "replicate"

    def __init__(self, settings: WebSettings, client: replicate.Client | None = None) -> None:
        self.settings = settings
        self.slots = settings.replicate_slots
        self.client = client or replicate.Client(api_token=settings.replicate_api_token)

    def webhook_url(self) -> str:
        return f"{self.settings.webhook_base_url}/api/webhooks/replicate"

    async def send(self, order: Order) -> SendResult:
        try:
            prediction = await self.client.predictions.async_create(
                version=self.settings.replicate_model_version,
                input=order.request,
                webhook=self.webhook_url(),
                webhook_events_filter=WEBHOOK_EVENTS,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            return SendResult("unreachable", f"{type(error).__name__}: {error}")
        except ReplicateError as error:
            status = error.status or 0
            outcome: Outcome = "busy" if status == 429 else "refused" if 400 <= status < 500 else "unknown"
            return SendResult(outcome, _replicate_message(error))
        except Exception as error:  # noqa: BLE001 - an unreadable answer (HTML, bad JSON): it may have been created
            return SendResult("unknown", f"{type(error).__name__}: {str(error)[:300]}")
        return SendResult("accepted", prediction_id=prediction.id)

    async def health(self) -> ServerHealth:
        try:
            await self.client.accounts.async_current()
        except ReplicateError as error:
            return ServerHealth("unreadable", _replicate_message(error))
        except Exception as error:  # noqa: BLE001 - any failure means: not answering usably
            return ServerHealth("unreachable", f"{type(error).__name__}: {str(error)[:200]}")
        return ServerHealth("READY")

    async def read(self, order: Order) -> dict[str, Any] | None:
        if not order.prediction_id:
            return None
        try:
            prediction = await self.client.predictions.async_get(order.prediction_id)
        except Exception as error:  # noqa: BLE001 - ReplicateError, httpx errors, an unreadable answer
            raise ReadError(f"reading prediction {order.prediction_id} from Replicate failed: {error}"[:400]) from None
        return {"id": prediction.id, "status": prediction.status, "output": prediction.output,
                "logs": prediction.logs, "error": prediction.error}

    async def close(self) -> None:
        return None


def _replicate_message(error: ReplicateError) -> str:
    return f"{error.status or ''} {error.title or ''} {error.detail or ''}".strip() or type(error).__name__


def make_backend(settings: WebSettings) -> RenderBackend:
    return ReplicateBackend(settings) if settings.uses_replicate else CogBackend(settings)

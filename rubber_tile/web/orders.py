"""A render order: what the customer asked, where it stands, and how a prediction payload changes it.

An order is `queued` in the store, sent to the render server when its turn comes (`starting`), then
updated from prediction payloads (Cog's and Replicate's have the same shape: `status`, `logs`,
`error`, `output`) until it is `succeeded`, `failed` or `canceled`. A finished order never changes
again, with one exception: an order this app failed as `render_lost` (no news, slot free) takes the
render server's own late result, since the picture did get drawn once.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .messages import customer_error

__all__ = [
    "FINAL_STATUSES",
    "IN_FLIGHT_STATUSES",
    "Order",
    "OrderChange",
    "PayloadError",
    "change_from_payload",
    "failure_of",
    "progress_from_logs",
    "read_output",
]

FINAL_STATUSES = ("succeeded", "failed", "canceled")
IN_FLIGHT_STATUSES = ("starting", "processing")
PREDICTION_STATUSES = ("starting", "processing", *FINAL_STATUSES)
SUPERSEDED_BY_A_RESULT = ("render_lost",)
_STEP = re.compile(r"step (\d+)/(\d+)")
_MIX_REFUSED = re.compile(r"mix refused: (\{.*\})")
_DATA_URI = re.compile(r"data:(image/(?:png|jpeg|webp));base64,(.*)", re.DOTALL)


class PayloadError(ValueError):
    """A prediction payload that cannot be read (its order fails with `render_server_unreadable`)."""


@dataclass(frozen=True)
class Order:
    seq: int
    id: str
    client: str
    language: str
    backend: str
    inputs: dict[str, Any]
    request: dict[str, Any]
    token: str
    prediction_id: str | None
    status: str
    send_state: str
    sends: int
    progress_done: int | None
    progress_total: int | None
    error: dict[str, Any] | None
    image_url: str | None
    has_image: bool
    arrived_via: str | None
    version: int
    created_at: float
    sent_at: float | None
    news_at: float | None
    finished_at: float | None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def public(self, queue_position: int | None) -> dict[str, Any]:
        """Contract B: what the page reads (no token, no prediction id, no client)."""
        total = self.progress_total or 0
        return {
            "id": self.id,
            "status": self.status,
            "queue_position": queue_position if self.status == "queued" else None,
            "progress": {"done": self.progress_done or 0, "total": total} if total else None,
            "error": self.error,
            "language": self.language,
            "inputs": self.inputs,
            "seed": self.inputs.get("seed"),
            "image_url": f"/api/renders/{self.id}/image" if self.has_image or self.image_url else None,
            "arrived_via": self.arrived_via,
            "events_url": f"/api/renders/{self.id}/events",
        }


@dataclass(frozen=True)
class OrderChange:
    """Columns to set on an order, and the picture to keep with it."""

    values: dict[str, Any]
    image: tuple[bytes, str] | None = None
    notes: tuple[str, ...] = field(default=())


def progress_from_logs(logs: str) -> tuple[int, int] | None:
    """The last `step N/M` the predictor logged."""
    steps = _STEP.findall(logs or "")
    return (int(steps[-1][0]), int(steps[-1][1])) if steps else None


def failure_of(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """A failed prediction's error: the model's structured mix refusal when its log has one, else
    `prediction_failed` in the order's language with the server's message as `detail`."""
    detail = str(payload.get("error") or "the prediction failed without a message")
    found = _MIX_REFUSED.search(str(payload.get("logs") or ""))
    if found:
        try:
            mix = json.loads(found.group(1))
        except json.JSONDecodeError:
            mix = None
        if isinstance(mix, dict):
            return {"code": "mix", "message": str(mix.get("message", detail)), "mix": mix}
    return customer_error("prediction_failed", language, detail=detail)


def read_output(output: Any, backend: str, delivery_host: str) -> tuple[bytes, str, str]:
    """(image bytes, media type, URL) of a succeeded prediction's output. Cog must send the picture as
    a data: URI; Replicate an https URL on its delivery host. PayloadError for anything else, so that
    the picture's address can never point a customer elsewhere."""
    if isinstance(output, list) and len(output) == 1:
        output = output[0]
    if not isinstance(output, str) or not output:
        raise PayloadError(f"a succeeded prediction needs one file as its output, got {type(output).__name__}")
    if backend == "cog":
        found = _DATA_URI.fullmatch(output)
        if not found:
            raise PayloadError("the Cog server's output is not a data:image/...;base64 URI")
        try:
            return base64.b64decode(found.group(2), validate=True), found.group(1), ""
        except ValueError:
            raise PayloadError("the Cog server's output is not valid base64") from None
    if not on_delivery_host(output, delivery_host):
        raise PayloadError(f"the output URL is not an https address on {delivery_host}")
    return b"", "", output


def on_delivery_host(url: str, delivery_host: str) -> bool:
    """Whether a URL is https on the delivery host or one of its subdomains (the only place a picture is fetched from)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme == "https" and (host == delivery_host or host.endswith("." + delivery_host))


def change_from_payload(
    order: Order, payload: dict[str, Any], via: str, now: float, delivery_host: str
) -> OrderChange | None:
    """What a prediction payload changes on the order; None when nothing (finished, or no news).
    PayloadError when the payload cannot be read."""
    status = payload.get("status")
    if status not in PREDICTION_STATUSES:
        raise PayloadError(f"unknown prediction status {status!r}")
    if order.finished and not (
        status == "succeeded" and order.error and order.error.get("code") in SUPERSEDED_BY_A_RESULT
    ):
        return None
    values: dict[str, Any] = {"news_at": now, "arrived_via": via}
    progress = progress_from_logs(str(payload.get("logs") or ""))
    if progress:
        values["progress_done"], values["progress_total"] = progress
    image = None
    if status == "succeeded":
        data, media_type, url = read_output(payload.get("output"), order.backend, delivery_host)
        values |= {"image_url": url or None, "error": None}
        total = values.get("progress_total", order.progress_total)
        if total:
            values["progress_done"], values["progress_total"] = total, total
        image = (data, media_type) if data else None
    elif status == "failed":
        values["error"] = failure_of(payload, order.language)
    elif status == "canceled":
        values["error"] = customer_error("canceled", order.language)
    if status == "starting" and order.status in ("processing", "starting"):
        status = order.status  # a repeated `starting` says nothing new
    values["status"] = status
    if status in FINAL_STATUSES:
        values["finished_at"] = now
    if status == order.status and not progress and status not in FINAL_STATUSES:
        return None
    return OrderChange(values, image)

"""Photoreal renders in flight: what was asked, what the backend last said, and who waits for news.

A render is created when the customer asks for the picture, then updated from the prediction
payloads that arrive by webhook (or, as a fallback, by asking the backend). Cog and Replicate send
the same shape: `status`, `logs`, `error`, `output`. A finished render never changes again, so a
late or replayed delivery cannot undo it. The newest `kept` renders are kept in memory.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FINAL_STATUSES", "Render", "RenderStore", "failure_of", "progress_from_logs", "read_output"]

FINAL_STATUSES = ("succeeded", "failed", "canceled")
STATUSES = ("starting", "processing", *FINAL_STATUSES)
_STEP = re.compile(r"step (\d+)/(\d+)")
_MIX_REFUSED = re.compile(r"mix refused: (\{.*\})")
_DATA_URI = re.compile(r"data:(image/[a-z]+);base64,(.*)", re.DOTALL)


@dataclass
class Render:
    """One photoreal render; `token` authenticates the Cog server's webhooks and never leaves the server."""

    id: str
    inputs: dict[str, Any]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    prediction_id: str = ""
    status: str = "starting"
    progress: tuple[int, int] | None = None
    error: dict[str, Any] | None = None
    image: bytes = b""
    media_type: str = ""
    image_url: str = ""  # Replicate: where its file is
    arrived_via: str = ""  # "webhook" or "poll": how the last update came
    version: int = 0
    created_at: float = field(default_factory=time.time)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def public(self) -> dict[str, Any]:
        """What the browser may see (no token, no prediction id)."""
        done, total = self.progress or (0, 0)
        has_image = bool(self.image or self.image_url)
        return {
            "id": self.id,
            "status": self.status,
            "progress": {"done": done, "total": total} if total else None,
            "error": self.error,
            "image_url": f"/api/renders/{self.id}/image" if has_image else None,
            "arrived_via": self.arrived_via or None,
            "seed": self.inputs.get("seed"),
        }


def progress_from_logs(logs: str) -> tuple[int, int] | None:
    """The last `step N/M` the predictor logged."""
    steps = _STEP.findall(logs or "")
    return (int(steps[-1][0]), int(steps[-1][1])) if steps else None


def failure_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The error of a failed prediction: the structured mix refusal from the logs when there is one."""
    message = str(payload.get("error") or "the prediction failed without a message")
    found = _MIX_REFUSED.search(str(payload.get("logs") or ""))
    if found:
        try:
            mix = json.loads(found.group(1))
        except json.JSONDecodeError:
            mix = None
        if isinstance(mix, dict):
            return {"code": "mix", "message": str(mix.get("message", message)), "mix": mix}
    return {"code": "prediction_failed", "message": message}


class RenderStore:
    """The renders of this process, and a condition that wakes whoever waits for one to change."""

    def __init__(self, kept: int = 200) -> None:
        self.kept = kept
        self._renders: OrderedDict[str, Render] = OrderedDict()
        self._changed = asyncio.Condition()

    def new(self, inputs: dict[str, Any]) -> Render:
        render = Render(id=secrets.token_urlsafe(16), inputs=dict(inputs))
        self._renders[render.id] = render
        while len(self._renders) > self.kept:
            self._renders.popitem(last=False)
        return render

    def get(self, render_id: str) -> Render | None:
        return self._renders.get(render_id)

    def by_prediction(self, prediction_id: str) -> Render | None:
        return next((r for r in self._renders.values() if r.prediction_id == prediction_id), None)

    async def apply(self, render: Render, payload: dict[str, Any], via: str) -> bool:
        """Take in a prediction payload; False when the render had already finished (nothing changes)."""
        if render.finished:
            return False
        status = payload.get("status")
        if status not in STATUSES:
            raise ValueError(f"unknown prediction status {status!r}")
        if status == "succeeded":
            render.image, render.media_type, render.image_url = read_output(payload.get("output"))
        elif status == "failed":
            render.error = failure_of(payload)
        render.progress = progress_from_logs(str(payload.get("logs") or "")) or render.progress
        render.status = status
        render.arrived_via = via
        await self.touch(render)
        return True

    async def fail(self, render: Render, code: str, message: str) -> None:
        if not render.finished:
            render.status = "failed"
            render.error = {"code": code, "message": message}
            await self.touch(render)

    async def touch(self, render: Render) -> None:
        render.version += 1
        async with self._changed:
            self._changed.notify_all()

    async def wait_for_change(self, render: Render, version: int, timeout: float) -> bool:
        """Wait until the render's version is past `version`; False on timeout."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: render.version > version), timeout)
            except TimeoutError:
                return False
        return True


def read_output(output: Any) -> tuple[bytes, str, str]:
    """(image bytes, media type, URL) of a prediction's output: Cog sends the file as a data: URI,
    Replicate as an https URL (or a list of one). ValueError for anything else."""
    if isinstance(output, list) and len(output) == 1:
        output = output[0]
    if not isinstance(output, str) or not output:
        raise ValueError(f"a succeeded prediction needs one file as its output, got {type(output).__name__}")
    found = _DATA_URI.fullmatch(output)
    if found:
        return base64.b64decode(found.group(2), validate=True), found.group(1), ""
    if output.startswith(("https://", "http://")):
        return b"", "", output
    raise ValueError("the output is neither a data: URI nor an http(s) URL")

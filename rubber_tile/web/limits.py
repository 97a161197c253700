"""The body size limit, as ASGI middleware: 64 kB for the API, more for webhooks (they carry the image).

A Content-Length over the limit is refused before anything is read; a body sent without one
(chunked) is counted as it arrives and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyTooLarge", "BodySizeLimit"]


class BodyTooLarge(HTTPException):
    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit // 1024} kB; send at most {limit} bytes")


class BodySizeLimit:
    """`limit` bytes for every request body, except paths starting with one of `larger` (prefix, bytes)."""

    def __init__(self, app: ASGIApp, limit: int, larger: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.limit = limit
        self.larger = tuple(larger)

    def limit_for(self, path: str) -> int:
        return next((size for prefix, size in self.larger if path.startswith(prefix)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refuse(send, 400, "bad_content_length", "Content-Length must be a whole number of bytes")
                return
            if int(declared) > limit:
                error = BodyTooLarge(limit)
                await _refuse(send, 413, error.code, str(error.detail))
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

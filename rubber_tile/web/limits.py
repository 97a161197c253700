"""Two ASGI middlewares: the body size limit (64 kB for the API, more for webhooks) and request timeouts.

A Content-Length over the limit is refused before anything is read; a body sent without one
(chunked) is counted as it arrives and refused as soon as it passes the limit. A client that stalls
while sending its body gets 408; a request not answered within REQUEST_TIMEOUT_S gets 503 (event
streams excepted: they last as long as their render). A client stalling in its headers is the
reverse proxy's to cut (nginx `client_header_timeout`), or uvicorn's `timeout_keep_alive` when idle.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit", "BodyTooLarge", "RequestTimeout"]


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


class _BodyStalled(Exception):
    pass


class RequestTimeout:
    """`body_s` for each piece of a request body; `total_s` for the whole answer (event streams excepted)."""

    def __init__(self, app: ASGIApp, total_s: float, body_s: float, streaming_suffix: str = "/events") -> None:
        self.app = app
        self.total_s = total_s
        self.body_s = body_s
        self.streaming_suffix = streaming_suffix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(self.streaming_suffix):
            await self.app(scope, receive, send)
            return
        started = False
        body_done = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_s)
            except TimeoutError:
                raise _BodyStalled from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, timed_receive, watched_send), self.total_s)
        except _BodyStalled:
            if not started:
                await _refuse(send, 408, "request_timeout", f"no body data for {self.body_s:.0f} s; send the body at once")
        except TimeoutError:
            if not started:
                await _refuse(send, 503, "request_timeout", f"no answer within {self.total_s:.0f} s; try again")

"""Live previews for the page: a checked request drawn by the preview backend, as JPEG or PNG bytes.

Drawing a preview is CPU work that holds the GIL for much of its time, so previews are drawn in a
pool of worker processes (WEB_RENDER_WORKERS, one per CPU by default) and the event loop stays
free for other customers. The checked TileRequest goes in (its mix already read) and bytes come back.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TypeVar

from ..generator import TileGenerator
from ..output import encode_tile
from ..preview.backend import PreviewBackend
from ..request import TileRequest, make_request

__all__ = ["PreviewPool", "draw_preview", "media_type"]

MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
T = TypeVar("T")


def media_type(request: TileRequest) -> str:
    return MEDIA_TYPES[request.output_format]


def draw_preview(request: TileRequest) -> bytes:
    """The preview as file bytes (with save_tile's metadata: mix, seed, size, backend)."""
    tile = TileGenerator(PreviewBackend("web configurator preview")).generate(request)
    return encode_tile(tile, request.output_format)


def _warm_up(_: int) -> int:
    """Imports and one small render in a worker, so that the first customer does not wait for them."""
    return len(draw_preview(make_request("100% red", seed=0, width=512, height=512, output_format="jpg", preview=True)))


class PreviewPool:
    """Draws previews in `workers` processes (0: in this process's default thread pool)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: Executor | None = None

    def start(self) -> None:
        if self.workers > 0 and self._executor is None:
            # spawn, not fork: the server has threads running, which a fork would copy half-way.
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
            list(self._executor.map(_warm_up, range(self.workers)))

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def run(self, work: Callable[[T], bytes], argument: T) -> bytes:
        """`work(argument)` in a worker (a module-level function and a picklable argument)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, argument)

    async def draw(self, request: TileRequest) -> bytes:
        """The request (checked, its mix read: it goes to the worker as it is, pickled) drawn as file bytes."""
        return await self.run(draw_preview, request)

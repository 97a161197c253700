"""Live previews for the page: a checked request drawn by the preview backend, as JPEG or PNG bytes.

Drawing a preview is CPU work that holds the GIL for much of its time, so previews are drawn in a
pool of worker processes (WEB_RENDER_WORKERS, one per CPU by default) and the event loop stays
free for other customers. Only a small frozen dataclass goes in and bytes come back.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from ..output import encode_tile
from ..preview.backend import PreviewTileGenerator
from ..request import TileRequest, make_request

__all__ = ["PreviewParams", "PreviewPool", "checked_request", "draw_preview"]

MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
T = TypeVar("T")


@dataclass(frozen=True)
class PreviewParams:
    """Everything a preview depends on; `prompt` is a mix the parser has read (its canonical form)."""

    prompt: str
    seed: int
    size: int
    grade: str
    framing: str
    view: str
    image_format: str = "jpg"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.image_format]


def checked_request(params: PreviewParams) -> TileRequest:
    """The preview's TileRequest; InputError or MixError for anything out of bounds."""
    return make_request(
        prompt=params.prompt,
        seed=params.seed,
        width=params.size,
        height=params.size,
        output_format=params.image_format,
        preview=True,
        grade=params.grade,
        framing=params.framing,
        view=params.view,
    )


def draw_preview(params: PreviewParams) -> bytes:
    """The preview as file bytes (with save_tile's metadata: mix, seed, size, backend)."""
    tile = PreviewTileGenerator("web configurator preview").generate(checked_request(params))
    return encode_tile(tile, params.image_format)


def _warm_up(_: int) -> int:
    """Imports and one small render in a worker, so that the first customer does not wait for them."""
    return len(draw_preview(PreviewParams("100% red", 0, 512, "standard", "full_frame", "top")))


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

    async def draw(self, params: PreviewParams) -> bytes:
        checked_request(params)  # refuse bad input here, with its message, before a worker is used
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, draw_preview, params)

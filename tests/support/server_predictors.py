"""Predictors for the server tests only, loaded by coglet with
COG_PREDICT_TYPE_STUB=tests/support/server_predictors.py:FaultInjectingPredictor.

They run the real predict.Predictor and add hooks that cannot come over HTTP: a CUDA out-of-memory
error raised inside the pipeline call, a log line when the SDXL backend frees accelerator memory,
and (SlowPredictor) a setup and renders that take a while, so that a test can meet coglet in setup
or busy with a render.
Product code carries no test hooks; everything here wraps it from outside.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import predict
from rubber_tile.sdxl import backend

OOM_FLAG_ENV = "TILE_TEST_OOM_FLAG"  # a file path: while that file exists, the next pipeline call runs out of memory
FREED_MEMORY_LOG = "test hook: accelerator memory freed"
INJECTED_OOM_LOG = "test hook: injecting torch.OutOfMemoryError"
SETUP_DELAY_ENV = "TILE_TEST_SETUP_DELAY_S"  # seconds setup() waits first
RENDER_DELAY_ENV = "TILE_TEST_RENDER_DELAY_FILE"  # a file holding the seconds each render waits first (none: 0)

log = logging.getLogger("server_predictors")


class OutOfMemoryOnFlag:
    """Stands in for the SDXL pipeline: raises CUDA's out-of-memory error once per flag file, else runs it."""

    def __init__(self, pipe, flag: Path) -> None:
        self._pipe = pipe
        self._flag = flag

    def __getattr__(self, name: str):
        return getattr(self._pipe, name)

    def __call__(self, **kwargs):
        import torch

        if self._flag.exists():
            self._flag.unlink()
            log.info(INJECTED_OOM_LOG)
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (injected by the test)")
        return self._pipe(**kwargs)


def _logged_free_memory(free_memory):
    def free_and_log() -> None:
        free_memory()
        log.info(FREED_MEMORY_LOG)

    return free_and_log


class FaultInjectingPredictor(predict.Predictor):
    def setup(self) -> None:
        super().setup()
        flag = os.environ.get(OOM_FLAG_ENV)
        if flag and self.generator.backend == "sdxl":
            sdxl = self.generator.chosen
            sdxl.pipe = OutOfMemoryOnFlag(sdxl.pipe, Path(flag))
        # SdxlBackend.sample looks the function up in its module on every call.
        backend.free_accelerator_memory = _logged_free_memory(backend.free_accelerator_memory)


class DelayedGenerator:
    """Waits the seconds written in `delay_file` (if it exists) before each render, then renders."""

    def __init__(self, generator, delay_file: Path) -> None:
        self._generator = generator
        self._delay_file = delay_file

    def __getattr__(self, name: str):
        return getattr(self._generator, name)

    def generate(self, request, **kwargs):
        if self._delay_file.is_file():
            time.sleep(float(self._delay_file.read_text() or 0))
        return self._generator.generate(request, **kwargs)


class SlowPredictor(predict.Predictor):
    def setup(self) -> None:
        time.sleep(float(os.environ.get(SETUP_DELAY_ENV, "0")))
        super().setup()
        delay_file = os.environ.get(RENDER_DELAY_ENV)
        if delay_file:
            self.generator = DelayedGenerator(self.generator, Path(delay_file))

"""The preview backend: the procedural renderer behind the generator interface."""

from __future__ import annotations

from ..generator import ProgressCallback, TileImage, common_metadata
from ..request import TileRequest
from .render import render_tile

PREVIEW_MODEL_NAME = "preview renderer"


class PreviewTileGenerator:
    """The procedural renderer: the exact mix, in milliseconds, with no model weights."""

    backend = "preview"

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        mix = request.require_mix("the preview")
        side = max(request.width, request.height)
        crop = None if request.width == request.height else (request.width, request.height)
        image = render_tile(mix, size=side, seed=request.seed, crop=crop)
        if on_step is not None:
            on_step(1, 1)
        metadata = common_metadata(request, self.backend, PREVIEW_MODEL_NAME, mix.describe())
        if self.reason:
            metadata["backend_reason"] = self.reason
        return TileImage(image, metadata)

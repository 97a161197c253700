"""The preview backend: the procedural renderer behind the backend interface (backend.py).

The request's grade and framing go to the renderer. For the installed view it renders
INSTALLED_TEXTURES top views of one whole tile face (new seeds) at the floor's scale, which
installed.py lays as a floor. The image's metadata says which view, grade and framing made it.
"""

from __future__ import annotations

from PIL import Image

from ..backend import FloorTextures, ProgressCallback, TileImage, common_metadata, note_unused_inputs
from ..installed import INSTALLED_TILE_MM
from ..mix import ColorMix
from ..request import TileRequest
from .render import render_layers, render_tile
from .settings import FULL_FRAME_FIELD_SHARE, MAX_SIZE, MIN_SIZE, RenderSettings

PREVIEW_MODEL_NAME = "preview renderer"
# Top views an installed floor is laid from, and their size in px (one spans a whole tile: a
# near tile covers about this many pixels of a 1024 px picture).
INSTALLED_TEXTURES = 2
INSTALLED_TEXTURE_PX = 512
SEED_LIMIT = 2**32


def installed_textures(mix: ColorMix, grade: str, seed: int, count: int = INSTALLED_TEXTURES) -> list[Image.Image]:
    """`count` full-frame top views of a whole INSTALLED_TILE_MM tile face, each from its own seed."""
    # A full frame shows FULL_FRAME_FIELD_SHARE of its tile: ask for a tile that much larger.
    tile_mm = INSTALLED_TILE_MM / FULL_FRAME_FIELD_SHARE
    return [
        render_layers(
            mix,
            RenderSettings(size=INSTALLED_TEXTURE_PX, seed=(seed + 7919 * k) % SEED_LIMIT, grade=grade, tile_mm=tile_mm),
        ).image
        for k in range(1, count + 1)
    ]


def render_top_view(request: TileRequest, mix: ColorMix) -> Image.Image:
    """The top view the request asks for, in its framing, cut to its width and height."""
    side = min(MAX_SIZE, max(MIN_SIZE, request.width, request.height))
    crop = None if request.width == request.height else (request.width, request.height)
    return render_tile(mix, size=side, seed=request.seed, framing=request.framing, grade=request.grade, crop=crop)


class PreviewBackend:
    """The procedural renderer: the exact mix, in milliseconds, with no model weights."""

    backend = "preview"

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def top_view(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        image = render_top_view(request, request.require_mix("the preview"))
        if on_step is not None:
            on_step(1, 1)
        return TileImage(image, self.metadata(request))

    def floor_textures(self, request: TileRequest, on_step: ProgressCallback | None = None) -> FloorTextures:
        textures = installed_textures(request.require_mix("the preview"), request.grade, request.seed)
        if on_step is not None:
            on_step(1, 1)
        return FloorTextures(tuple(textures), self.metadata(request))

    def metadata(self, request: TileRequest) -> dict[str, str]:
        metadata = common_metadata(request, self.backend, PREVIEW_MODEL_NAME, request.require_mix("the preview").describe())
        metadata["view"] = request.view
        metadata["grade"] = request.grade
        metadata["framing"] = request.framing
        note_unused_inputs(request, self.backend, metadata)
        if self.reason:
            metadata["backend_reason"] = self.reason
        return metadata

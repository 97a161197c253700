"""The preview backend: the procedural renderer behind the generator interface.

The request's grade and framing go to the renderer; view `installed` renders INSTALLED_TEXTURES
top views of one tile face (new seeds) at the floor's scale and lays them as a floor
(installed.py). The image's metadata says which view, grade and framing made it.
"""

from __future__ import annotations

from PIL import Image

from ..generator import ProgressCallback, TileImage, common_metadata, note_unused_inputs
from ..mix import ColorMix
from ..request import TileRequest
from .installed import render_installed
from .render import render_layers, render_tile
from .settings import FULL_FRAME_FIELD_SHARE, MAX_SIZE, MIN_SIZE, RenderSettings

PREVIEW_MODEL_NAME = "preview renderer"
INSTALLED_TILE_MM = 500.0
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
        render_layers(mix, RenderSettings(size=INSTALLED_TEXTURE_PX, seed=(seed + 7919 * k) % SEED_LIMIT, grade=grade, tile_mm=tile_mm)).image
        for k in range(1, count + 1)
    ]


def render_request(request: TileRequest, mix: ColorMix) -> Image.Image:
    """The picture the request asks for: a top view in its framing, or the installed floor."""
    if request.view == "installed":
        textures = installed_textures(mix, request.grade, request.seed)
        return render_installed(textures, width=request.width, height=request.height, seed=request.seed, tile_mm=INSTALLED_TILE_MM)
    side = min(MAX_SIZE, max(MIN_SIZE, request.width, request.height))
    crop = None if request.width == request.height else (request.width, request.height)
    return render_tile(mix, size=side, seed=request.seed, framing=request.framing, grade=request.grade, crop=crop)


class PreviewTileGenerator:
    """The procedural renderer: the exact mix, in milliseconds, with no model weights."""

    backend = "preview"

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def generate(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        mix = request.require_mix("the preview")
        image = render_request(request, mix)
        if on_step is not None:
            on_step(1, 1)
        metadata = common_metadata(request, self.backend, PREVIEW_MODEL_NAME, mix.describe())
        metadata["view"] = request.view
        metadata["grade"] = request.grade
        metadata["framing"] = request.framing
        if request.view == "installed":
            metadata["installed_tile_mm"] = f"{INSTALLED_TILE_MM:g}"
        note_unused_inputs(request, self.backend, metadata)
        if self.reason:
            metadata["backend_reason"] = self.reason
        return TileImage(image, metadata)

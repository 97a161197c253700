"""The backends' one interface: what a backend is given, what it gives back, and the metadata all write.

A backend draws top views: `SdxlBackend` (sdxl/backend.py: the trained model) and `PreviewBackend`
(preview/backend.py: the procedural renderer, exact and instant, runs anywhere). generator.py
chooses one; installed.py lays any backend's textures as a floor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from .request import TileRequest, input_default

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (steps done, steps in all)


class BackendError(RuntimeError):
    """The configured backend cannot run; the message says what is missing."""


@dataclass(frozen=True)
class TileImage:
    image: Image.Image
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FloorTextures:
    """Top views that each span one whole tile of an installed floor, and the metadata of what drew them."""

    textures: tuple[Image.Image, ...]
    metadata: dict[str, str]


class TileBackend(Protocol):
    backend: str  # "sdxl" or "preview": the name in the image's metadata

    def top_view(self, request: TileRequest, on_step: ProgressCallback | None = None) -> TileImage:
        """The tile seen from above, as the request asks (its view is not looked at)."""
        ...

    def floor_textures(self, request: TileRequest, on_step: ProgressCallback | None = None) -> FloorTextures:
        """Whole-tile top views for installed.py to lay as a floor."""
        ...


def common_metadata(request: TileRequest, backend: str, model: str, drawn_from: str) -> dict[str, str]:
    """The metadata fields every backend writes into its image file: `prompt` is what the backend drew
    from (SDXL: the model prompt; the preview: the canonical mix), `request` the customer's own text."""
    metadata = {
        "prompt": drawn_from,
        "request": request.prompt,
        "seed": str(request.seed),
        "width": str(request.width),
        "height": str(request.height),
        "backend": backend,
        "model": model,
    }
    if request.mix is not None and (note := request.mix.scaling_note()):
        metadata["mix_note"] = note
    return metadata


# Inputs each backend does not use: a request that sets them says so in the log and the metadata.
UNUSED_BY_BACKEND = {
    "preview": ("num_inference_steps", "guidance_scale", "negative_prompt", "color_lock"),
    "sdxl": ("grade", "framing"),
}
# Inputs a view does not use on any backend: a floor is always laid from full-frame top views.
UNUSED_IN_VIEW = {"installed": ("framing",)}


def unused_inputs(request: TileRequest, backend: str) -> list[str]:
    """The inputs this request set away from their defaults that `backend` does not use."""
    names = dict.fromkeys([*UNUSED_BY_BACKEND[backend], *UNUSED_IN_VIEW.get(request.view, ())])
    return [name for name in names if getattr(request, name) != input_default(name)]


def note_unused_inputs(request: TileRequest, backend: str, metadata: dict[str, str]) -> None:
    """Log and record (metadata `unused_inputs`) what this backend leaves unused."""
    unused = unused_inputs(request, backend)
    if unused:
        log.info("%s backend: %s not used", backend, ", ".join(f"{name}={getattr(request, name)!r}" for name in unused))
        metadata["unused_inputs"] = ", ".join(unused)

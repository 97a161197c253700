"""The visualiser: a photo of the customer's site with the mix laid on the area he marks.

The browser draws it live (rubber_tile/web/static/visualiser*.js); this is the same maths in numpy, for
the tile maker's catalogue and sales pictures (scripts/visualise.py) and for the tests that hold the
two to each other. geometry.py: the area's plane; light.py: the photo's light on it; surface.py: the
layout (everything but the texture); paint.py: the texture laid on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from ..preview.render import render_tile
from ..preview.settings import FULL_FRAME_FIELD_SHARE, RenderSettings
from .geometry import AreaError, Point, check_corners, check_outline, estimate_area_size, photo_to_plane
from .paint import paint
from .surface import Area, Layout, lay_out

__all__ = [
    "FULL_FRAME_FIELD_MM",
    "Area",
    "AreaError",
    "Layout",
    "check_area",
    "estimate_area_size",
    "lay_out",
    "mix_texture",
    "paint",
    "visualise",
]

# The width of tile face a full-frame top view shows (preview/settings.py).
FULL_FRAME_FIELD_MM = RenderSettings().tile_mm * FULL_FRAME_FIELD_SHARE
TEXTURE_PX = 1024


def check_area(area: Area, width: int, height: int) -> None:
    """AreaError, saying what to fix, unless the area can be laid in a width x height photo."""
    check_corners(area.corners, width, height)
    for name, value in (("width", area.width_m), ("depth", area.depth_m)):
        if not (isinstance(value, (int, float)) and value > 0 and np.isfinite(value)):
            raise AreaError(f"the area's {name} must be a positive number of metres, got {value!r}")
    if area.outline is not None:
        check_outline(area.outline, width, height, photo_to_plane(area.corners, area.width_m * 1000, area.depth_m * 1000))


def mix_texture(mix, *, grade: str = "standard", seed: int = 0, size: int = TEXTURE_PX) -> np.ndarray:
    """HxWx3 bytes: the preview renderer's full-frame top view of the mix (FULL_FRAME_FIELD_MM wide)."""
    return np.asarray(render_tile(mix, size=size, seed=seed, framing="full_frame", grade=grade).convert("RGB"))


def visualise(
    photo: Image.Image,
    corners: Sequence[Point],
    texture: np.ndarray,
    *,
    size_m: tuple[float, float] | None = None,
    seamless: bool = False,
    seed: int = 0,
    mask: np.ndarray | None = None,
    outline: Sequence[Point] | None = None,
    field_mm: float = FULL_FRAME_FIELD_MM,
) -> Image.Image:
    """The photo (RGB, at its own size) with the texture laid on the area the corners mark.

    size_m: the area's (width, depth) in metres, c0 -> c1 and c1 -> c2; None: estimated from the corners
    for a phone camera held at standing height. AreaError on corners or an outline that make no area.
    """
    pixels = np.asarray(photo.convert("RGB"))
    height, width = pixels.shape[:2]
    corners = tuple((float(x), float(y)) for x, y in corners)
    check_corners(corners, width, height)
    size = size_m or estimate_area_size(corners, width, height)
    if size is None:
        raise AreaError("the area's size cannot be told from these corners: give its width and depth in metres")
    area = Area(corners, float(size[0]), float(size[1]), tuple(outline) if outline else None)
    check_area(area, width, height)
    layout = lay_out(pixels, area, seamless=seamless, seed=seed, field_mm=field_mm, mask=mask)
    return Image.fromarray(paint(layout, texture), "RGB")

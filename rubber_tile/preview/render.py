"""Procedural preview of an EPDM rubber-crumb tile seen from above, from a colour mix.

No model, no GPU: a fast stand-in for the SDXL image that shows what a mix looks like.
geometry.py lays out the granules, shading.py lights them; here each granule gets one mix colour
so that the summed visible granule area of each colour hits its share (by area, not by granule
count; to about a pixel), chosen at random otherwise, so colours mix as random packing mixes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..colors.colorspace import srgb_to_linear
from ..colors.palette import Palette, load_palette
from ..mix import ColorMix
from .geometry import FIRST_GRANULE_REGION, granule_layout, rasterise
from .settings import RenderSettings
from .shading import (
    GAP_DEPTH_SHARE,
    SURFACE_CLASSES,
    binder_linear,
    color_table,
    face_lab_offsets,
    surface_classes,
    surface_lab,
)


@dataclass(frozen=True)
class RenderedTile:
    """A render and the maps it was made from (for tests and evaluation)."""

    image: Image.Image
    regions: np.ndarray  # HxW int32: REGION_BACKGROUND, REGION_BINDER, or granule_region(granule, facet)
    surface: np.ndarray  # HxW uint8 surface class
    color_of_region: np.ndarray  # per label: index into colors, -1 for background and binder
    colors: tuple[str, ...]

    def color_map(self) -> np.ndarray:
        """HxW int16: index into colors for granule pixels, -1 elsewhere."""
        return self.color_of_region[self.regions]

    def area_shares(self) -> dict[str, float]:
        """Percent of the granule area (all granule pixels, shaded ones included) per colour."""
        counts = np.bincount(self.color_map().ravel() + 1, minlength=len(self.colors) + 1)[1:]
        return {name: 100.0 * int(c) / int(counts.sum()) for name, c in zip(self.colors, counts)}


def assign_colors(areas: np.ndarray, fractions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour index per granule such that summed areas per colour hit fractions * total area.

    Starts from an independent random draw (well mixed, as random packing mixes) and then
    recolours randomly chosen layout from the colour most over its target to the one most under,
    finishing with the granule whose area best fits the rest. With many layout of all visible
    sizes the result is exact to about a pixel; it is never off by more than one granule.
    """
    colour_count = len(fractions)
    colours = rng.choice(colour_count, size=len(areas), p=fractions)
    if colour_count == 1:
        return colours
    areas = areas.astype(np.float64)
    targets = fractions * areas.sum()
    order = rng.permutation(len(areas))
    for _ in range(50 * colour_count):
        totals = np.bincount(colours, weights=areas, minlength=colour_count)
        shortfall = targets - totals
        over, under = int(np.argmin(shortfall)), int(np.argmax(shortfall))
        need = min(-shortfall[over], shortfall[under])
        if need < 0.5:
            break
        candidates = order[(colours[order] == over) & (areas[order] > 0)]
        running = np.cumsum(areas[candidates])
        taken = int(np.searchsorted(running, need, side="right"))
        colours[candidates[:taken]] = under
        rest = need - (running[taken - 1] if taken else 0.0)
        remaining = candidates[taken:]
        moved_last = False
        if rest >= 0.5 and remaining.size:
            best = remaining[int(np.argmin(np.abs(areas[remaining] - rest)))]
            if abs(areas[best] - rest) < rest:
                colours[best] = under
                moved_last = True
        if taken == 0 and not moved_last:
            break
    return colours


def render_layers(mix: ColorMix, settings: RenderSettings, palette: Palette | None = None) -> RenderedTile:
    """The render with its region, surface and colour maps. See render_tile."""
    palette = load_palette() if palette is None else palette
    shares = mix.normalized
    colors = tuple(shares)
    fractions = np.array([shares[name] for name in colors]) / sum(shares.values())

    # Geometry has its own random stream: one seed gives one layout whatever the mix.
    layout = granule_layout(settings, np.random.default_rng([settings.seed, 0]))
    color_rng = np.random.default_rng([settings.seed, 1])
    regions = rasterise(layout, settings)
    surface = surface_classes(regions >> 1, settings.rim_px, int(GAP_DEPTH_SHARE * len(layout.outlines)))

    granule_count = len(layout.outlines)
    # Shares are of what is seen: a wide or tall image keeps only part of the square layout.
    region_areas = np.bincount(regions[settings.kept].ravel(), minlength=FIRST_GRANULE_REGION + 2 * granule_count)
    granule_areas = region_areas[FIRST_GRANULE_REGION:].reshape(granule_count, 2).sum(axis=1)
    color_of_granule = assign_colors(granule_areas, fractions, color_rng)
    sample = (slice(None, None, 4), slice(None, None, 4))
    on_granules = regions[sample] >= FIRST_GRANULE_REGION
    class_pixels = np.bincount(surface[sample][on_granules], minlength=SURFACE_CLASSES)
    face_colors = np.repeat(color_of_granule, 2)
    face_lab = surface_lab(colors, palette, class_pixels)[face_colors]
    face_lab += face_lab_offsets(settings, layout, colors, color_of_granule, palette, color_rng)[:, None, :]
    # A granule is never as dark as a gap: the analyzer would count its pixels for no colour.
    np.clip(face_lab[..., 0], palette.gap_lightness + 1.0, 100.0, out=face_lab[..., 0])
    binder = binder_linear(fractions @ srgb_to_linear(palette.srgb_array(list(colors))), palette.gap_lightness)
    table = color_table(settings, face_lab, binder)

    index = regions * SURFACE_CLASSES
    index += surface
    words = np.take(table, index)
    image = Image.frombuffer("RGBA", (settings.size, settings.size), words, "raw", "RGBA", 0, 1).convert("RGB")
    color_of_region = np.concatenate([[-1, -1], face_colors]).astype(np.int16)
    return RenderedTile(image=image, regions=regions, surface=surface, color_of_region=color_of_region, colors=colors)


def render_tile(
    mix: ColorMix,
    *,
    size: int = 1024,
    seed: int = 0,
    framing: str = "full_frame",
    grade: str = "standard",
    crop: tuple[int, int] | None = None,
) -> Image.Image:
    """An RGB preview of a tile with this mix, `size` x `size` pixels (256-2048), or the centred
    `crop` = (width, height) of it, with the shares exact in what is kept.

    mix: the visible granule area of each colour matches its share to about a pixel.
    framing: "full_frame" (a close-up of the face edge to edge, like the SDXL outputs: 9.1 px/mm
    at 1024 px) or "product_photo" (the whole 140 mm tile with its edge on a white background,
    like the owner's photos: 3.9 px/mm at 640 px).
    grade: crumb sieve size, "fine" (1-3 mm), "standard" (2-4 mm) or "coarse" (3-5 mm).
    seed: a whole number >= 0; the same arguments always give the same image, and one seed gives
    one granule layout whatever the mix.
    ValueError, with what to fix, on a size outside 256-2048, an unknown framing or grade, or a bad seed.
    """
    settings = RenderSettings(size=size, seed=seed, framing=framing, grade=grade, crop=crop)
    image = render_layers(mix, settings).image
    if crop is None:
        return image
    rows, columns = settings.kept
    return image.crop((columns.start, rows.start, columns.stop, rows.stop))

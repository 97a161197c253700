"""Procedural preview of an EPDM rubber-crumb tile seen from above, from a colour mix.

No model, no GPU: a fast stand-in for the SDXL image that shows what a mix looks like.
geometry.py builds the granule surface (a height field and which granule each pixel shows),
shading.py lights it, coloring.py colours it from each colour's real photo and camera.py adds
the lens and the sensor. Here each granule gets one mix colour so that the summed visible
granule area of each colour hits its share (by area, not by granule count; to about a pixel),
chosen at random otherwise, so colours mix as random packing mixes them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from ..colors.colorspace import srgb_to_linear
from ..colors.palette import Palette, load_palette
from ..mix import ColorMix
from .camera import Camera, camera, expose
from .coloring import GRANULE_VARIANTS, SHADE_LEVELS, binder_linear, color_rows, shade_levels, srgb_table
from .geometry import (
    FIRST_GRANULE_REGION,
    NO_GRANULE,
    REGION_BACKGROUND,
    REGION_BINDER,
    GranuleSurface,
    cut_to_tile,
    granule_layout,
    granule_surface,
)
from .settings import RenderSettings
from .shading import away_from_light, bevel_shade, shade

# Surface classes of RenderedTile.surface.
SURFACE_TOP = 0  # granule faces turned towards the lamp
SURFACE_AWAY = 1  # granule faces turned from it
SURFACE_BINDER = 2
SURFACE_BACKGROUND = 3


@dataclass(frozen=True)
class RenderedTile:
    """A render and the maps it was made from (for tests and evaluation)."""

    image: Image.Image
    labels: np.ndarray  # HxW int32: granule index, NO_GRANULE on binder and background
    background: np.ndarray  # HxW bool: off the tile (product photo), all False in a full frame
    granule_surface: GranuleSurface
    color_of_granule: np.ndarray  # per granule: index into colors
    colors: tuple[str, ...]

    @cached_property
    def regions(self) -> np.ndarray:
        """HxW int32: REGION_BACKGROUND, REGION_BINDER, or granule_region(granule, facet turned from the light)."""
        away = away_from_light(self.granule_surface) & (self.labels != NO_GRANULE)
        regions = np.where(self.labels == NO_GRANULE, REGION_BINDER, FIRST_GRANULE_REGION + 2 * self.labels + away)
        regions[self.background] = REGION_BACKGROUND
        return regions.astype(np.int32)

    @property
    def color_of_region(self) -> np.ndarray:
        """Per region number: index into colors, -1 for background and binder."""
        return np.concatenate([[-1, -1], np.repeat(self.color_of_granule, 2)]).astype(np.int16)

    @property
    def surface(self) -> np.ndarray:
        """HxW uint8 surface class (SURFACE_TOP, SURFACE_AWAY, SURFACE_BINDER, SURFACE_BACKGROUND)."""
        classes = np.where(self.regions % 2 == 1, SURFACE_AWAY, SURFACE_TOP).astype(np.uint8)
        classes[self.regions == REGION_BINDER] = SURFACE_BINDER
        classes[self.regions == REGION_BACKGROUND] = SURFACE_BACKGROUND
        return classes

    def color_map(self) -> np.ndarray:
        """HxW int16: index into colors for granule pixels, -1 elsewhere."""
        lookup = np.concatenate([self.color_of_granule, [-1]]).astype(np.int16)
        return lookup[self.labels]

    def area_shares(self) -> dict[str, float]:
        """Percent of the granule area (all granule pixels, shaded ones included) per colour."""
        counts = np.bincount(self.color_map().ravel() + 1, minlength=len(self.colors) + 1)[1:]
        return {name: 100.0 * int(c) / int(counts.sum()) for name, c in zip(self.colors, counts, strict=True)}


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


@dataclass(frozen=True)
class TileGeometry:
    """Everything a render needs that does not depend on the mix: one per RenderSettings (read-only arrays)."""

    surface: GranuleSurface
    labels: np.ndarray
    background: np.ndarray
    areas: np.ndarray  # visible pixels per granule in the kept part of the image
    levels: np.ndarray  # HxW shade level of each pixel
    lens: Camera


# The configurator redraws one layout (the customer's seed) for every slider move: its geometry is kept,
# per process (the web app runs one per CPU): 96 MB holds about 25 layouts at 512 px, 6 at 1024.
GEOMETRY_CACHE_BYTES = 96 * 1024**2
_geometry_cache: OrderedDict[RenderSettings, TileGeometry] = OrderedDict()
_geometry_lock = threading.Lock()


def tile_geometry(settings: RenderSettings) -> TileGeometry:
    """The settings' geometry, from the cache when one render already made it (LRU, GEOMETRY_CACHE_BYTES)."""
    with _geometry_lock:
        if settings in _geometry_cache:
            _geometry_cache.move_to_end(settings)
            return _geometry_cache[settings]
    geometry = _make_geometry(settings)
    with _geometry_lock:
        _geometry_cache[settings] = geometry
        while (
            len(_geometry_cache) > 1
            and sum(_geometry_bytes(g) for g in _geometry_cache.values()) > GEOMETRY_CACHE_BYTES
        ):
            _geometry_cache.popitem(last=False)
    return geometry


def _geometry_bytes(geometry: TileGeometry) -> int:
    arrays = [geometry.background, geometry.levels, *vars(geometry.surface).values(), *vars(geometry.lens).values()]
    return sum(array.nbytes for array in arrays if isinstance(array, np.ndarray))


def _make_geometry(settings: RenderSettings) -> TileGeometry:
    # Geometry and light have random streams of their own: one seed gives one layout whatever the mix.
    layout = granule_layout(settings, np.random.default_rng([settings.seed, 0]))
    surface = granule_surface(layout, settings.size)
    labels = surface.labels
    photo = settings.framing == "product_photo"
    background = cut_to_tile(layout, labels, settings) if photo else np.zeros(labels.shape, bool)
    if photo:
        labels[background] = NO_GRANULE
    areas = np.bincount(labels[settings.kept].ravel() + 1, minlength=layout.granule_count + 1)[1:]
    light = shade(surface, settings, np.random.default_rng([settings.seed, 2]))
    if photo:
        light += bevel_shade(settings)
    levels = shade_levels(light, labels != NO_GRANULE)
    lens = camera(labels.shape, ~background if photo else None, np.random.default_rng([settings.seed, 3]))
    for array in (labels, background, areas, levels, *vars(surface).values(), *vars(lens).values()):
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return TileGeometry(surface, labels, background, areas, levels, lens)


def render_layers(mix: ColorMix, settings: RenderSettings, palette: Palette | None = None) -> RenderedTile:
    """The render with its label and colour maps. See render_tile."""
    palette = load_palette() if palette is None else palette
    shares = mix.normalized
    colors = tuple(shares)
    fractions = np.array([shares[name] for name in colors]) / sum(shares.values())
    photo = settings.framing == "product_photo"

    # 1. Geometry and light: granules, their surface and shade levels (kept per settings).
    geometry = tile_geometry(settings)
    labels, background = geometry.labels, geometry.background

    # 2. Colours by visible area: shares are of what is seen (a wide or tall image keeps a part).
    color_rng = np.random.default_rng([settings.seed, 1])
    color_of_granule = assign_colors(geometry.areas, fractions, color_rng)

    # 3. Each colour's photo at each shade level.
    binder = binder_linear(fractions @ srgb_to_linear(palette.srgb_array(list(colors))), palette.gap_lightness)
    table = srgb_table(color_rows(colors, palette, color_rng), binder)
    binder_row = len(colors) * GRANULE_VARIANTS
    variants = color_rng.integers(0, GRANULE_VARIANTS, len(geometry.areas))
    first_of_label = (np.append(color_of_granule * GRANULE_VARIANTS + variants, binder_row) * SHADE_LEVELS).astype(
        np.int32
    )
    index = first_of_label[labels]
    if photo:
        index[background] = (binder_row + 1) * SHADE_LEVELS
    index += geometry.levels

    # 4. The camera.
    channels = (np.take(table[0], index), np.take(table[1], index), np.take(table[2], index))
    image = expose(channels, geometry.lens)
    return RenderedTile(
        image=image,
        labels=labels,
        background=background,
        granule_surface=geometry.surface,
        color_of_granule=color_of_granule,
        colors=colors,
    )


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

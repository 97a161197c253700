"""The preview of an EPDM rubber-crumb tile seen from above, from a colour mix, drawn from real granules.

No model, no GPU: a fast stand-in for the SDXL image that shows what a mix looks like. Stage 1
(composition.py) lays the face from the granule library, real granules cut from the owner's
photos, and is kept per settings as the layout (`TileGeometry`, which never depends on the mix):
which granule each pixel shows, each pixel's shade level relative to its granule's own colour,
on a granule's edge the granule across it and how much of the pixel is its own (alpha), per
granule its visible area, colour order and variant. Stage 2 (colorize.py) colours a layout
for a mix: each granule one mix colour so that the summed visible granule area of each colour
hits its share (by area, not by granule count; to within half a granule), spread at random, then
one table lookup per pixel (each colour's real photo at each level), and on an edge a second one
for the partner, blended by alpha; camera.py adds a product photo's light.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..colors.palette import Palette, load_palette
from ..mix import ColorMix
from .camera import Camera, camera, expose
from .coloring import GRANULE_VARIANTS
from .colorize import assign_colors, blend, lookup, mix_fractions, mix_table, table_index
from .composition import composed_face
from .granule_levels import SHADOW_LEVELS
from .granule_library import ALPHA_FULL, LIBRARY_DIR, edge_partners
from .settings import RenderSettings
from .tile_edge import bevel_light, off_the_tile

# Region numbers of RenderedTile.regions: background (product photo), binder (no granule), then one per granule.
REGION_BACKGROUND = 0
REGION_BINDER = 1
FIRST_GRANULE_REGION = 2
NO_GRANULE = -1  # granule label of binder and background pixels
# Surface classes of RenderedTile.surface.
SURFACE_TOP = 0  # lit granule faces (lit shade levels)
SURFACE_AWAY = 1  # granule faces in shadow (shadow levels)
SURFACE_BINDER = 2
SURFACE_BACKGROUND = 3


@dataclass(frozen=True)
class RenderedTile:
    """A render and the maps it was made from (for tests and evaluation)."""

    image: Image.Image
    labels: np.ndarray  # HxW int32: granule index, NO_GRANULE on binder and background
    background: np.ndarray  # HxW bool: off the tile (product photo), all False in a full frame
    levels: np.ndarray  # HxW uint8 shade level (granule_levels.py)
    color_of_granule: np.ndarray  # per granule: index into colors
    colors: tuple[str, ...]

    @property
    def regions(self) -> np.ndarray:
        """HxW int32: REGION_BACKGROUND, REGION_BINDER, or FIRST_GRANULE_REGION + granule index."""
        regions = np.where(self.labels == NO_GRANULE, REGION_BINDER, FIRST_GRANULE_REGION + self.labels)
        regions[self.background] = REGION_BACKGROUND
        return regions.astype(np.int32)

    @property
    def color_of_region(self) -> np.ndarray:
        """Per region number: index into colors, -1 for background and binder."""
        return np.concatenate([[-1, -1], self.color_of_granule]).astype(np.int16)

    @property
    def surface(self) -> np.ndarray:
        """HxW uint8 surface class (SURFACE_TOP, SURFACE_AWAY, SURFACE_BINDER, SURFACE_BACKGROUND)."""
        classes = np.where(self.levels < SHADOW_LEVELS, SURFACE_AWAY, SURFACE_TOP).astype(np.uint8)
        classes[self.labels == NO_GRANULE] = SURFACE_BINDER
        classes[self.background] = SURFACE_BACKGROUND
        return classes

    def color_map(self) -> np.ndarray:
        """HxW int16: index into colors for granule pixels, -1 elsewhere."""
        lookup = np.concatenate([self.color_of_granule, [-1]]).astype(np.int16)
        return lookup[self.labels]

    def area_shares(self) -> dict[str, float]:
        """Percent of the granule area (all granule pixels, shaded ones included) per colour."""
        counts = np.bincount(self.color_map().ravel() + 1, minlength=len(self.colors) + 1)[1:]
        return {name: 100.0 * int(c) / int(counts.sum()) for name, c in zip(self.colors, counts, strict=True)}


@dataclass(frozen=True)
class TileGeometry:
    """Everything a render needs that does not depend on the mix: one per RenderSettings (read-only arrays)."""

    labels: np.ndarray  # HxW int32 granule index, NO_GRANULE where none
    partners: np.ndarray  # HxW int32 granule index across the edge, NO_GRANULE inside a granule and off the tile
    alpha: np.ndarray  # HxW uint8 share of the pixel that is its own granule's (granule_library.ALPHA_FULL: all)
    background: np.ndarray
    areas: np.ndarray  # visible pixels per granule in the kept part of the image
    levels: np.ndarray  # HxW shade level of each pixel
    order: np.ndarray  # the granules in the order colours are given out (colorize.assign_colors)
    variants: np.ndarray  # per granule: which of its colour's GRANULE_VARIANTS rows it takes
    lens: Camera


# The configurator redraws one layout (the customer's seed) for every slider move: its geometry is kept,
# per process (the web app runs one per CPU): 96 MB holds about 9 layouts at 1024 px, 36 at 512.
GEOMETRY_CACHE_BYTES = 96 * 1024**2
_geometry_cache: OrderedDict[RenderSettings, TileGeometry] = OrderedDict()
_geometry_lock = threading.Lock()
# The granule library layouts are made from (another one only for the held-out realism test).
_library_folder = [LIBRARY_DIR]


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


def forget_kept_layouts() -> None:
    """Drop every kept layout (their memory is freed; the next render of each makes it again)."""
    with _geometry_lock:
        _geometry_cache.clear()


@contextmanager
def use_granule_library(folder: Path) -> Iterator[None]:
    """Within the block, layouts come from the granule library in folder (kept layouts forgotten on
    the way in and out). For measuring: the realism test's library without its held-out photos."""
    forget_kept_layouts()
    _library_folder[0] = folder
    try:
        yield
    finally:
        _library_folder[0] = LIBRARY_DIR
        forget_kept_layouts()


def _geometry_bytes(geometry: TileGeometry) -> int:
    arrays = [geometry.labels, geometry.partners, geometry.alpha, geometry.background, geometry.levels]
    arrays += [geometry.order, geometry.variants]
    arrays += [array for array in vars(geometry.lens).values() if isinstance(array, np.ndarray)]
    return sum(array.nbytes for array in arrays)


def _make_geometry(settings: RenderSettings) -> TileGeometry:
    # Layout, edge, camera and colour order have random streams of their own: one seed, one layout, whatever the mix.
    face = composed_face(_library_folder[0], settings, np.random.default_rng([settings.seed, 0]))
    labels, partners, alpha, count = face.labels, face.partners, face.alpha, face.count
    photo = settings.framing == "product_photo"
    background = np.zeros(labels.shape, bool)
    if photo:
        background = off_the_tile(labels, count, settings, np.random.default_rng([settings.seed, 2]))
        labels[background] = NO_GRANULE
        # Edges whose partner the tile's edge cut away are edges no more.
        found, alpha = edge_partners(labels + 1, partners + 1, alpha)
        partners = found - 1
        partners[background] = NO_GRANULE
        alpha[background] = ALPHA_FULL
    areas = np.bincount(labels[settings.kept].ravel() + 1, minlength=count + 1)[1:]
    on_face = ~background if photo else None
    lens = camera(face.softness, face.scale, on_face, bevel_light(settings) if photo else None, np.random.default_rng([settings.seed, 3]))
    coloring = np.random.default_rng([settings.seed, 1])
    order = coloring.permutation(count).astype(np.int32)
    variants = coloring.integers(0, GRANULE_VARIANTS, count).astype(np.int32)
    levels = face.levels
    for array in (labels, partners, alpha, background, areas, levels, order, variants, *vars(lens).values()):
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return TileGeometry(labels, partners, alpha, background, areas, levels, order, variants, lens)


def render_layers(mix: ColorMix, settings: RenderSettings, palette: Palette | None = None) -> RenderedTile:
    """The render with its label and colour maps. See render_tile."""
    palette = load_palette() if palette is None else palette
    colors = mix.colors

    # 1. Layout: granules, their shade levels and colour order (kept per settings).
    geometry = tile_geometry(settings)

    # 2. Colours by visible area: shares are of what is seen (a wide or tall image keeps a part).
    color_of_granule = assign_colors(geometry.areas, geometry.order, mix_fractions(mix))

    # 3. Each colour's photo at each shade level, one lookup per pixel, and a second one on an edge, blended.
    table = mix_table(mix, palette)
    index = table_index(
        geometry.labels, geometry.background, geometry.levels, geometry.variants, color_of_granule, len(colors)
    )
    partner_index = table_index(
        geometry.partners, geometry.background, geometry.levels, geometry.variants, color_of_granule, len(colors)
    )
    channels = blend(lookup(table, index), lookup(table, partner_index), geometry.alpha)

    # 4. The camera.
    image = expose(channels, geometry.lens)
    return RenderedTile(
        image=image,
        labels=geometry.labels,
        background=geometry.background,
        levels=geometry.levels,
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

    mix: the visible granule area of each colour matches its share to within half a granule.
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

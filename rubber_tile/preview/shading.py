"""How each pixel of a granule is lit, and what colour each colour takes under each kind of light.

Light comes from the upper left: each pixel gets a surface class from how its granule lies against
its neighbours (top, lit rim and band, dark rim and band, seam, cast shadow, gap). Each colour's
classes take their colour from that colour's appearance in its real photo
(rubber_tile/data/palette.json): the lightness quantiles of the photo, dark classes to light, in
proportion to their pixel counts. One table lookup per pixel then colours the image.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..colors.colorspace import lab_to_srgb, linear_to_srgb
from ..colors.palette import Palette, PaletteColor
from .geometry import GranuleLayout
from .settings import RenderSettings

# Product photo: layout this close to the tile's edge sit on the bevel (mm).
BEVEL_MM = 2.5
BOTTOM_LAYER_LIGHTNESS = -20.0
# Each granule face is tilted its own way: its lightness differs by this much (CIELAB L, sigma).
FACE_LIGHTNESS_SIGMA = 4.0
# Share of a colour's measured spread (which includes shading within a granule) that goes into
# colour differences between layout.
GRANULE_SPREAD_SHARE = 0.5
# Product photo bevel: lightness change (CIELAB L) at the left, top, right and bottom edge.
BEVEL_LIGHTNESS = (3.0, 3.0, -10.0, -10.0)
# A crevice shows between two layout only where the upper one was laid down more than this
# share of all layout later (so lies clearly higher); level neighbours meet without one.
GAP_DEPTH_SHARE = 0.3

# Surface classes: how a pixel of a granule is lit.
SURFACE_TOP = 0
SURFACE_LIT_RIM = 1
SURFACE_DARK_RIM = 2
SURFACE_SHADOW = 3
SURFACE_GAP = 4
SURFACE_SEAM = 5
SURFACE_LIT_BAND = 6  # just inside the lit rim
SURFACE_DARK_BAND = 7  # just inside the dark rim
SURFACE_CLASSES = 8
# Surface classes from darkest to lightest. Each colour's classes take their lightness from its
# appearance model (the lightness distribution of its real photo, data/palette.json) in this
# order and in proportion to their pixel counts, so a rendered colour spreads over light and
# shade as it does in the photo.
SURFACE_DARK_TO_LIGHT = (
    SURFACE_GAP,
    SURFACE_SHADOW,
    SURFACE_DARK_RIM,
    SURFACE_SEAM,
    SURFACE_DARK_BAND,
    SURFACE_TOP,
    SURFACE_LIT_BAND,
    SURFACE_LIT_RIM,
)
# Binder: the mix in deep shadow (linear-light factor) ...
BINDER_FACTOR = 0.08
# ... but no lighter than this share of the palette's gap lightness, so it reads as gap, not colour.
BINDER_GAP_SHARE = 0.6
LUMINANCE_WEIGHTS = np.array([0.2126729, 0.7151522, 0.0721750])  # linear sRGB -> Y
# Product photo: the white background, linear light, per surface class (a faint drop shadow
# where the tile's edge layout lie to the upper left).
PHOTO_BACKGROUND_SHADE = (1.0, 1.0, 1.0, 0.9, 0.75, 0.85, 1.0, 1.0)


def _neighbour_compare(depth: np.ndarray, dy: int, dx: int, reference: np.ndarray, higher: bool) -> np.ndarray:
    """HxW bool: depth[y + dy, x + dx] > reference[y, x] (higher) or < it; False off the image."""
    height, width = depth.shape
    result = np.zeros(depth.shape, dtype=bool)
    here = (slice(max(0, -dy), height - max(0, dy)), slice(max(0, -dx), width - max(0, dx)))
    there = (slice(max(0, dy), height + min(0, dy)), slice(max(0, dx), width + min(0, dx)))
    (np.greater if higher else np.less)(depth[there], reference[here], out=result[here])
    return result


def _highest_of_four(depth: np.ndarray, step: int) -> np.ndarray:
    """HxW: the highest depth among the pixels `step` away up, down, left and right (and itself)."""
    height, width = depth.shape
    highest = depth.copy()
    np.maximum(highest[step:], depth[: height - step], out=highest[step:])
    np.maximum(highest[: height - step], depth[step:], out=highest[: height - step])
    np.maximum(highest[:, step:], depth[:, : width - step], out=highest[:, step:])
    np.maximum(highest[:, : width - step], depth[:, step:], out=highest[:, : width - step])
    return highest


def surface_classes(depth: np.ndarray, rim_px: int, gap_depth: int) -> np.ndarray:
    """HxW uint8 surface class from where each granule lies against its neighbours.

    depth: HxW, higher lies on top (0: binder or background). Light comes from the upper left.
    A gap or cast shadow shows only where the granule on top lies more than gap_depth higher: layout
    that lie about level meet with a faint seam only. Later classes overrule earlier ones.
    """
    r = rim_px
    raised = depth + gap_depth
    highest_beside = _highest_of_four(depth, r)
    surface = np.zeros(depth.shape, dtype=np.uint8)
    for value, where in (
        (SURFACE_LIT_BAND, _neighbour_compare(depth, -2 * r, -2 * r, depth, higher=False)),
        (SURFACE_DARK_BAND, _neighbour_compare(depth, 2 * r, 2 * r, depth, higher=False)),
        (SURFACE_LIT_RIM, _neighbour_compare(depth, -r, -r, depth, higher=False)),
        (SURFACE_DARK_RIM, _neighbour_compare(depth, r, r, depth, higher=False)),
        (SURFACE_SEAM, highest_beside > depth),
        (SURFACE_SHADOW, _neighbour_compare(depth, -2 * r, -2 * r, raised, higher=True)),
        (SURFACE_GAP, highest_beside > raised),
    ):
        np.copyto(surface, value, where=where)
    return surface


def bevel_lightness(centres_mm: np.ndarray, tile_mm: float) -> np.ndarray:
    """Per-granule CIELAB L offset on the bevelled edge of a product photo: the upper-left sides
    face the light, the lower-right sides turn away from it."""
    offset = np.zeros(len(centres_mm))
    distances = (centres_mm[:, 0], centres_mm[:, 1], tile_mm - centres_mm[:, 0], tile_mm - centres_mm[:, 1])
    for distance, change in zip(distances, BEVEL_LIGHTNESS):
        offset += change * np.clip(1.0 - distance / BEVEL_MM, 0.0, 1.0)
    return offset


def pack_rgba(srgb: np.ndarray) -> np.ndarray:
    """sRGB 0-255 (..., 3) -> uint32 words that read as bytes R, G, B, 255 (little-endian)."""
    rgb = np.clip(np.rint(srgb), 0, 255).astype(np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16) | np.uint32(0xFF000000)


def binder_linear(mix_linear: np.ndarray, gap_lightness: float) -> np.ndarray:
    """Binder colour: the mix in deep shadow, kept darker than the palette's gap lightness."""
    binder = BINDER_FACTOR * mix_linear
    luminance = float(binder @ LUMINANCE_WEIGHTS)
    # CIELAB L below 8 is Y = L / 903.3 (the linear part of the L* curve).
    darkest_allowed = BINDER_GAP_SHARE * gap_lightness / 903.3
    if luminance > darkest_allowed:
        binder *= darkest_allowed / luminance
    return binder


def appearance_lab_at_quantiles(color: PaletteColor, probabilities: np.ndarray, gap_lightness: float) -> np.ndarray:
    """(n, 3) CIELAB a colour shows at these lightness quantiles of its real photo.

    L: the quantile of the lightness distribution of the colour's appearance model (all granule
    pixels of its photo, lit and shaded, not darker than gap_lightness, as the model was fitted);
    a, b: their expected value at that lightness, so shade keeps the chroma it has in the photo.
    """
    weights = np.array([g.weight for g in color.appearance])
    means = np.array([g.mean for g in color.appearance])
    covariances = np.array([g.covariance for g in color.appearance])
    sigmas = np.sqrt(covariances[:, 0, 0])
    grid = np.linspace(gap_lightness, 100.0, 2001)
    cdf = (weights[:, None] * special.ndtr((grid[None, :] - means[:, 0:1]) / sigmas[:, None])).sum(axis=0)
    lightness = np.interp(probabilities, (cdf - cdf[0]) / (cdf[-1] - cdf[0]), grid)
    z = (lightness[:, None] - means[None, :, 0]) / sigmas[None, :]
    density = weights[None, :] * np.exp(-0.5 * z**2) / sigmas[None, :]
    responsibility = density / np.maximum(density.sum(axis=1, keepdims=True), 1e-300)
    slope = covariances[:, 1:, 0] / covariances[:, 0:1, 0]  # (k, 2): d(a, b) / dL per component
    conditional = means[None, :, 1:] + slope[None] * (lightness[:, None, None] - means[None, :, 0:1])
    chroma = (responsibility[..., None] * conditional).sum(axis=1)
    return np.column_stack([lightness, chroma])


def surface_lab(colors: tuple[str, ...], palette: Palette, class_pixels: np.ndarray) -> np.ndarray:
    """(colours, SURFACE_CLASSES, 3) CIELAB of each colour under each surface class.

    The classes, darkest first, take the lightness quantiles of the colour's photo in proportion
    to how many granule pixels each class has in this render (class_pixels).
    """
    order = np.array(SURFACE_DARK_TO_LIGHT)
    counts = class_pixels[order].astype(np.float64) + 1.0
    middle = (np.cumsum(counts) - 0.5 * counts) / counts.sum()
    lab = np.zeros((len(colors), SURFACE_CLASSES, 3))
    for index, name in enumerate(colors):
        lab[index, order] = appearance_lab_at_quantiles(palette[name], middle, palette.gap_lightness)
    return lab


def face_lab_offsets(
    settings: RenderSettings,
    layout: GranuleLayout,
    colors: tuple[str, ...],
    color_of_granule: np.ndarray,
    palette: Palette,
    rng: np.random.Generator,
) -> np.ndarray:
    """(2 * layout, 3) CIELAB offset of each granule face from its colour, in region order.

    GranuleLayout of one colour differ a little in colour (a share of the colour's measured spread) and
    each face in lightness (it is tilted its own way); the bottom layer lies in shadow.
    """
    spreads = GRANULE_SPREAD_SHARE * np.array([palette[name].lab_spread for name in colors])
    granule_offsets = rng.standard_normal((len(color_of_granule), 3)) * spreads[color_of_granule]
    if settings.framing == "product_photo":
        granule_offsets[:, 0] += bevel_lightness(layout.centres_mm, settings.tile_mm)
    granule_offsets[: layout.bottom_count, 0] += BOTTOM_LAYER_LIGHTNESS
    face_offsets = np.repeat(granule_offsets, 2, axis=0)
    face_offsets[:, 0] += FACE_LIGHTNESS_SIGMA * rng.standard_normal(len(face_offsets))
    return face_offsets


def color_table(settings: RenderSettings, face_lab: np.ndarray, binder_linear: np.ndarray) -> np.ndarray:
    """uint32 RGBA word for every (region, surface class), indexed region * SURFACE_CLASSES + class.

    face_lab: (regions - FIRST_GRANULE_REGION, SURFACE_CLASSES, 3) CIELAB of each granule face's classes.
    """
    binder = np.repeat(binder_linear[None, :], SURFACE_CLASSES, axis=0)
    if settings.framing == "product_photo":
        background = np.array(PHOTO_BACKGROUND_SHADE)[:, None] * np.ones(3)
    else:
        background = binder
    fixed = linear_to_srgb(np.clip(np.stack([background, binder]), 0.0, 1.0))
    table = np.concatenate([pack_rgba(fixed), pack_rgba(lab_to_srgb(face_lab))], axis=0)
    return table.reshape(-1)

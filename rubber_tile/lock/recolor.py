"""Redrawing granules in a new colour, in CIELAB, keeping their shading; and the halos around them.

Each pixel's lightness relative to its colour's typical lit lightness is carried over (shade
scales L + 16, highlights add and are compressed below L = 100), so shading, edges and highlights
survive; chroma is the target's, fading with shade and highlights as on a matte surface. The old
colour's tint that bled into neighbouring granules' rims (JPEG chroma, VAE decoding) is replaced
by the new colour's.
"""

from __future__ import annotations

import numpy as np

from ..colors.colorspace import lab_to_srgb_fast, srgb_to_lab_fast
from .appearance import Appearance
from .granules import Granules

# Colour bleeds this far (px) into the next granule (JPEG chroma, VAE decoding): the rim of a
# granule next to a recoloured one loses the old colour's tint there.
HALO_WIDTH_PX = 2
# A recoloured pixel keeps its own chroma detail (its a, b minus its granule's) up to this length.
_MAX_CHROMA_DETAIL = 6.0
# Two colours closer than this (CIELAB a, b) give no reliable direction to measure a tint along.
_MIN_TINT_CONTRAST_AB = 15.0


def chroma_detail_weight(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How much of a pixel's own chroma detail (its a, b minus its granule's) a recoloured pixel keeps.

    All of it where the target colour has at least the source's chroma; less towards a neutral
    target, so a red granule turned white keeps no red speckle.
    """
    source_chroma = np.hypot(source[..., 1], source[..., 2])
    target_chroma = np.hypot(target[..., 1], target[..., 2])
    return np.clip(target_chroma / np.maximum(source_chroma, 1.0), 0.0, 1.0)


def recolor_pixels(
    lab: np.ndarray, source: np.ndarray, target: np.ndarray, granule_ab: np.ndarray, detail: np.ndarray
) -> np.ndarray:
    """New CIELAB for pixels of granules moving from the `source` colour to the `target` colour.

    lab: (N, 3) the pixels; source, target: (N, 3) how the two colours look (typical lit colour);
    granule_ab: (N, 2) mean a, b of each pixel's granule; detail: (N,) chroma_detail_weight.
    Below the source's typical lightness the pixel is in shade: L + 16 scales by the target's
    over the source's (a shade factor on light is a factor on L + 16 in CIELAB). Above it, a
    highlight: the same L is added, compressed softly into the room left below L = 100. Chroma
    is the target's, scaled down in shade (in proportion, as on a matte surface) and towards
    white in highlights, plus the pixel's own chroma detail.
    """
    lightness, source_l, target_l = lab[:, 0], source[:, 0], target[:, 0]
    shaded = (target_l + 16.0) * (lightness + 16.0) / (source_l + 16.0) - 16.0
    new_l = np.maximum(np.where(lightness < source_l, shaded, target_l + (lightness - source_l)), 0.0)
    # Compress highlights into the headroom left above the target instead of clipping them flat.
    knee = target_l + 0.5 * (100.0 - target_l)
    headroom = np.maximum(100.0 - knee, 1e-3)
    compressed = knee + headroom * (1.0 - np.exp(-(new_l - knee) / headroom))
    new_l = np.where(new_l > knee, compressed, new_l)
    chroma_scale = np.where(
        new_l < target_l, (new_l + 16.0) / (target_l + 16.0), (100.0 - new_l) / np.maximum(100.0 - target_l, 1e-3)
    )
    np.clip(chroma_scale, 0.0, 1.0, out=chroma_scale)
    detail_a = lab[:, 1] - granule_ab[:, 0]
    detail_b = lab[:, 2] - granule_ab[:, 1]
    # A granule cut across two colours has pixels far from its mean: their offset is another
    # colour, not detail, and would tint the new colour (cyan on white), so it is capped.
    cap = _MAX_CHROMA_DETAIL / np.maximum(np.hypot(detail_a, detail_b), _MAX_CHROMA_DETAIL)
    new_a = target[:, 1] * chroma_scale + detail * cap * detail_a
    new_b = target[:, 2] * chroma_scale + detail * cap * detail_b
    return np.stack([new_l, new_a, new_b], axis=1)


def redraw_granules(
    original: np.ndarray,
    out: np.ndarray,
    granules: Granules,
    changed: np.ndarray,
    color: np.ndarray,
    looks: Appearance,
) -> None:
    """Redraw the `changed` granules into `out` from the original pixels, in their colour `color`."""
    redraw = np.zeros(granules.count + 1, dtype=bool)
    redraw[changed] = True
    flat_ids = granules.ids.ravel()
    index = np.flatnonzero(redraw[flat_ids])
    ids = flat_ids[index]
    flat_original = original.reshape(-1, 3)
    flat_out = out.reshape(-1, 3)
    redrawn = redrawn_granules(granules, color, looks)[ids]
    restored = index[~redrawn]
    flat_out[restored] = np.take(flat_original, restored, axis=0)
    moving, moving_ids = index[redrawn], ids[redrawn]
    if moving.size == 0:
        return
    # Tables per granule, then one np.take per pixel (fancy indexing of rows is several times slower).
    granule_source = looks.source[granules.color].astype(np.float32)
    granule_target = looks.target[np.maximum(color, 0)].astype(np.float32)
    granule_ab = granules.mean_lab[:, 1:].astype(np.float32)
    granule_detail = chroma_detail_weight(granule_source, granule_target)
    new_lab = recolor_pixels(
        srgb_to_lab_fast(np.take(flat_original, moving, axis=0)),
        np.take(granule_source, moving_ids, axis=0),
        np.take(granule_target, moving_ids, axis=0),
        np.take(granule_ab, moving_ids, axis=0),
        np.take(granule_detail, moving_ids),
    )
    flat_out[moving] = lab_to_srgb_fast(new_lab)


def redrawn_granules(granules: Granules, color: np.ndarray, looks: Appearance) -> np.ndarray:
    """(count + 1,) bool: granules drawn in a new colour (moved, or of a corrected colour)."""
    redrawn = (color != granules.color) | looks.corrected[np.maximum(granules.color, 0)]
    redrawn[0] = False
    return redrawn


def _spread_max(values: np.ndarray, steps: int) -> np.ndarray:
    """Largest value within `steps` 4-neighbour steps (a diamond); several times faster than maximum_filter."""
    spread = values.copy()
    for _ in range(steps):
        grown = spread.copy()
        np.maximum(grown[1:], spread[:-1], out=grown[1:])
        np.maximum(grown[:-1], spread[1:], out=grown[:-1])
        np.maximum(grown[:, 1:], spread[:, :-1], out=grown[:, 1:])
        np.maximum(grown[:, :-1], spread[:, 1:], out=grown[:, :-1])
        spread = grown
    return spread


def remove_halos(
    original: np.ndarray, out: np.ndarray, granules: Granules, color: np.ndarray, looks: Appearance, width: int
) -> np.ndarray:
    """Take the old colour's tint off the rims of granules next to redrawn ones; the flat indices changed.

    A rim pixel p of a granule with mean colour O next to a redrawn granule that was S and is
    now T holds a share w of S (w from projecting p - O on S - O in a, b); that share becomes T.
    """
    redrawn = redrawn_granules(granules, color, looks)
    redrawn_pixel = redrawn[granules.ids]
    nearby = _spread_max(granules.ids * redrawn_pixel, width)
    index = np.flatnonzero((nearby > 0) & (granules.ids > 0) & ~redrawn_pixel)
    if index.size == 0:
        return index
    own = np.take(granules.ids.ravel(), index)
    neighbour = np.take(nearby.ravel(), index)
    lab = srgb_to_lab_fast(np.take(original.reshape(-1, 3), index, axis=0))
    own_ab = np.take(granules.mean_lab[:, 1:].astype(np.float32), own, axis=0)
    was = np.take(looks.source[granules.color, 1:].astype(np.float32), neighbour, axis=0)
    now = np.take(looks.target[np.maximum(color, 0), 1:].astype(np.float32), neighbour, axis=0)
    direction = was - own_ab
    offset = lab[:, 1:] - own_ab
    contrast = (direction * direction).sum(axis=1)
    share = (offset * direction).sum(axis=1) / np.maximum(contrast, 1e-6)
    across = (offset * offset).sum(axis=1) - share * share * contrast
    # Only pixels that lie between the two colours are a blend of them; anything else (a
    # highlight, a third colour) is left alone.
    blend = (contrast >= _MIN_TINT_CONTRAST_AB**2) & (share > 0.0) & (share <= 1.25) & (across <= 0.25 * contrast)
    lab[:, 1:] += np.where(blend, np.minimum(share, 1.0), 0.0)[:, None] * (now - was)
    out.reshape(-1, 3)[index] = lab_to_srgb_fast(lab)
    return index

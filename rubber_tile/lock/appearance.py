"""How colours look in one image, and which granules show a colour that was not asked for.

The lock redraws granules in a colour as that colour looks in this image where it is present
(exposure, white balance and the model's rendering differ from the palette photos), else in its
palette colour; colours the model drew as another palette colour are redrawn as themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..colors.colorspace import srgb_to_lab_fast
from ..colors.distance import delta_e, shading_distance
from ..colors.palette import Palette

# A granule belongs to an unasked colour when its mean colour is farther than this (CIELAB)
# from every asked colour, lit or shaded...
_UNASKED_MIN_DISTANCE = 15.0
# ...and at most this fraction of that distance from an unasked palette colour.
_UNASKED_DISTANCE_RATIO = 0.5
# A colour the analyzer finds present but was not asked for is classified as itself (not forced into an
# asked one) when its palette colour is this far (CIELAB, lit or shaded) from every asked colour: black in
# a red / white ask. Nearer ones (terracotta next to red, pink next to red) are the asked colour drawn
# lighter or darker, and stay with it.
_INVENTED_MIN_DISTANCE = 25.0
# ...and covers at least this share of the granule area (percent): below it, highlights and rims of
# the asked colours (white glints on red and blue) would be counted as a colour that is not there.
_INVENTED_MIN_SHARE = 5.0
# A colour covering at least this share of the granule area has a reliable in-image appearance.
_PRESENT_SHARE = 0.03
# A present colour is redrawn in its palette colour when it looks nearer to another palette
# colour and at least this far (CIELAB) from its own: close neighbours (white and pearl, 10
# apart) swap places under a small change of exposure, which is no reason to redraw a tile.
_MIN_CORRECTION_DISTANCE = 12.0


@dataclass(frozen=True)
class Appearance:
    """How each palette colour is drawn: (palette size, 3) CIELAB tables and flags.

    source: how the colour looks in this image (its granules' lit pixels), or its palette colour
    where it is absent. target: what granules recoloured to it are given: its look here when it
    is present and looks like itself, else its palette colour. corrected: present colours that
    look like another palette colour here and are far from their own (the model drew a
    different colour under this name); their granules are redrawn in the target colour even
    where they keep their colour.
    """

    source: np.ndarray
    target: np.ndarray
    corrected: np.ndarray


def appearance(references: dict[int, np.ndarray], area: np.ndarray, palette_lab: np.ndarray) -> Appearance:
    source = palette_lab.astype(np.float64).copy()
    target = palette_lab.astype(np.float64).copy()
    corrected = np.zeros(len(palette_lab), dtype=bool)
    total = area.sum()
    for color, reference in references.items():
        source[color] = reference
        if area[color] < _PRESENT_SHARE * total:
            continue
        distance = delta_e(palette_lab, reference)
        if int(np.argmin(distance)) != color and distance[color] > _MIN_CORRECTION_DISTANCE:
            corrected[color] = True
        else:
            target[color] = reference
    return Appearance(source=source, target=target, corrected=corrected)


def color_references(rgb: np.ndarray, ids: np.ndarray, granule_color: np.ndarray, palette_size: int) -> dict[int, np.ndarray]:
    """Palette index -> how that colour looks in this image: per-channel median Lab of its lit pixels.

    Lit = lightness percentiles 25-95 of the colour's pixels, as the palette's typical colours
    were measured.
    """
    step = max(1, min(rgb.shape[:2]) // 256)
    colors = granule_color[ids[::step, ::step]]
    lab = srgb_to_lab_fast(rgb[::step, ::step])
    references: dict[int, np.ndarray] = {}
    for color in range(palette_size):
        pixels = lab[colors == color]
        if len(pixels) < 16:
            continue
        low, high = np.percentile(pixels[:, 0], [25.0, 95.0])
        lit = pixels[(pixels[:, 0] >= low) & (pixels[:, 0] <= high)]
        references[color] = np.median(lit if len(lit) else pixels, axis=0).astype(np.float64)
    return references


def unasked_granule_colors(
    mean_lab: np.ndarray, asked_index: np.ndarray, asked_lab: np.ndarray, palette_lab: np.ndarray
) -> np.ndarray:
    """Per granule: the palette index of the unasked colour it shows, or -1 where it shows an asked one.

    asked_lab: how the asked colours look in this image; palette_lab: all palette colours.
    A granule shows an unasked colour when, lit or shaded, it is far from every asked colour
    and much nearer to that one.
    """
    others = np.setdiff1d(np.arange(len(palette_lab)), asked_index)
    if others.size == 0:
        return np.full(len(mean_lab), -1)
    to_asked = shading_distance(mean_lab, asked_lab).min(axis=1)
    to_others = shading_distance(mean_lab, palette_lab[others])
    nearest_other = to_others.argmin(axis=1)
    unasked = (to_asked > _UNASKED_MIN_DISTANCE) & (
        to_others[np.arange(len(mean_lab)), nearest_other] <= _UNASKED_DISTANCE_RATIO * to_asked
    )
    return np.where(unasked, others[nearest_other], -1)


def invented_colors(present: Mapping[str, float], asked: tuple[str, ...], palette: Palette) -> tuple[str, ...]:
    """Colours found present (open mode) that the model drew instead of asked ones: see _INVENTED_MIN_*."""
    candidates = [name for name, share in present.items() if name not in asked and share >= _INVENTED_MIN_SHARE]
    if not candidates:
        return ()
    palette_lab = palette.lab_array()
    asked_lab = palette_lab[[palette.names.index(name) for name in asked]]
    candidate_lab = palette_lab[[palette.names.index(name) for name in candidates]]
    far = shading_distance(candidate_lab, asked_lab).min(axis=1) > _INVENTED_MIN_DISTANCE
    return tuple(name for name, keep in zip(candidates, far, strict=True) if keep)

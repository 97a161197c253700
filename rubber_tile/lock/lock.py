"""Colour lock: recolour whole granules of a tile image so its colour shares match the mix.

`lock_colors(image, mix)` classifies the pixels with the colour analyzer, splits the granule area
into granules (granules.py), and recolours whole granules (recolor.py) from over-represented
colours to under-represented ones (selection.py) until the analyzer measures the asked shares
(up to three rounds, each checked by the analyzer). Granules of colours that were not asked for
(the model sometimes invents a hue) all go to asked colours; an asked colour the model drew as
another palette colour (a mauve "brown") is redrawn as itself (appearance.py).

Errors: NoGranulesError when the image has no granules to recolour. A mix the lock cannot reach
within MATCH_TOLERANCE_PP comes back as the closest result with `matched` False and an `explanation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..analyzer import ColorShares, classify_pixels, measure_shares
from ..colors.palette import Palette, load_palette
from ..images import as_rgb_array
from ..mix import ColorMix
from .appearance import Appearance, appearance, color_references, invented_colors, unasked_granule_colors
from .errors import NoGranulesError
from .granules import WORK_SIDE, Granules, find_granules
from .recolor import HALO_WIDTH_PX, redraw_granules, redrawn_granules, remove_halos
from .selection import granule_cells, reassign

# The lock has done its job when every colour is this close to the mix (percentage points of
# the granule area, as the analyzer measures it).
MATCH_TOLERANCE_PP = 2.0
# Correction rounds stop once every colour is this close; each round re-measures with the analyzer.
_ROUND_TOLERANCE_PP = 1.0
_MAX_ROUNDS = 3
_PRESENCE_SIDE = 256  # px; enough to find a colour that covers 5% of the tile


@dataclass(frozen=True)
class ColorMove:
    """Granules recoloured from one colour to another."""

    source: str  # palette colour the granules had (asked or not)
    target: str
    granules: int
    percent: float  # of the granule area


@dataclass(frozen=True)
class LockResult:
    """What the lock did.

    image: the recoloured image (RGB).
    asked: colour -> percent asked, normalised to sum to 100.
    shares_before / shares_after: the analyzer's shares of the asked colours, before and after.
    unasked_before: colours found that were not asked for -> percent of the granule area they
    covered (all of it is recoloured to asked colours).
    corrected: asked colours the model drew as another palette colour; all their granules were
    redrawn in the colour's palette appearance.
    moves: granules recoloured, by source and target colour.
    granule_count: granules found in the image.
    rounds: recolouring rounds run (each checked by the analyzer).
    explanation: empty when every colour is within MATCH_TOLERANCE_PP; otherwise why not.
    """

    image: Image.Image
    asked: dict[str, float]
    shares_before: dict[str, float]
    shares_after: dict[str, float]
    unasked_before: dict[str, float]
    corrected: tuple[str, ...]
    moves: tuple[ColorMove, ...]
    granule_count: int
    rounds: int
    explanation: str

    @property
    def errors_after(self) -> dict[str, float]:
        """Measured minus asked, percentage points."""
        return {name: self.shares_after[name] - percent for name, percent in self.asked.items()}

    @property
    def matched(self) -> bool:
        return all(abs(error) <= MATCH_TOLERANCE_PP for error in self.errors_after.values())


def area_by_color(granules: Granules, color: np.ndarray, palette_size: int) -> np.ndarray:
    return np.bincount(color[1:], weights=granules.area[1:], minlength=palette_size)


def _moves(granules: Granules, color: np.ndarray, names: tuple[str, ...]) -> tuple[ColorMove, ...]:
    total = granules.area.sum()
    moved = np.flatnonzero(color != granules.color)
    pairs: dict[tuple[int, int], list[int]] = {}
    for granule in moved:
        pairs.setdefault((int(granules.color[granule]), int(color[granule])), []).append(int(granule))
    return tuple(
        ColorMove(names[s], names[t], len(members), float(100.0 * granules.area[members].sum() / total))
        for (s, t), members in sorted(pairs.items(), key=lambda item: -granules.area[item[1]].sum())
    )


def _explain(asked: dict[str, float], after: dict[str, float], granules: Granules) -> str:
    off = {name: after[name] - percent for name, percent in asked.items() if abs(after[name] - percent) > MATCH_TOLERANCE_PP}
    if not off:
        return ""
    largest = 100.0 * granules.area.max() / granules.area.sum()
    detail = ", ".join(f"{name} {error:+.1f} pp" for name, error in off.items())
    return (
        f"could not reach the mix within {MATCH_TOLERANCE_PP:g} pp: {detail} after {_MAX_ROUNDS} rounds "
        f"over {granules.count} granules (the largest is {largest:.1f}% of the granule area). "
        "Whole granules are recoloured, so an image with few or very uneven granules cannot hit every share"
    )


@dataclass(frozen=True)
class _Scene:
    """An image read for the lock: its granules (unasked colours marked) and how colours look in it."""

    rgb: np.ndarray
    names: tuple[str, ...]
    asked_index: np.ndarray  # palette index of each asked colour
    granules: Granules
    looks: Appearance
    before: ColorShares


def _read_scene(rgb: np.ndarray, names: tuple[str, ...], palette: Palette) -> _Scene:
    step = max(1, min(rgb.shape[:2]) // _PRESENCE_SIDE)
    try:
        # Pixels are classified with the colours present as well as the asked ones: fitted to the asked
        # colours alone, a colour the model invented is read as one of them (black granules as shaded white).
        present = measure_shares(rgb[::step, ::step], palette=palette).shares
        invented = invented_colors(present, names, palette)
        pixel_labels, before = classify_pixels(rgb, [*names, *invented], palette=palette)
    except ValueError as error:
        raise NoGranulesError(f"no granules to recolour: {error}") from error
    palette_lab = palette.lab_array()
    asked_index = np.array([palette.names.index(name) for name in names])
    class_index = np.array([palette.names.index(name) for name in pixel_labels.colors])
    classes = np.where(pixel_labels.labels >= 0, class_index[np.maximum(pixel_labels.labels, 0)], -1)
    granules = find_granules(rgb, classes)
    # Unasked colours, judged against the asked colours as the analyzer fitted them here.
    fitted = np.array([palette_lab[i] + np.array(before.shifts[name]) for i, name in zip(asked_index, names, strict=True)])
    unasked = unasked_granule_colors(granules.mean_lab, asked_index, fitted, palette_lab)
    unasked[0] = -1
    color = np.where(unasked >= 0, unasked, granules.color)
    granules = Granules(granules.ids, color, granules.area, granules.centroid, granules.mean_lab, granules.natural_count)
    references = color_references(rgb, granules.ids, color, len(palette_lab))
    looks = appearance(references, area_by_color(granules, color, len(palette_lab)), palette_lab)
    return _Scene(rgb, names, asked_index, granules, looks, before)


def lock_colors(image: object, mix: ColorMix, *, palette: Palette | None = None) -> LockResult:
    """Recolour whole granules of `image` so the analyzer measures the shares in `mix`.

    image: PIL image or HxWx3 uint8 array. Raises NoGranulesError when the image has no granules
    to recolour. A mix the granules cannot reach returns the closest result, with `matched` False
    and `explanation` saying why.
    """
    asked = dict(mix.normalized)
    palette = load_palette() if palette is None else palette
    rgb = as_rgb_array(image)
    scene = _read_scene(rgb, tuple(asked), palette)
    granules, palette_size = scene.granules, len(palette.names)
    area = area_by_color(granules, granules.color, palette_size)
    total = area.sum()
    want = {int(i): asked[name] / 100.0 for i, name in zip(scene.asked_index, scene.names, strict=True)}
    cells = granule_cells(granules, rgb.shape[:2])
    # Checking every other pixel of a large image measures the same shares in a quarter of the time.
    step = max(1, min(rgb.shape[:2]) // WORK_SIDE)

    color = granules.color.copy()
    out = rgb.copy()
    halo = np.zeros(0, dtype=np.int64)
    pending = np.flatnonzero(redrawn_granules(granules, color, scene.looks))  # granules of corrected colours
    change = {c: want.get(c, 0.0) * total - area[c] for c in range(palette_size) if area[c] > 0 or c in want}
    shares_after = dict(scene.before.shares)
    rounds = 0
    for round_number in range(1, _MAX_ROUNDS + 1):
        new_color = reassign(color, granules, cells, change, want)
        changed = np.union1d(np.flatnonzero(new_color != color), pending)
        pending = pending[:0]
        if changed.size == 0:
            break
        rounds = round_number
        color = new_color
        out.reshape(-1, 3)[halo] = np.take(rgb.reshape(-1, 3), halo, axis=0)
        redraw_granules(rgb, out, granules, changed, color, scene.looks)
        halo = remove_halos(rgb, out, granules, color, scene.looks, HALO_WIDTH_PX)
        shares_after = measure_shares(out[::step, ::step], list(scene.names), palette=palette).shares
        errors = {name: shares_after[name] - asked[name] for name in scene.names}
        if max(abs(e) for e in errors.values()) <= _ROUND_TOLERANCE_PP:
            break
        change = {int(i): -errors[name] / 100.0 * total for i, name in zip(scene.asked_index, scene.names, strict=True)}

    return LockResult(
        image=Image.fromarray(out),
        asked=asked,
        shares_before=dict(scene.before.shares),
        shares_after=dict(shares_after),
        unasked_before={
            palette.names[c]: float(100.0 * area[c] / total)
            for c in np.argsort(-area, kind="stable")
            if area[c] > 0 and c not in scene.asked_index
        },
        corrected=tuple(palette.names[c] for c in np.flatnonzero(scene.looks.corrected)),
        moves=_moves(granules, color, palette.names),
        granule_count=granules.count,
        rounds=rounds,
        explanation=_explain(asked, shares_after, granules),
    )

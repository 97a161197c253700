"""The granule library: the owner's photos cut into granules, for the preview to compose tiles from.

Each photo's face (a central SHEET_PX square, away from the bevel) is segmented into granules:
watershed (scikit-image) on CIELAB lightness minus a little colour gradient, one marker per
h-maximum, so granules part along the dark gaps between them; in a photo of a mix the regions
are split again where the nearest mix colour changes, and fragments too small or too thin to be
a granule are given to the region nearest them; regions far larger than a granule are split at
lesser lightness maxima (granules of one colour touching without a dark gap). Each pixel keeps
its granule number (ids) and its shade level relative to its granule's own colour
(rubber_tile.preview.granule_levels): the texture kept apart from the colour, so any colour can be
drawn with it. A pixel on a granule's edge keeps its partner across the edge and how much of it
is its own granule's (alpha): where the photo shows two colours meeting, measured from the
pixel's own CIELAB between the two granules' colours, and its level then blends its level
against both colours; elsewhere the library's default edge (granule_library.SIDE_ALPHA).

The library ships in rubber_tile/data/ as three PNGs (ids 16-bit; levels, and edges 8-bit: where
the partner lies and alpha in 16 steps; the sheets stacked top to bottom) and a JSON index. `held_out_photos` is the fixed quarter left out for the honest
realism test (a library built without them, exactly as the shipped one is built).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image
from scipy import ndimage

from rubber_tile.analyzer import find_tile_face
from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.palette import Palette
from rubber_tile.images import label_edges
from rubber_tile.mix import ColorMix
from rubber_tile.preview.granule_levels import MIN_SHADOW_FLOOR, floor_lightness, pixel_levels
from rubber_tile.preview.granule_library import (
    ALPHA_FULL,
    EDGES_NAME,
    IDS_NAME,
    INDEX_NAME,
    LEVELS_NAME,
    LIBRARY_VERSION,
    NEIGHBOURS,
    edge_partners,
    neighbour,
    packed_edges,
)

SHEET_PX = 320
FACE_MARGIN_PX = 6
# Watershed: markers are h-maxima of this height over the smoothed lightness; colour edges lower
# the lightness by this weight times the CIELAB gradient.
MARKER_HEIGHT = 4.0
COLOR_EDGE_WEIGHT = 0.5
SMOOTHING_PX = 0.7
# Regions larger than this (px) are split again at lesser lightness maxima (SPLIT_MARKER_HEIGHT):
# where granules of one colour touch without a dark gap, the first watershed keeps them together.
SPLIT_ABOVE_PX = 80
SPLIT_MARKER_HEIGHT = 1.0
# Regions smaller than this (px) or with no pixel this far from their edge are not granules. Small:
# the bits of granules showing between others are part of how a mix looks (the photos' minority
# colour shows as many pieces of 10-40 px).
MIN_GRANULE_PX = 6
MIN_THICKNESS_PX = 1.0
HELD_OUT_SEED = 19
EDGE_CHROMA_WEIGHT = 0.5
EDGE_STEEPENING = 2.0


class PhotoCase(Protocol):
    """An owner photo and the mix it shows (evaluation.realism.PhotoCase)."""

    @property
    def path(self) -> Path: ...

    @property
    def mix(self) -> ColorMix: ...


@dataclass(frozen=True)
class Sheet:
    """One photo's cut: granule number per pixel (0: none) and shade level per pixel."""

    photo: str
    ids: np.ndarray  # SHEET_PX x SHEET_PX uint16
    levels: np.ndarray  # SHEET_PX x SHEET_PX uint8
    partners: np.ndarray  # SHEET_PX x SHEET_PX uint16, 0 inside a granule
    alpha: np.ndarray  # SHEET_PX x SHEET_PX uint8, ALPHA_FULL inside a granule


def held_out_photos(cases: Sequence[PhotoCase], seed: int = HELD_OUT_SEED) -> list[str]:
    """The quarter of the photos left out of the test library: in each stratum (the single colours;
    each set of colours the mixes use) round(n / 4) photos by a seeded draw over the sorted names."""
    strata: dict[str, list[str]] = {}
    for case in cases:
        names = sorted(case.mix)
        strata.setdefault("single" if len(names) == 1 else ",".join(names), []).append(case.path.name)
    rng = np.random.default_rng(seed)
    held = []
    for key in sorted(strata):
        group = sorted(strata[key])
        chosen = rng.permutation(len(group))[: int(round(len(group) / 4))]
        held += [group[i] for i in sorted(chosen)]
    return held


def segment_granules(lab: np.ndarray) -> np.ndarray:
    """HxW int32 watershed regions (1..n) of a square of tile face in CIELAB."""
    from skimage.morphology import h_maxima
    from skimage.segmentation import watershed

    smooth = np.stack([ndimage.gaussian_filter(lab[..., k], SMOOTHING_PX) for k in range(3)], axis=-1)
    gradient = np.zeros(lab.shape[:2])
    for k in range(3):
        gradient += ndimage.sobel(smooth[..., k], 0) ** 2 + ndimage.sobel(smooth[..., k], 1) ** 2
    height = smooth[..., 0] - COLOR_EDGE_WEIGHT * np.sqrt(gradient) / 8.0
    markers, _ = ndimage.label(h_maxima(height, MARKER_HEIGHT))
    return watershed(-height, markers).astype(np.int32)


def split_merged(regions: np.ndarray, lab: np.ndarray, above: float = SPLIT_ABOVE_PX, height: float = SPLIT_MARKER_HEIGHT) -> np.ndarray:
    """Regions over `above` px split again by a watershed from the lesser lightness maxima inside them; renumbered 1..n."""
    from skimage.morphology import h_maxima
    from skimage.segmentation import watershed

    area = np.bincount(regions.ravel())
    large = area[regions] > above
    lightness = ndimage.gaussian_filter(lab[..., 0], SMOOTHING_PX)
    markers, _ = ndimage.label(h_maxima(lightness, height).astype(bool) & large)
    parts = watershed(-lightness, markers, mask=large)
    key = regions.astype(np.int64) * (int(parts.max()) + 1) + np.where(large, parts, 0)
    _, numbered = np.unique(key, return_inverse=True)
    return numbered.reshape(regions.shape).astype(np.int32) + 1


def nearest_mix_color(lab: np.ndarray, mix: ColorMix, palette: Palette) -> np.ndarray:
    """HxW index into the mix's colours of the nearest palette colour (smoothed CIELAB)."""
    if len(mix) == 1:
        return np.zeros(lab.shape[:2], dtype=np.int32)
    smooth = np.stack([ndimage.gaussian_filter(lab[..., k], SMOOTHING_PX) for k in range(3)], axis=-1)
    reference = palette.lab_array(list(mix))
    return np.argmin(((smooth[..., None, :] - reference) ** 2).sum(axis=-1), axis=-1).astype(np.int32)


def split_by_color(regions: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Connected parts of each region that show one colour, numbered 1..n in raster order."""
    from skimage.measure import label

    return label(regions.astype(np.int64) * 64 + colors, connectivity=1, background=-1).astype(np.int32)


def absorb_fragments(regions: np.ndarray) -> np.ndarray:
    """Regions under MIN_GRANULE_PX or thinner than MIN_THICKNESS_PX given to the nearest other region; renumbered 1..n."""
    edge = label_edges(regions)
    count = int(regions.max()) + 1
    area = np.bincount(regions.ravel(), minlength=count)
    depth = ndimage.maximum(ndimage.distance_transform_edt(~edge), regions, index=np.arange(count))
    fragment = ((area < MIN_GRANULE_PX) | (np.asarray(depth) < MIN_THICKNESS_PX))[regions]
    if fragment.any() and not fragment.all():
        _, (rows, columns) = ndimage.distance_transform_edt(fragment, return_indices=True)
        regions = regions[rows, columns]
    _, numbered = np.unique(regions, return_inverse=True)
    return numbered.reshape(regions.shape).astype(np.int32) + 1


def granule_colors(granules: np.ndarray, colors: np.ndarray, count: int) -> np.ndarray:
    """Per granule number (0..count-1): the mix colour most of its pixels show."""
    votes = np.zeros((count, int(colors.max()) + 1))
    np.add.at(votes, (granules.ravel(), colors.ravel()), 1)
    return votes.argmax(axis=1)


def edge_blend(lab: np.ndarray, granules: np.ndarray, color_of_granule: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(partners, alpha): across a colour boundary the pixel's own blend, t of the way from the partner's
    median CIELAB to its own granule's; elsewhere the library's default edge (edge_partners)."""
    color = color_of_granule[granules]
    partners = np.zeros(granules.shape, np.int64)
    for dy, dx in NEIGHBOURS:
        take = (partners == 0) & (neighbour(color, dy, dx) != color)
        partners[take] = neighbour(granules, dy, dx)[take]
    alpha = np.full(granules.shape, ALPHA_FULL, np.uint8)
    meeting = partners != 0
    if meeting.any():
        index = np.arange(int(granules.max()) + 1)
        median = np.stack([ndimage.median(lab[..., k], granules, index) for k in range(3)], axis=-1)
        own, other = median[granules[meeting]], median[partners[meeting]]
        # Lightness counts double: the photos' chroma is stored at half resolution (4:2:0), so it blends wider.
        weight = np.array([1.0, EDGE_CHROMA_WEIGHT, EDGE_CHROMA_WEIGHT])
        direction = (own - other) * weight
        t = ((lab[meeting] - other) * weight * direction).sum(axis=-1) / np.maximum((direction**2).sum(axis=-1), 1e-6)
        # Steepened: the photo's blend was softened by its JPEG once, and a picture made of it is saved as JPEG again.
        t = (t - 0.5) * EDGE_STEEPENING + 0.5
        alpha[meeting] = np.rint(np.clip(t, 0.0, 1.0) * ALPHA_FULL).astype(np.uint8)
    return edge_partners(granules, partners, alpha)


def granule_levels(
    lab: np.ndarray, granules: np.ndarray, color_of_granule: np.ndarray, blend: tuple[np.ndarray, np.ndarray], mix: ColorMix, palette: Palette
) -> np.ndarray:
    """HxW uint8 shade level of each pixel relative to its granule's colour; where two colours blend,
    the blend of its levels against both."""
    names = list(mix)
    lightness = lab[..., 0]
    color = color_of_granule[granules]
    reference = [lightness[color == index] for index in range(len(names))]
    levels = np.zeros(granules.shape, dtype=np.uint8)
    for index, name in enumerate(names):
        mask = color == index
        levels[mask] = pixel_levels(lightness[mask], palette[name], palette.gap_lightness, reference[index])
    partners, alpha = blend
    partner_color = color_of_granule[partners]
    blended = (partners != 0) & (partner_color != color)
    other = np.zeros(granules.shape, dtype=np.float64)
    for index, name in enumerate(names):
        mask = blended & (partner_color == index)
        other[mask] = pixel_levels(lightness[mask], palette[name], palette.gap_lightness, reference[index])
    own = alpha[blended] / ALPHA_FULL
    levels[blended] = np.rint(own * levels[blended] + (1.0 - own) * other[blended]).astype(np.uint8)
    return levels


def cut_sheet(case: PhotoCase, palette: Palette) -> Sheet:
    """The photo's central SHEET_PX square of face, segmented into granules with their shade levels."""
    with Image.open(case.path) as image:
        rgb = np.asarray(image.convert("RGB"))
    face = ndimage.binary_erosion(find_tile_face(rgb), iterations=FACE_MARGIN_PX)
    rows, columns = np.nonzero(face)
    top, left = int(rows.mean()) - SHEET_PX // 2, int(columns.mean()) - SHEET_PX // 2
    window = (slice(top, top + SHEET_PX), slice(left, left + SHEET_PX))
    if top < 0 or left < 0 or not face[window].all():
        raise ValueError(f"{case.path.name}: no {SHEET_PX} px square of face in the middle of the photo")
    lab = srgb_to_lab(rgb[window].astype(np.float64))
    colors = nearest_mix_color(lab, case.mix, palette)
    granules = segment_granules(lab)
    if len(case.mix) > 1:
        granules = split_by_color(granules, colors)
    granules = split_merged(granules, lab)
    granules = absorb_fragments(granules)
    if granules.max() >= 2**16:
        raise ValueError(f"{case.path.name}: {granules.max()} regions do not fit 16 bits")
    color_of_granule = granule_colors(granules, colors, int(granules.max()) + 1)
    partners, alpha = edge_blend(lab, granules, color_of_granule)
    levels = granule_levels(lab, granules, color_of_granule, (partners, alpha), case.mix, palette)
    return Sheet(case.path.name, granules.astype(np.uint16), levels, partners.astype(np.uint16), alpha)


def mostly_dark(mix: ColorMix, palette: Palette) -> bool:
    """Whether most of a photo's mix is colours whose body is as dark as a gap (floor below MIN_SHADOW_FLOOR):
    such a photo's shading cannot be told from its gaps, and drawn in another colour it reads flat and hatched."""
    dark = sum(share for name, share in mix.items() if floor_lightness(palette[name], palette.gap_lightness) < MIN_SHADOW_FLOOR)
    return dark > 0.5 * sum(mix.values())


def build_sheets(cases: Sequence[PhotoCase], palette: Palette, leave_out: Collection[str] = ()) -> list[Sheet]:
    """Every case's sheet but those named in leave_out and those mostly_dark, in name order (the build is reproducible)."""
    chosen = [case for case in cases if case.path.name not in set(leave_out) and not mostly_dark(case.mix, palette)]
    return [cut_sheet(case, palette) for case in sorted(chosen, key=lambda case: case.path.name)]


def build_library(cases: Sequence[PhotoCase], palette: Palette, folder: Path, leave_out: Collection[str] = ()) -> list[Path]:
    """The library of every case but those in leave_out, written to folder (saying what it was made from)."""
    sheets = build_sheets(cases, palette, leave_out)
    made_from = f"{len(sheets)} of the owner's {len(cases)} top-view product photos (640 px)"
    dark = sorted(case.path.name for case in cases if mostly_dark(case.mix, palette) and case.path.name not in set(leave_out))
    if dark:
        made_from += f"; left out as mostly dark colours: {', '.join(dark)}"
    if leave_out:
        made_from += f"; left out for the realism test: {', '.join(sorted(leave_out))}"
    return write_library(sheets, folder, made_from)


def write_library(sheets: Sequence[Sheet], folder: Path, made_from: str) -> list[Path]:
    """The sheets as IDS_NAME (16-bit PNG), LEVELS_NAME and EDGES_NAME (8-bit PNGs) and INDEX_NAME in folder."""
    side = sheets[0].ids.shape[0]
    for sheet in sheets:
        if {sheet.ids.shape, sheet.levels.shape, sheet.partners.shape, sheet.alpha.shape} != {(side, side)}:
            raise ValueError(f"every sheet must be a {side} px square")
    folder.mkdir(parents=True, exist_ok=True)
    edges = [packed_edges(sheet.ids, sheet.partners, sheet.alpha) for sheet in sheets]
    for name, arrays in (
        (IDS_NAME, [sheet.ids for sheet in sheets]),
        (LEVELS_NAME, [sheet.levels for sheet in sheets]),
        (EDGES_NAME, edges),
    ):
        Image.fromarray(np.concatenate(arrays)).save(folder / name, optimize=True)
    index = {
        "version": LIBRARY_VERSION,
        "made_from": made_from,
        "sheet_px": side,
        "photos": [sheet.photo for sheet in sheets],
    }
    (folder / INDEX_NAME).write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return [folder / name for name in (IDS_NAME, LEVELS_NAME, EDGES_NAME, INDEX_NAME)]

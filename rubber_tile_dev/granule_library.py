"""The granule library: the owner's photos cut into granules, for the preview to compose tiles from.

Each photo's face (a central SHEET_PX square, away from the bevel) is segmented into granules:
watershed (scikit-image) on CIELAB lightness minus a little colour gradient, one marker per
h-maximum, so granules part along the dark gaps between them; in a photo of a mix the regions
are split again where the nearest mix colour changes, and fragments too small or too thin to be
a granule are given to the region nearest them. Each pixel keeps its granule number (ids) and
its shade level relative to its granule's own colour (rubber_tile.preview.granule_levels): the
texture kept apart from the colour, so any colour can be drawn with it.

The library ships in rubber_tile/data/ as two PNGs (ids 16-bit, levels 8-bit, the sheets stacked
top to bottom) and a JSON index. `held_out_photos` is the fixed quarter left out for the honest
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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from rubber_tile.analyzer import find_tile_face
from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.palette import Palette
from rubber_tile.mix import ColorMix
from rubber_tile.preview.granule_levels import pixel_levels
from rubber_tile.preview.granule_library import IDS_NAME, INDEX_NAME, LEVELS_NAME, LIBRARY_VERSION

SHEET_PX = 320
FACE_MARGIN_PX = 6
# Watershed: markers are h-maxima of this height over the smoothed lightness; colour edges lower
# the lightness by this weight times the CIELAB gradient.
MARKER_HEIGHT = 4.0
COLOR_EDGE_WEIGHT = 0.5
SMOOTHING_PX = 0.7
# Regions smaller than this (px) or with no pixel this far from their edge are not granules.
MIN_GRANULE_PX = 15
MIN_THICKNESS_PX = 2.0
HELD_OUT_SEED = 19


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


def nearest_mix_color(lab: np.ndarray, mix: ColorMix, palette: Palette) -> np.ndarray:
    """HxW index into the mix's colours of the nearest palette colour (smoothed CIELAB)."""
    if len(mix) == 1:
        return np.zeros(lab.shape[:2], dtype=np.int32)
    smooth = np.stack([ndimage.gaussian_filter(lab[..., k], SMOOTHING_PX) for k in range(3)], axis=-1)
    reference = palette.lab_array(list(mix))
    return np.argmin(((smooth[..., None, :] - reference) ** 2).sum(axis=-1), axis=-1).astype(np.int32)


def split_by_color(regions: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Connected parts of each region that show one colour, numbered 1..n."""
    key = regions.astype(np.int64) * 64 + colors
    height, width = regions.shape
    pixel = np.arange(height * width).reshape(height, width)
    right = key[:, 1:] == key[:, :-1]
    down = key[1:] == key[:-1]
    rows = np.concatenate([pixel[:, :-1][right], pixel[:-1][down]])
    columns = np.concatenate([pixel[:, 1:][right], pixel[1:][down]])
    graph = coo_matrix((np.ones(rows.size, dtype=bool), (rows, columns)), shape=(pixel.size, pixel.size))
    _, parts = connected_components(graph, directed=False)
    return parts.reshape(height, width).astype(np.int32) + 1


def absorb_fragments(regions: np.ndarray) -> np.ndarray:
    """Regions under MIN_GRANULE_PX or thinner than MIN_THICKNESS_PX given to the nearest other region; renumbered 1..n."""
    edge = np.zeros(regions.shape, dtype=bool)
    across = regions[:, 1:] != regions[:, :-1]
    edge[:, 1:] |= across
    edge[:, :-1] |= across
    along = regions[1:] != regions[:-1]
    edge[1:] |= along
    edge[:-1] |= along
    count = int(regions.max()) + 1
    area = np.bincount(regions.ravel(), minlength=count)
    depth = ndimage.maximum(ndimage.distance_transform_edt(~edge), regions, index=np.arange(count))
    fragment = ((area < MIN_GRANULE_PX) | (np.asarray(depth) < MIN_THICKNESS_PX))[regions]
    if fragment.any() and not fragment.all():
        _, (rows, columns) = ndimage.distance_transform_edt(fragment, return_indices=True)
        regions = regions[rows, columns]
    _, numbered = np.unique(regions, return_inverse=True)
    return numbered.reshape(regions.shape).astype(np.int32) + 1


def granule_levels(lab: np.ndarray, granules: np.ndarray, colors: np.ndarray, mix: ColorMix, palette: Palette) -> np.ndarray:
    """HxW uint8 shade level of each pixel relative to its granule's colour (the granule's majority colour)."""
    names = list(mix)
    votes = np.zeros((int(granules.max()) + 1, len(names)))
    np.add.at(votes, (granules.ravel(), colors.ravel()), 1)
    color_of_pixel = votes.argmax(axis=1)[granules]
    levels = np.zeros(granules.shape, dtype=np.uint8)
    for index, name in enumerate(names):
        mask = color_of_pixel == index
        levels[mask] = pixel_levels(lab[..., 0][mask], palette[name], palette.gap_lightness)
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
    granules = absorb_fragments(granules)
    if granules.max() >= 2**16:
        raise ValueError(f"{case.path.name}: {granules.max()} regions do not fit 16 bits")
    levels = granule_levels(lab, granules, colors, case.mix, palette)
    return Sheet(case.path.name, granules.astype(np.uint16), levels)


def build_sheets(cases: Sequence[PhotoCase], palette: Palette, leave_out: Collection[str] = ()) -> list[Sheet]:
    """Every case's sheet but those named in leave_out, in name order (the build is reproducible)."""
    chosen = sorted((case for case in cases if case.path.name not in set(leave_out)), key=lambda case: case.path.name)
    return [cut_sheet(case, palette) for case in chosen]


def build_library(cases: Sequence[PhotoCase], palette: Palette, folder: Path, leave_out: Collection[str] = ()) -> list[Path]:
    """The library of every case but those in leave_out, written to folder (saying what it was made from)."""
    sheets = build_sheets(cases, palette, leave_out)
    made_from = f"{len(sheets)} of the owner's {len(cases)} top-view product photos (640 px)"
    if leave_out:
        made_from += f"; left out for the realism test: {', '.join(sorted(leave_out))}"
    return write_library(sheets, folder, made_from)


def write_library(sheets: Sequence[Sheet], folder: Path, made_from: str) -> list[Path]:
    """The sheets as IDS_NAME (16-bit PNG), LEVELS_NAME (8-bit PNG) and INDEX_NAME in folder."""
    side = sheets[0].ids.shape[0]
    if any(sheet.ids.shape != (side, side) or sheet.levels.shape != (side, side) for sheet in sheets):
        raise ValueError(f"every sheet must be a {side} px square")
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.concatenate([sheet.ids for sheet in sheets])
    levels = np.concatenate([sheet.levels for sheet in sheets])
    Image.fromarray(ids).save(folder / IDS_NAME, optimize=True)
    Image.fromarray(levels).save(folder / LEVELS_NAME, optimize=True)
    index = {
        "version": LIBRARY_VERSION,
        "made_from": made_from,
        "sheet_px": side,
        "photos": [sheet.photo for sheet in sheets],
    }
    (folder / INDEX_NAME).write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return [folder / IDS_NAME, folder / LEVELS_NAME, folder / INDEX_NAME]

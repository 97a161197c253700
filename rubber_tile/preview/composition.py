"""Stage 1 of the preview: a tile face composed of real granules from the granule library.

The face is laid at the photos' own scale on a canvas, in blocks: rows of jittered height, each
cut into cells of jittered width (about BLOCK_PX of photo pixels, a few granules across). Each
block copies a window of one library sheet (a random sheet, place, and one of 8 quarter turns and
mirrors) and keeps the whole granules whose centre falls in its cell, so blocks meet along
granule outlines; where no block's own granules reach, the neighbouring granules grow over the
gap, taking the texture of the windows there (their shadows and gaps). Every pixel on a
granule's edge keeps a partner, the granule across the edge, and how much of the pixel is its
own granule's (alpha): the photo's own blend where the library has one and its partner lies next
to it on the canvas, the library's default edge elsewhere (seams between blocks included); the
colouring blends the two granules' colours by it, so edges are as soft as the photo's, not
stepped. The canvas is then scaled to the picture: granule numbers nearest with alpha their
share of the pixel (bilinear coverage), shade levels smoothly; within SNAP_SHARE of the photos'
scale the pixels are copied one for one. Pixels next to a block seam are marked, for the camera.
Everything here depends on the settings and the seed, never on the mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from ..images import label_edges
from .granule_levels import LEVELS
from .granule_library import ALPHA_FULL, GranuleLibrary, GranuleSheet, edge_partners, halved_library
from .settings import GRADES, RenderSettings

# The photos' scale (a 140 mm face 0.86 of 640 px wide) and the grade they show (standard: 2-4 mm).
PHOTO_PX_PER_MM = 0.86 * 640 / 140
PHOTO_GRADE_MM = 3.0
# Blocks: mean size in photo pixels, how far sizes vary, and the margin of whole granules around a cell.
BLOCK_PX = 96
BLOCK_JITTER = 0.35
MARGIN_PX = 10
# A scale this close to the photos' is taken as theirs: pixels copied 1:1, no resampling blur.
SNAP_SHARE = 0.03
TURNS = 8
# From this enlargement on, edges are resampled by their cover (resampled_edges) rather than taken from the nearest pixel.
SOFT_EDGE_SCALE = 1.2
# ... and their ramp steepened by the scale times this (the analyzer reads wider blends of two colours unevenly).
ENLARGED_EDGE_STEEPENING = 2.0
# Softness classes of the picture's pixels, for the camera: inside a granule, a block seam, a granule's edge.
PLAIN, SEAM, EDGE = 0, 1, 2


@dataclass(frozen=True)
class Canvas:
    """The composed face at the photos' scale: granule number from 1 (0: none), level, partner and alpha, seam."""

    granules: np.ndarray  # n x n int32
    levels: np.ndarray  # n x n uint8
    partners: np.ndarray  # n x n int32 granule across the edge, 0 inside a granule
    alpha: np.ndarray  # n x n uint8 the pixel's share of its own granule, of ALPHA_FULL
    seams: np.ndarray  # n x n bool: next to a pixel of another block
    count: int  # granule numbers used: 1..count-1


@dataclass(frozen=True)
class Block:
    """One block: its canvas window, the sheet window turned into it, and its granules to keep."""

    rows: slice
    columns: slice
    granules: np.ndarray  # window of sheet granule numbers, turned
    levels: np.ndarray
    partners: np.ndarray
    alpha: np.ndarray
    own: np.ndarray  # per sheet granule number: centre in this block's cell, whole
    near: np.ndarray  # per sheet granule number: centre in the window, not own


def source_scale(settings: RenderSettings) -> float:
    """Picture pixels per photo pixel for these settings' scale and grade (1 within SNAP_SHARE)."""
    grade = GRADES[settings.grade]
    scale = settings.px_per_mm / PHOTO_PX_PER_MM * 0.5 * (grade.min_mm + grade.max_mm) / PHOTO_GRADE_MM
    return 1.0 if abs(scale - 1.0) < SNAP_SHARE else scale


def cell_edges(length: int, block: float, rng: np.random.Generator) -> list[float]:
    """Cut points from 0 past length, steps of block give or take BLOCK_JITTER."""
    edges = [0.0]
    while edges[-1] < length:
        edges.append(edges[-1] + block * rng.uniform(1.0 - BLOCK_JITTER, 1.0 + BLOCK_JITTER))
    return edges


def cells(side: int, block: float, rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """(top, bottom, left, right) of every cell: rows, each cut at its own places (no grid lines run through)."""
    rows = cell_edges(side, block, rng)
    found = []
    for top, bottom in zip(rows[:-1], rows[1:], strict=True):
        columns = np.array(cell_edges(side + math.ceil(block), block, rng)) - rng.uniform(0.0, block)
        found += [(top, bottom, left, right) for left, right in zip(columns[:-1], columns[1:], strict=True)]
    return found


def turned(array: np.ndarray, turn: int) -> np.ndarray:
    """A view of array in one of 8 ways: turn % 4 quarter turns, then mirrored left-right from 4 on."""
    array = np.rot90(array, turn % 4)
    return array[:, ::-1] if turn >= 4 else array


def turned_points(y: np.ndarray, x: np.ndarray, shape: tuple[int, int], turn: int) -> tuple[np.ndarray, np.ndarray]:
    """Where points (y, x) of an array of this shape lie in turned(array, turn)."""
    height, width = shape
    for _ in range(turn % 4):  # np.rot90: (y, x) -> (width - 1 - x, y)
        y, x, height, width = width - 1 - x, y, width, height
    return (y, width - 1 - x) if turn >= 4 else (y, x)


def plan_block(
    sheet: GranuleSheet, cell: tuple[float, float, float, float], side: int, margin: int, rng: np.random.Generator
) -> Block | None:
    """The block for one cell: a random window of the sheet, turned, and which of its granules it keeps."""
    top, bottom, left, right = cell
    row0, column0 = max(0, int(top) - margin), max(0, int(left) - margin)
    row1, column1 = min(side, math.ceil(bottom) + margin), min(side, math.ceil(right) + margin)
    if row1 <= row0 or column1 <= column0:
        return None
    turn = int(rng.integers(TURNS))
    height, width = (column1 - column0, row1 - row0) if turn % 2 else (row1 - row0, column1 - column0)
    sheet_side = sheet.ids.shape[0]
    y0, x0 = int(rng.integers(0, sheet_side - height + 1)), int(rng.integers(0, sheet_side - width + 1))
    window = (slice(y0, y0 + height), slice(x0, x0 + width))
    y, x = turned_points(sheet.centre_y - y0, sheet.centre_x - x0, (height, width), turn)
    y, x = y + row0, x + column0
    inside = (y >= row0) & (y < row1) & (x >= column0) & (x < column1) & sheet.whole
    own = inside & (y >= top) & (y < bottom) & (x >= left) & (x < right)
    return Block(
        rows=slice(row0, row1),
        columns=slice(column0, column1),
        granules=turned(sheet.ids[window], turn),
        levels=turned(sheet.levels[window], turn),
        partners=turned(sheet.partners[window], turn),
        alpha=turned(sheet.alpha[window], turn),
        own=own,
        near=inside & ~own,
    )


@dataclass(frozen=True)
class Laid:
    """The canvas while blocks are laid on it."""

    granules: np.ndarray
    levels: np.ndarray
    partners: np.ndarray
    alpha: np.ndarray
    block_of: np.ndarray


def lay_blocks(blocks: list[Block], side: int) -> tuple[Laid, int]:
    """Each block's own granules where nothing lies yet (with their partners kept in the same block); in
    the gaps left (levels only) the texture of its near granules, then of anything in its window."""
    laid = Laid(
        np.zeros((side, side), np.int32),
        np.zeros((side, side), np.uint8),
        np.zeros((side, side), np.int32),
        np.full((side, side), ALPHA_FULL, np.uint8),
        np.zeros((side, side), np.int32),
    )
    count = 1
    for number, block in enumerate(blocks, start=1):
        new = np.zeros(len(block.own), np.int32)
        kept = int(block.own.sum())
        new[block.own] = np.arange(count, count + kept, dtype=np.int32)
        count += kept
        placed = new[block.granules]
        window = (block.rows, block.columns)
        free = (placed > 0) & (laid.granules[window] == 0)
        np.copyto(laid.granules[window], placed, where=free)
        np.copyto(laid.levels[window], block.levels, where=free)
        np.copyto(laid.partners[window], new[block.partners], where=free)
        np.copyto(laid.alpha[window], block.alpha, where=free)
        laid.block_of[window][free] = number
    gaps = laid.granules == 0
    for near_only in (True, False):  # the near granules' texture first, then any of the window's
        for block in blocks:
            window = (block.rows, block.columns)
            fill = gaps[window] & block.near[block.granules] if near_only else gaps[window]
            np.copyto(laid.levels[window], block.levels, where=fill)
            gaps[window] &= ~fill
    return laid, count


def compose(library: GranuleLibrary, side: int, rng: np.random.Generator, halvings: int = 0) -> Canvas:
    """A side x side canvas of real granules at the library's scale (photo scale halved `halvings` times)."""
    # Blocks as wide in granules as at the photos' scale, but no wider than half a (halved) sheet.
    block_px = min(BLOCK_PX, library.sheet_px / 2)
    margin = max(3, MARGIN_PX >> halvings)
    blocks = []
    for index in rng.permutation(len(all_cells := cells(side, block_px, rng))):
        sheet = library.sheets[int(rng.integers(len(library.sheets)))]
        block = plan_block(sheet, all_cells[index], side, margin, rng)
        if block is not None:
            blocks.append(block)
    laid, count = lay_blocks(blocks, side)
    granules, block_of = laid.granules, laid.block_of
    empty = granules == 0
    if empty.any():
        # The gaps between blocks: each pixel joins the granule nearest it.
        _, (rows, columns) = ndimage.distance_transform_edt(empty, return_indices=True)
        granules = granules[rows, columns]
        block_of = block_of[rows, columns]
    partners, alpha = edge_partners(granules, laid.partners, laid.alpha)
    return Canvas(granules, laid.levels, partners, alpha, label_edges(block_of), count)


@dataclass(frozen=True)
class Face:
    """A composed face at the picture's size (composed_face)."""

    labels: np.ndarray  # HxW int32 granule index from 0
    partners: np.ndarray  # HxW int32 granule index across the edge, -1 inside a granule
    alpha: np.ndarray  # HxW uint8 the pixel's share of its own granule, of ALPHA_FULL
    levels: np.ndarray  # HxW uint8 shade level
    softness: np.ndarray  # HxW uint8 softness class
    count: int  # granules
    scale: float  # picture pixels per photo pixel


def sample_grid(size: int, scale: float, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """For each picture pixel along one axis: the canvas pixel before its centre and how far past it (0-1)."""
    centres = (np.arange(size) + 0.5) / scale - 0.5
    low = np.clip(np.floor(centres), 0, limit - 2).astype(np.intp)
    return low, np.clip(centres - low, 0.0, 1.0).astype(np.float32)


def resampled_along(
    granules: np.ndarray, partners: np.ndarray, alpha: np.ndarray, size: int, scale: float, axis: int, steep: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(granule, partner, alpha) resampled to `size` along axis: the granule of the nearest pixel, its share of the
    two pixels around (linear, each counting its own alpha; weights in 1/16 steps), the rest going to a partner;
    the share then steepened around one half by `steep`."""
    low, past = sample_grid(size, scale, granules.shape[axis])
    shape = (-1, 1) if axis == 0 else (1, -1)
    weight = np.rint(past * 16).astype(np.int32).reshape(shape)
    samples = []
    for at in (low, low + 1):
        samples.append([np.take(array, at, axis=axis) for array in (granules, partners, alpha)])
    second = (past >= 0.5).reshape(shape)
    chosen = np.where(second, samples[1][0], samples[0][0])
    found = np.where(second, samples[1][1], samples[0][1])
    cover = np.zeros(chosen.shape, np.int32)
    for (sample, partner, own), share_weight in zip(samples, (16 - weight, weight), strict=True):
        share = np.where(sample == chosen, own.astype(np.int32), np.where(partner == chosen, ALPHA_FULL - own.astype(np.int32), 0))
        share *= share_weight
        cover += share
        np.copyto(found, sample, where=(found == 0) & (sample != chosen))
    cover -= 8 * ALPHA_FULL
    cover *= int(round(steep * 16))
    cover >>= 8
    cover += (ALPHA_FULL + 1) // 2
    np.clip(cover, 0, ALPHA_FULL, out=cover)
    shares = cover.astype(np.uint8)
    shares[found == 0] = ALPHA_FULL
    return chosen, found, shares


def resampled_edges(canvas: Canvas, size: int, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(granule, partner, alpha) at the picture's size: resampled_along the rows, then the columns. Enlarged, the
    blend stays as narrow as the photo's: its ramp is steepened by the scale once, not spread over the pixels it covers."""
    down = resampled_along(canvas.granules, canvas.partners, canvas.alpha, size, scale, 0, 1.0)
    return resampled_along(*down, size, scale, 1, max(1.0, scale) * ENLARGED_EDGE_STEEPENING)


def to_picture(canvas: Canvas, size: int, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(granule index from 0, partner index from 0 or -1, alpha, level, softness class) at the picture's size."""
    if scale == 1.0:
        keep = (slice(0, size), slice(0, size))
        granules, partners, alpha, levels, seams = (
            canvas.granules[keep], canvas.partners[keep], canvas.alpha[keep], canvas.levels[keep], canvas.seams[keep]
        )
    else:
        box = (0.0, 0.0, size / scale, size / scale)

        def nearest(array: np.ndarray) -> np.ndarray:
            return np.asarray(Image.fromarray(array).resize((size, size), Image.Resampling.NEAREST, box=box))

        if scale >= SOFT_EDGE_SCALE:
            granules, partners, alpha = resampled_edges(canvas, size, scale)
        else:  # near the photos' scale or below it the canvas's own soft edges serve as they are
            granules, partners, alpha = nearest(canvas.granules), nearest(canvas.partners), nearest(canvas.alpha)
        # Bicubic keeps the enlarged grain sharper than bilinear; its overshoot is cut back to the levels' range.
        levels = np.asarray(Image.fromarray(canvas.levels).resize((size, size), Image.Resampling.BICUBIC, box=box))
        levels = np.minimum(levels, np.uint8(LEVELS - 1))
        seams = nearest(canvas.seams)
    softness = np.where(seams, np.uint8(SEAM), np.where(partners != 0, np.uint8(EDGE), np.uint8(PLAIN)))
    return granules - 1, partners - 1, alpha, levels, softness


def halvings_for(scale: float) -> int:
    """How many times to halve the library so that a picture at this scale is made from a canvas of
    about its own size (within a factor 1.4 either way): small pictures, installed floors' top views."""
    return max(0, math.floor(math.log2(1.0 / scale) + 0.5)) if scale < 1.0 else 0


def composed_face(folder: Path, settings: RenderSettings, rng: np.random.Generator) -> Face:
    """The face for these settings, from the granule library in folder."""
    scale = source_scale(settings)
    halvings = halvings_for(scale)
    library = halved_library(folder, halvings)
    working = scale * 2**halvings
    canvas = compose(library, math.ceil(settings.size / working) + 2, rng, halvings)
    arrays = [np.ascontiguousarray(array) for array in to_picture(canvas, settings.size, working)]
    return Face(*arrays, count=canvas.count - 1, scale=scale)

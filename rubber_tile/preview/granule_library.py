"""The granule library the preview composes tiles from: real granules cut from the owner's photos.

rubber_tile_dev/granule_library.py builds it (scripts/eval/build_granule_library.py); here it is
read once per process. Each sheet is a square of real tile face: per pixel the number of the
granule it belongs to (0: none), its shade level relative to that granule's own colour
(granule_levels.py), and on a granule's edge its partner, the granule across the edge, with how
much of the pixel is its own granule's (`alpha`, 0-ALPHA_FULL; ALPHA_FULL and partner 0 inside a
granule): the photo's own soft boundary, so a recoloured edge blends as the photo's did instead
of stepping from pixel to pixel. Per granule the loader works out its centre and whether it lies
wholly inside its sheet (only those are copied whole).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from .granule_levels import LEVELS

LIBRARY_VERSION = 2
LIBRARY_DIR = Path(__file__).resolve().parents[1] / "data"
IDS_NAME = "granule_ids.png"
LEVELS_NAME = "granule_levels.png"
EDGES_NAME = "granule_edges.png"
INDEX_NAME = "granule_library.json"
ALPHA_FULL = 255
# EDGES_NAME keeps alpha in 16 steps (the low 4 bits; alpha = step * ALPHA_STEP), where the partner lies in the high 4.
ALPHA_STEP = 17
# Where no photo says how a boundary blends (granules of one colour, seams between blocks): a pixel
# with a granule across its side keeps this much of its own, across a corner only this. Crisper than
# the photos' own boundaries measure (0.8 and 0.95 at black / white ones, lightness): a picture is
# saved as JPEG too, which softens its edges again.
SIDE_ALPHA = 14 * ALPHA_STEP
CORNER_ALPHA = ALPHA_FULL
SIDES = ((-1, 0), (1, 0), (0, -1), (0, 1))
CORNERS = ((-1, -1), (-1, 1), (1, -1), (1, 1))
# EDGES_NAME stores where a pixel's partner is: 0 none, k the neighbour NEIGHBOURS[k - 1].
NEIGHBOURS = SIDES + CORNERS


class GranuleLibraryError(ValueError):
    """The library files are missing or do not fit together."""


@dataclass(frozen=True)
class GranuleSheet:
    """One square of real tile face."""

    ids: np.ndarray  # HxW uint16 granule number, 0 where none
    levels: np.ndarray  # HxW uint8 shade level (granule_levels)
    partners: np.ndarray  # HxW uint16 granule number across the edge, 0 inside a granule
    alpha: np.ndarray  # HxW uint8 share of the pixel that is its own granule's, of ALPHA_FULL
    centre_y: np.ndarray  # per granule number: its centre in sheet pixels (index 0 unused)
    centre_x: np.ndarray
    whole: np.ndarray  # per granule number: lies wholly inside the sheet


@dataclass(frozen=True)
class GranuleLibrary:
    sheets: tuple[GranuleSheet, ...]
    photos: tuple[str, ...]
    sheet_px: int


def neighbour(array: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """array shifted so that each pixel sees its neighbour (dy, dx) away; the border sees itself."""
    height, width = array.shape
    padded = np.pad(array, 1, mode="edge")
    return padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]


def edge_partners(ids: np.ndarray, partners: np.ndarray | None = None, alpha: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(partners, alpha) with every edge pixel given one: those given stay where their partner is one of the
    pixel's 8 neighbours; the others get the first other granule across a side (SIDE_ALPHA) or a corner (CORNER_ALPHA,
    none while that is ALPHA_FULL)."""
    height, width = ids.shape
    padded = np.pad(ids, 1, mode="edge")
    around = {(dy, dx): padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in NEIGHBOURS}
    found = np.zeros(ids.shape, ids.dtype) if partners is None else partners.astype(ids.dtype)
    share = np.full(ids.shape, ALPHA_FULL, np.uint8) if alpha is None else alpha.copy()
    if partners is not None:
        touching = np.zeros(ids.shape, bool)
        for other in around.values():
            touching |= other == found
        lost = (found != 0) & ~touching
        found[lost] = 0
        share[lost] = ALPHA_FULL
    for offsets, weight in ((SIDES, SIDE_ALPHA), (CORNERS, CORNER_ALPHA)):
        if weight == ALPHA_FULL:
            continue  # no blend: no partner needed
        for offset in offsets:
            other = around[offset]
            take = (found == 0) & (other != ids) & (other != 0)
            np.copyto(found, other, where=take)
            share[take] = weight
    share[found == 0] = ALPHA_FULL
    return found, share


def partners_at(ids: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The partner granule of each pixel from the direction it lies in (0 none, k NEIGHBOURS[k - 1]), 0 where none."""
    width = ids.shape[1]
    step = np.array([0] + [dy * width + dx for dy, dx in NEIGHBOURS], dtype=np.intp)
    flat = ids.ravel()
    where = np.flatnonzero(edges)
    partners = np.zeros(flat.shape, ids.dtype)
    partners[where] = np.take(flat, where + step[edges.ravel()[where]], mode="clip")
    return partners.reshape(ids.shape)


def packed_edges(ids: np.ndarray, partners: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """uint8 of EDGES_NAME: where the partner lies (high 4 bits) and alpha in 16 steps (low 4 bits)."""
    steps = np.rint(alpha.astype(np.float64) / ALPHA_STEP).astype(np.uint8)
    return (edge_directions(ids, partners) << 4) | np.where(partners != 0, steps, ALPHA_FULL // ALPHA_STEP).astype(np.uint8)


def edge_directions(ids: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """uint8 where each pixel's partner lies (EDGES_NAME): 0 none, k the neighbour NEIGHBOURS[k - 1]."""
    edges = np.zeros(ids.shape, np.uint8)
    for k, (dy, dx) in enumerate(NEIGHBOURS, start=1):
        edges[(edges == 0) & (partners != 0) & (neighbour(ids, dy, dx) == partners)] = k
    return edges


def sheets_from_stack(ids: np.ndarray, levels: np.ndarray, partners: np.ndarray, alpha: np.ndarray, side: int) -> tuple[GranuleSheet, ...]:
    """The sheets stacked top to bottom in these arrays, with their granules' centres."""
    rows = [slice(k * side, (k + 1) * side) for k in range(ids.shape[0] // side)]
    return tuple(sheet_from_arrays(ids[r], levels[r], partners[r], alpha[r]) for r in rows)


def sheet_from_arrays(ids: np.ndarray, levels: np.ndarray, partners: np.ndarray, alpha: np.ndarray) -> GranuleSheet:
    """A sheet with its granules' centres and which of them are whole."""
    count = int(ids.max()) + 1
    flat = ids.ravel()
    area = np.bincount(flat, minlength=count).astype(np.float64)
    rows, columns = np.indices(ids.shape, dtype=np.float32)
    centre_y = (np.bincount(flat, rows.ravel(), count) / np.maximum(area, 1.0)).astype(np.float32)
    centre_x = (np.bincount(flat, columns.ravel(), count) / np.maximum(area, 1.0)).astype(np.float32)
    whole = area > 0
    whole[0] = False
    whole[np.concatenate([ids[0], ids[-1], ids[:, 0], ids[:, -1]])] = False
    for array in (ids, levels, partners, alpha, centre_y, centre_x, whole):
        array.setflags(write=False)
    return GranuleSheet(ids, levels, partners, alpha, centre_y, centre_x, whole)


def read_png(path: Path, dtype: type) -> np.ndarray:
    """A one-channel PNG as an array of dtype (not copied where it already is one)."""
    with Image.open(path) as image:
        array = np.asarray(image if image.mode in ("L", "I;16") else image.convert("L"))
    return array if array.dtype == dtype else array.astype(dtype)


def read_library(folder: Path) -> GranuleLibrary:
    """The library in folder; GranuleLibraryError saying what is wrong where it cannot be read."""
    try:
        index = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
        ids = read_png(folder / IDS_NAME, np.uint16)
        levels = read_png(folder / LEVELS_NAME, np.uint8)
        packed = read_png(folder / EDGES_NAME, np.uint8)
    except (OSError, ValueError) as error:
        raise GranuleLibraryError(f"cannot read the granule library in {folder}: {error}") from error
    if index.get("version") != LIBRARY_VERSION:
        raise GranuleLibraryError(f"granule library version {index.get('version')!r}, expected {LIBRARY_VERSION}")
    side, photos = int(index["sheet_px"]), tuple(index["photos"])
    shapes = {ids.shape, levels.shape, packed.shape}
    if shapes != {(side * len(photos), side)}:
        raise GranuleLibraryError(f"granule library images {sorted(shapes)} do not hold {len(photos)} sheets of {side} px")
    edges = packed >> 4
    if int(edges.max()) > len(NEIGHBOURS):
        raise GranuleLibraryError(f"granule library has edge direction {int(edges.max())}, directions go to {len(NEIGHBOURS)}")
    if int(levels.max()) >= LEVELS:
        raise GranuleLibraryError(f"granule library has level {int(levels.max())}, levels go to {LEVELS - 1}")
    alpha = (packed & 15) * np.uint8(ALPHA_STEP)
    return GranuleLibrary(sheets_from_stack(ids, levels, partners_at(ids, edges), alpha, side), photos, side)


@lru_cache(maxsize=4)
def load_granule_library(folder: Path = LIBRARY_DIR) -> GranuleLibrary:
    """The library, read once per process and folder."""
    return read_library(folder)


def halved_sheet(sheet: GranuleSheet) -> GranuleSheet:
    """The sheet at half its resolution: granule numbers sampled, levels averaged over 2 x 2 pixels,
    edges found again between the granules sampled."""
    side = sheet.ids.shape[0] // 2 * 2
    levels = sheet.levels[:side, :side].astype(np.uint16)
    levels = (levels[0::2, 0::2] + levels[1::2, 0::2] + levels[0::2, 1::2] + levels[1::2, 1::2] + 2) // 4
    ids = np.ascontiguousarray(sheet.ids[:side:2, :side:2])
    _, numbered = np.unique(ids, return_inverse=True)  # granules too small to be sampled drop out
    ids = (numbered.reshape(ids.shape) + 1).astype(np.uint16)
    partners, alpha = edge_partners(ids)
    return sheet_from_arrays(ids, levels.astype(np.uint8), partners, alpha)


@lru_cache(maxsize=8)
def halved_library(folder: Path, halvings: int) -> GranuleLibrary:
    """The library at 1 / 2**halvings of its resolution (for pictures much smaller than the photos' scale)."""
    library = load_granule_library(folder)
    if halvings == 0:
        return library
    smaller = halved_library(folder, halvings - 1)
    return GranuleLibrary(tuple(halved_sheet(sheet) for sheet in smaller.sheets), library.photos, smaller.sheet_px // 2)

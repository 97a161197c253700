"""The granule library the preview composes tiles from: real granules cut from the owner's photos.

rubber_tile_dev/granule_library.py builds it (scripts/eval/build_granule_library.py); here it is
read once per process. Each sheet is a square of real tile face: per pixel the number of the
granule it belongs to (0: none) and its shade level relative to that granule's own colour
(granule_levels.py). Per granule the loader works out its centre and whether it lies wholly
inside its sheet (only those are copied whole).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from .granule_levels import LEVELS

LIBRARY_VERSION = 1
LIBRARY_DIR = Path(__file__).resolve().parents[1] / "data"
IDS_NAME = "granule_ids.png"
LEVELS_NAME = "granule_levels.png"
INDEX_NAME = "granule_library.json"


class GranuleLibraryError(ValueError):
    """The library files are missing or do not fit together."""


@dataclass(frozen=True)
class GranuleSheet:
    """One square of real tile face."""

    ids: np.ndarray  # HxW uint16 granule number, 0 where none
    levels: np.ndarray  # HxW uint8 shade level (granule_levels)
    centre_y: np.ndarray  # per granule number: its centre in sheet pixels (index 0 unused)
    centre_x: np.ndarray
    whole: np.ndarray  # per granule number: lies wholly inside the sheet


@dataclass(frozen=True)
class GranuleLibrary:
    sheets: tuple[GranuleSheet, ...]
    photos: tuple[str, ...]
    sheet_px: int


def sheet_from_arrays(ids: np.ndarray, levels: np.ndarray) -> GranuleSheet:
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
    for array in (ids, levels, centre_y, centre_x, whole):
        array.setflags(write=False)
    return GranuleSheet(ids, levels, centre_y, centre_x, whole)


def read_library(folder: Path) -> GranuleLibrary:
    """The library in folder; GranuleLibraryError saying what is wrong where it cannot be read."""
    try:
        index = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
        with Image.open(folder / IDS_NAME) as image:
            ids = np.asarray(image).astype(np.uint16)
        with Image.open(folder / LEVELS_NAME) as image:
            levels = np.asarray(image.convert("L"))
    except (OSError, ValueError) as error:
        raise GranuleLibraryError(f"cannot read the granule library in {folder}: {error}") from error
    if index.get("version") != LIBRARY_VERSION:
        raise GranuleLibraryError(f"granule library version {index.get('version')!r}, expected {LIBRARY_VERSION}")
    side, photos = int(index["sheet_px"]), tuple(index["photos"])
    if ids.shape != levels.shape or ids.shape != (side * len(photos), side):
        raise GranuleLibraryError(f"granule library images {ids.shape} / {levels.shape} do not hold {len(photos)} sheets of {side} px")
    if int(levels.max()) >= LEVELS:
        raise GranuleLibraryError(f"granule library has level {int(levels.max())}, levels go to {LEVELS - 1}")
    sheets = tuple(
        sheet_from_arrays(ids[k * side : (k + 1) * side], levels[k * side : (k + 1) * side]) for k in range(len(photos))
    )
    return GranuleLibrary(sheets, photos, side)


@lru_cache(maxsize=4)
def load_granule_library(folder: Path = LIBRARY_DIR) -> GranuleLibrary:
    """The library, read once per process and folder."""
    return read_library(folder)


def halved_sheet(sheet: GranuleSheet) -> GranuleSheet:
    """The sheet at half its resolution: granule numbers sampled, levels averaged over 2 x 2 pixels."""
    side = sheet.ids.shape[0] // 2 * 2
    levels = sheet.levels[:side, :side].astype(np.uint16)
    levels = (levels[0::2, 0::2] + levels[1::2, 0::2] + levels[0::2, 1::2] + levels[1::2, 1::2] + 2) // 4
    ids = np.ascontiguousarray(sheet.ids[:side:2, :side:2])
    _, numbered = np.unique(ids, return_inverse=True)  # granules too small to be sampled drop out
    return sheet_from_arrays((numbered.reshape(ids.shape) + 1).astype(np.uint16), levels.astype(np.uint8))


@lru_cache(maxsize=8)
def halved_library(folder: Path, halvings: int) -> GranuleLibrary:
    """The library at 1 / 2**halvings of its resolution (for pictures much smaller than the photos' scale)."""
    library = load_granule_library(folder)
    if halvings == 0:
        return library
    smaller = halved_library(folder, halvings - 1)
    return GranuleLibrary(tuple(halved_sheet(sheet) for sheet in smaller.sheets), library.photos, smaller.sheet_px // 2)

"""The granule library: the shipped asset reads and is well-formed; the builder's steps on made-up images."""

import json
from pathlib import Path

import numpy as np
import pytest

from rubber_tile.colors.palette import load_palette
from rubber_tile.mix import ColorMix
from rubber_tile.preview.granule_levels import LEVELS, SHADOW_LEVELS, floor_lightness, level_lab, pixel_levels
from rubber_tile.preview.granule_library import (
    INDEX_NAME,
    GranuleLibraryError,
    load_granule_library,
    read_library,
)
from rubber_tile_dev.evaluation.realism import PhotoCase
from rubber_tile_dev.granule_library import Sheet, absorb_fragments, held_out_photos, split_by_color, write_library


def test_the_shipped_library_is_well_formed() -> None:
    library = load_granule_library()
    assert len(library.sheets) == len(library.photos) >= 16
    for sheet in library.sheets:
        assert sheet.ids.shape == sheet.levels.shape == (library.sheet_px, library.sheet_px)
        numbers = np.unique(sheet.ids)
        np.testing.assert_array_equal(numbers, np.arange(1, numbers[-1] + 1))  # every pixel in a granule, numbered 1..n
        assert int(sheet.levels.max()) < LEVELS
        # Most granules lie wholly inside the sheet, and their centres inside it.
        assert sheet.whole.sum() > 0.8 * numbers[-1]
        assert np.all((sheet.centre_y[1:] >= 0) & (sheet.centre_y[1:] < library.sheet_px))
        assert (sheet.levels >= SHADOW_LEVELS).mean() > 0.5  # mostly lit faces
    # Deep gaps and shadows are kept (dark colours keep none: granule_levels.MIN_SHADOW_FLOOR).
    assert sum(bool((sheet.levels < SHADOW_LEVELS).any()) for sheet in library.sheets) > len(library.sheets) // 2


def _tiny_library(folder: Path) -> None:
    ids = np.kron(np.arange(1, 5, dtype=np.uint16).reshape(2, 2), np.ones((4, 4), np.uint16))
    write_library([Sheet("a.jpg", ids, np.full((8, 8), 20, np.uint8))], folder, "made up")


def test_a_library_that_does_not_fit_together_is_refused(tmp_path: Path) -> None:
    _tiny_library(tmp_path)
    assert read_library(tmp_path).photos == ("a.jpg",)
    index = json.loads((tmp_path / INDEX_NAME).read_text())
    index["photos"].append("b.jpg")
    (tmp_path / INDEX_NAME).write_text(json.dumps(index))
    with pytest.raises(GranuleLibraryError, match="do not hold 2 sheets"):
        read_library(tmp_path)
    with pytest.raises(GranuleLibraryError, match="cannot read"):
        read_library(tmp_path / "nowhere")


def test_a_thin_sliver_is_given_to_its_neighbour() -> None:
    regions = np.ones((20, 20), np.int32)
    regions[:, 10:] = 2
    regions[:, 9] = 3  # a one-pixel line along the boundary: no granule
    merged = absorb_fragments(regions)
    assert len(np.unique(merged)) == 2


def test_a_region_showing_two_colours_is_split() -> None:
    regions = np.ones((10, 10), np.int32)
    colors = np.zeros((10, 10), np.int32)
    colors[:, 5:] = 1
    parts = split_by_color(regions, colors)
    assert len(np.unique(parts)) == 2
    assert len(np.unique(parts[:, :5])) == 1 and len(np.unique(parts[:, 5:])) == 1


def test_the_held_out_quarter_is_fixed_and_stratified() -> None:
    cases = [PhotoCase(Path(f"S{k}_top.jpg"), ColorMix({"red": 100})) for k in range(8)]
    cases += [PhotoCase(Path(f"M{k}_top.jpg"), ColorMix({"red": 50, "blue": 50})) for k in range(4)]
    held = held_out_photos(cases)
    assert held == held_out_photos(list(reversed(cases)))
    assert sum(name.startswith("S") for name in held) == 2 and sum(name.startswith("M") for name in held) == 1


def test_levels_keep_shadow_depth_and_lit_rank() -> None:
    red = load_palette()["red"]
    floor = floor_lightness(red, 8.0)
    lightness = np.concatenate([np.linspace(1.0, floor - 1.0, 50), np.linspace(floor, 70.0, 500)])
    levels = pixel_levels(lightness, red, 8.0)
    assert np.all(np.diff(levels.astype(int)) >= 0)  # darker pixels never get lighter levels
    assert levels[:50].max() < SHADOW_LEVELS <= levels[50:].min()
    lit_counts = np.bincount(levels[50:], minlength=LEVELS)[SHADOW_LEVELS:]
    assert lit_counts.max() - lit_counts.min() <= 2  # lit levels split the lit pixels evenly
    lab = level_lab(red, 8.0)
    assert lab.shape == (LEVELS, 3) and np.all(np.diff(lab[:, 0]) > 0)

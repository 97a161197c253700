"""The granule library: the shipped asset reads and is well-formed; the builder's steps on made-up images."""

import json
from pathlib import Path

import numpy as np
import pytest

from rubber_tile.colors.palette import load_palette
from rubber_tile.mix import ColorMix
from rubber_tile.preview.granule_levels import LEVELS, SHADOW_LEVELS, floor_lightness, level_lab, pixel_levels
from rubber_tile.preview.granule_library import (
    ALPHA_FULL,
    ALPHA_STEP,
    INDEX_NAME,
    SIDE_ALPHA,
    GranuleLibraryError,
    edge_partners,
    load_granule_library,
    read_library,
)
from rubber_tile_dev.evaluation.realism import PhotoCase
from rubber_tile_dev.granule_library import (
    Sheet,
    absorb_fragments,
    edge_blend,
    held_out_photos,
    split_by_color,
    split_merged,
    write_library,
)


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
    partners, alpha = edge_partners(ids)
    write_library([Sheet("a.jpg", ids, np.full((8, 8), 20, np.uint8), partners, alpha)], folder, "made up")


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


def test_a_region_showing_two_colors_is_split() -> None:
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


def _synthetic_data(folder: Path) -> Path:
    """Four single-colour product photos of made-up granules on white, with their manifest."""
    from PIL import Image

    from rubber_tile_dev.synthetic.palette_tiles import make_tile

    (folder / "photos").mkdir(parents=True)
    lines = ["file,kind,mix,complete"]
    for seed, name in enumerate(("red", "white", "blue", "yellow")):
        tile = make_tile({name: 100}, face_side=400, border=40, seed=seed)
        Image.fromarray(tile.rgb).save(folder / "photos" / f"{name.upper()}_top.png")
        lines.append(f"photos/{name.upper()}_top.png,photo,100% {name},yes")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_the_build_script_is_reproducible_and_can_leave_the_test_quarter_out(tmp_path: Path, capsys) -> None:
    import runpy

    main = runpy.run_path(str(Path(__file__).resolve().parent.parent / "scripts/eval/build_granule_library.py"), run_name="build")["main"]
    data = _synthetic_data(tmp_path / "data")
    assert main(["--data", str(data), "--out", str(tmp_path / "a")]) == 0
    assert main(["--data", str(data), "--out", str(tmp_path / "b")]) == 0
    for name in ("granule_ids.png", "granule_levels.png", "granule_edges.png", INDEX_NAME):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert len(read_library(tmp_path / "a").sheets) == 4
    assert main(["--data", str(data), "--out", str(tmp_path / "c"), "--leave-out-test-quarter"]) == 0
    library = read_library(tmp_path / "c")
    assert len(library.sheets) == 3 and "left out for the realism test" in (tmp_path / "c" / INDEX_NAME).read_text()
    assert main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "d")]) == 1
    assert "owner's data is not at" in capsys.readouterr().out


def test_layouts_come_from_the_library_in_use(tmp_path: Path) -> None:
    from rubber_tile.preview.render import render_layers, use_granule_library
    from rubber_tile.preview.settings import RenderSettings

    shipped = load_granule_library()
    sheets = [Sheet(name, s.ids, s.levels, s.partners, s.alpha) for name, s in zip(shipped.photos[:2], shipped.sheets[:2], strict=True)]
    write_library(sheets, tmp_path, "two sheets")
    settings = RenderSettings(size=256, seed=4)
    mix = ColorMix({"red": 60, "white": 40})
    before = render_layers(mix, settings)
    with use_granule_library(tmp_path):
        other = render_layers(mix, settings)
    after = render_layers(mix, settings)
    assert not np.array_equal(before.levels, other.levels)
    np.testing.assert_array_equal(before.levels, after.levels)  # the shipped library again, the same layout


def test_edge_pixels_get_the_granule_across_and_a_soft_share() -> None:
    ids = np.ones((6, 6), np.uint16)
    ids[:, 3:] = 2
    partners, alpha = edge_partners(ids)
    np.testing.assert_array_equal(partners[:, 2], 2)
    np.testing.assert_array_equal(partners[:, 3], 1)
    assert np.all(alpha[:, 2:4] == SIDE_ALPHA) and SIDE_ALPHA < ALPHA_FULL
    assert np.all(partners[:, [0, 1, 4, 5]] == 0) and np.all(alpha[:, [0, 1, 4, 5]] == ALPHA_FULL)
    # A partner that is not next to the pixel (a block laid elsewhere) is dropped, the edge found again.
    given = partners.copy()
    given[:, 2] = 7
    found, share = edge_partners(ids, given, alpha)
    np.testing.assert_array_equal(found[:, 2], 2)


def test_the_photos_own_blend_is_kept_where_two_colors_meet() -> None:
    # Two granules, red (L 50, a 50) and white (L 90, a 0), and a column between them that is half of each.
    lab = np.zeros((6, 7, 3))
    lab[:, :3] = (50.0, 50.0, 30.0)
    lab[:, 4:] = (90.0, 0.0, 5.0)
    lab[:, 3] = (70.0, 25.0, 17.5)
    granules = np.ones((6, 7), np.int64)
    granules[:, 4:] = 2
    partners, alpha = edge_blend(lab, granules, np.array([0, 0, 1]))
    np.testing.assert_array_equal(partners[:, 3], 2)
    assert np.all(np.abs(alpha[:, 3].astype(int) - ALPHA_FULL // 2) <= 2)  # half and half, measured
    np.testing.assert_array_equal(partners[:, 4], 1)


def test_the_library_file_keeps_partners_and_alpha(tmp_path: Path) -> None:
    ids = np.kron(np.arange(1, 5, dtype=np.uint16).reshape(2, 2), np.ones((4, 4), np.uint16))
    partners, alpha = edge_partners(ids)
    alpha[0, 3] = 100
    write_library([Sheet("a.jpg", ids, np.full((8, 8), 20, np.uint8), partners, alpha)], tmp_path, "made up")
    sheet = read_library(tmp_path).sheets[0]
    np.testing.assert_array_equal(sheet.partners, partners)
    assert np.all(np.abs(sheet.alpha.astype(int) - alpha) <= ALPHA_STEP // 2 + 1)


def test_a_region_far_larger_than_a_granule_is_split_at_its_lightness_maxima() -> None:
    y, x = np.mgrid[0:20, 0:40]
    lightness = 60.0 - 0.2 * np.minimum((x - 10) ** 2 + (y - 10) ** 2, (x - 30) ** 2 + (y - 10) ** 2)
    lab = np.stack([lightness, np.zeros_like(lightness), np.zeros_like(lightness)], axis=-1)
    parts = split_merged(np.ones((20, 40), np.int32), lab, above=100, height=1.0)
    assert len(np.unique(parts)) == 2 and parts[10, 5] != parts[10, 35]
    assert len(np.unique(split_merged(np.ones((20, 40), np.int32), lab, above=1000, height=1.0))) == 1


def test_photos_mostly_of_dark_colors_are_left_out() -> None:
    from rubber_tile_dev.granule_library import mostly_dark

    palette = load_palette()
    assert mostly_dark(ColorMix({"black": 100}), palette) and mostly_dark(ColorMix({"black": 60, "white": 40}), palette)
    assert not mostly_dark(ColorMix({"black": 40, "white": 60}), palette)
    assert not mostly_dark(ColorMix({"red": 100}), palette) and not mostly_dark(ColorMix({"yellow": 100}), palette)

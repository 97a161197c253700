"""The preview renderer (real granules from the library): determinism, exact shares, framings, limits, realism checks.

Renders are 256 px so that the whole file runs in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rubber_tile.colors.colorspace import linear_to_srgb, srgb_to_lab, srgb_to_linear
from rubber_tile.colors.palette import load_palette
from rubber_tile.colors.vocabulary import COLOR_NAMES
from rubber_tile.mix import ColorMix
from rubber_tile.preview.coloring import binder_linear
from rubber_tile.preview.colorize import assign_colors
from rubber_tile.preview.render import (
    FIRST_GRANULE_REGION,
    REGION_BACKGROUND,
    REGION_BINDER,
    SURFACE_TOP,
    render_layers,
)
from rubber_tile.preview.render import render_tile as render_mix
from rubber_tile.preview.settings import GRADES, MAX_SIZE, MIN_SIZE, RenderSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
SMALL = 256
MIX3 = {"red": 50.0, "black": 30.0, "pearl": 20.0}
MIX4 = {"blue": 10.0, "dark green": 10.0, "red": 10.0, "yellow": 70.0}
# Shares by visible area, in percentage points: the issue asks for 0.05.
SHARE_TOLERANCE_PP = 0.01


def render_tile(shares: dict[str, float], **settings):
    return render_mix(ColorMix(shares), **settings)


def _render(mix: dict[str, float], *, seed: int = 0, framing: str = "full_frame", grade: str = "standard"):
    return render_layers(ColorMix(mix), RenderSettings(size=SMALL, seed=seed, framing=framing, grade=grade))


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["full_frame", "product_photo"])
def test_same_arguments_give_the_same_image(framing: str) -> None:
    first = render_tile(MIX3, size=SMALL, seed=7, framing=framing)
    second = render_tile(MIX3, size=SMALL, seed=7, framing=framing)
    assert first.tobytes() == second.tobytes()


def test_another_seed_gives_another_image() -> None:
    first = np.asarray(render_tile(MIX3, size=SMALL, seed=1))
    second = np.asarray(render_tile(MIX3, size=SMALL, seed=2))
    assert (first != second).any(axis=2).mean() > 0.5


def test_the_layout_depends_on_the_seed_not_on_the_mix() -> None:
    # Geometry has its own random stream: two mixes with one seed share their granule outlines.
    first = _render(MIX3, seed=3)
    second = _render({"white": 100.0}, seed=3)
    np.testing.assert_array_equal(first.regions, second.regions)


# --- shares ------------------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["full_frame", "product_photo"])
@pytest.mark.parametrize(
    "mix",
    [MIX3, MIX4, {"white": 99.0, "red": 1.0}, {"black": 30.0, "white": 70.0}, {"sand": 33.3, "khaki": 33.3, "brown": 33.4}],
)
def test_shares_are_exact_by_area(mix: dict[str, float], framing: str) -> None:
    for seed in (0, 1):
        rendered = _render(mix, seed=seed, framing=framing)
        # Real granules are no smaller than a few pixels, so the last one that fills a colour's
        # share leaves up to a few pixels over: far inside SHARE_TOLERANCE_PP.
        for name, share in rendered.area_shares().items():
            assert abs(share - mix[name]) <= SHARE_TOLERANCE_PP, (name, share, mix[name], seed)


@pytest.mark.parametrize("crop", [(512, 256), (256, 512)])
def test_a_wide_or_tall_image_keeps_the_shares_exact_in_what_it_shows(crop: tuple[int, int]) -> None:
    mix = {"white": 97.0, "red": 3.0}
    settings_ = RenderSettings(size=512, seed=5, crop=crop)
    rendered = render_layers(ColorMix(mix), settings_)
    kept = rendered.color_of_region[rendered.regions[settings_.kept]]
    granule_pixels = int((kept >= 0).sum())
    for index, name in enumerate(rendered.colors):
        assert abs(100.0 * (kept == index).sum() / granule_pixels - mix[name]) <= SHARE_TOLERANCE_PP, name
    assert render_tile(mix, size=512, seed=5, crop=crop).size == crop


@settings(max_examples=60, deadline=None)
@given(
    areas=st.lists(st.integers(min_value=0, max_value=400), min_size=40, max_size=400),
    raw_fractions=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=1, max_size=5),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_assign_colors_hits_every_target_within_one_granule(
    areas: list[int], raw_fractions: list[float], seed: int
) -> None:
    area_array = np.array(areas, dtype=np.int64)
    fractions = np.array(raw_fractions) / sum(raw_fractions)
    order = np.random.default_rng(seed).permutation(len(areas))
    colors = assign_colors(area_array, order, fractions)
    assert colors.shape == area_array.shape
    assert colors.min() >= 0 and colors.max() < len(fractions)
    totals = np.bincount(colors, weights=area_array, minlength=len(fractions))
    targets = fractions * area_array.sum()
    assert np.abs(totals - targets).max() <= max(1, area_array.max())


def test_colors_are_spatially_mixed() -> None:
    # A 50/50 mix: every quarter of the image holds about half of each colour, as random packing
    # gives (about 1,400 granules per quarter), not clumps.
    rendered = _render({"red": 50.0, "white": 50.0}, seed=5)
    color_map = rendered.color_map()
    half = SMALL // 2
    for rows in (slice(0, half), slice(half, None)):
        for cols in (slice(0, half), slice(half, None)):
            quarter = color_map[rows, cols]
            red = (quarter == 0).sum() / (quarter >= 0).sum()
            assert 0.4 < red < 0.6


def test_neighbouring_granules_are_not_sorted_by_color() -> None:
    # Same-colour neighbours across granule boundaries occur about as often as chance predicts.
    rendered = _render({"red": 50.0, "white": 50.0}, seed=6)
    color_map = rendered.color_map()
    labels = rendered.regions // 2
    left, right = color_map[:, :-1], color_map[:, 1:]
    boundary = (labels[:, :-1] != labels[:, 1:]) & (left >= 0) & (right >= 0)
    same = (left[boundary] == right[boundary]).mean()
    assert 0.4 < same < 0.6


def test_edges_between_two_colors_blend_their_photo_boundary_instead_of_stepping() -> None:
    from rubber_tile.preview.granule_library import ALPHA_FULL
    from rubber_tile.preview.render import tile_geometry

    settings = RenderSettings(size=SMALL, seed=8)
    rendered = render_layers(ColorMix({"black": 50.0, "white": 50.0}), settings)
    geometry = tile_geometry(settings)
    colors = rendered.color_of_granule
    edge = (geometry.alpha < ALPHA_FULL) & (geometry.partners >= 0)
    assert np.all(geometry.partners[geometry.alpha < ALPHA_FULL] >= 0)  # a blend always has a partner
    black_on_white = edge & (colors[geometry.labels] == 0) & (colors[geometry.partners] == 1)
    assert black_on_white.mean() > 0.03
    lightness = srgb_to_lab(np.asarray(rendered.image, dtype=np.float64))[..., 0]
    inside_black = (geometry.alpha == ALPHA_FULL) & (colors[geometry.labels] == 0) & (geometry.levels == geometry.levels[black_on_white].min())
    # A black pixel blended with a white partner is lighter than black at its own level would be.
    by_level = {}
    for level in np.unique(geometry.levels[black_on_white]):
        plain = (geometry.alpha == ALPHA_FULL) & (colors[geometry.labels] == 0) & (geometry.levels == level)
        if plain.sum() >= 5:
            by_level[level] = (lightness[black_on_white & (geometry.levels == level)].mean(), lightness[plain].mean())
    assert inside_black.any() or by_level
    lighter = [blended > plain for blended, plain in by_level.values()]
    assert len(lighter) >= 5 and np.mean(lighter) > 0.8


def test_enlarged_edges_stay_as_narrow_as_the_photos() -> None:
    from rubber_tile.preview.composition import Canvas, resampled_edges
    from rubber_tile.preview.granule_library import ALPHA_FULL, edge_partners

    y, x = np.mgrid[0:40, 0:40]
    ids = np.where(x < 10 + 0.45 * y, 1, 2).astype(np.int32)  # a slanted edge: it crosses pixels at every offset
    partners, alpha = edge_partners(ids)
    canvas = Canvas(ids, np.zeros((40, 40), np.uint8), partners, alpha, np.zeros((40, 40), bool), 3)
    granules, found, shares = resampled_edges(canvas, 86, 2.15)
    blended = (shares > 0) & (shares < ALPHA_FULL)
    rows = slice(4, 82)
    assert np.all(np.diff(granules[rows].astype(int), axis=1) >= 0)  # one step from granule 1 to 2 in every row
    assert blended[rows].sum(axis=1).max() <= 2  # a ramp of a pixel or two, not 4-5 (2.15 x 2 canvas pixels)
    assert blended[rows].any(axis=1).mean() > 0.5  # but a ramp, not a stair of whole pixels
    assert np.all(found[blended] > 0)


# --- framings ----------------------------------------------------------------------------------


def test_full_frame_is_tile_face_edge_to_edge() -> None:
    rendered = _render(MIX3, framing="full_frame")
    assert rendered.image.size == (SMALL, SMALL) and rendered.image.mode == "RGB"
    assert not (rendered.regions == REGION_BACKGROUND).any()
    on_granules = (rendered.regions >= FIRST_GRANULE_REGION).mean()
    assert on_granules > 0.95  # thin binder gaps only


def test_product_photo_is_a_tile_on_white() -> None:
    rendered = _render(MIX3, framing="product_photo")
    rgb = np.asarray(rendered.image)
    assert rendered.image.size == (SMALL, SMALL) and rendered.image.mode == "RGB"
    corners = np.concatenate([rgb[:8, :8], rgb[:8, -8:], rgb[-8:, :8], rgb[-8:, -8:]]).reshape(-1, 3)
    assert corners.min() >= 250
    face = rendered.regions != REGION_BACKGROUND
    assert 0.6 < face.mean() < 0.85
    centre = rendered.regions[SMALL // 4 : 3 * SMALL // 4, SMALL // 4 : 3 * SMALL // 4]
    assert (centre != REGION_BACKGROUND).all()
    # The outline is ragged like a real tile's, not a ruler-straight square.
    columns_of_first_face_pixel = np.argmax(face[SMALL // 4 : 3 * SMALL // 4], axis=1)
    assert np.ptp(columns_of_first_face_pixel) >= 2


@pytest.mark.parametrize("framing", ["full_frame", "product_photo"])
def test_holes_show_crumb_in_shadow_not_binder(framing: str) -> None:
    rendered = _render({"white": 100.0}, framing=framing)
    face = rendered.regions != REGION_BACKGROUND
    assert (rendered.regions == REGION_BINDER).sum() / face.sum() < 0.005


def test_binder_color_reads_as_gap_to_the_analyzer() -> None:
    palette = load_palette()
    white_linear = srgb_to_linear(palette.srgb_array(["white"]))[0]
    binder = binder_linear(white_linear, palette.gap_lightness)
    lightness = srgb_to_lab(np.clip(linear_to_srgb(binder), 0, 255))[0]
    assert lightness < palette.gap_lightness


# --- sizes and inputs --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [MIN_SIZE - 1, MAX_SIZE + 1, 0, -5])
def test_sizes_outside_the_limits_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="between 256 and 2048"):
        render_tile(MIX3, size=size)


def test_size_limits_themselves_are_accepted() -> None:
    assert render_tile(MIX3, size=MIN_SIZE).size == (MIN_SIZE, MIN_SIZE)
    assert RenderSettings(size=MAX_SIZE).face_px == MAX_SIZE


def test_odd_size_renders_that_size() -> None:
    for framing in ("full_frame", "product_photo"):
        assert render_tile(MIX3, size=301, framing=framing).size == (301, 301)


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"redd": 50, "black": 50}, r"unknown colour 'redd': did you mean 'red'\?"),
        ({"Red": 100}, "canonical names"),
        ({"green": 100}, "'green' could be several tile colours"),
        ({"red": 60, "black": 30}, "add up to 90%, not 100%"),
        ({"red": 70, "black": 40}, "add up to 110%, not 100%"),
        ({"red": 110, "black": -10}, "no share can exceed 100%"),
        ({"red": float("nan"), "black": 50}, "give a number of percent"),
        ({"red": "50", "black": 50}, "give a number of percent"),
        ({}, "must be non-empty"),
    ],
)
def test_bad_shares_are_refused_with_a_clear_message(shares: dict, message: str) -> None:
    # The renderer takes a ColorMix, which cannot hold a bad mix: the refusal comes when it is made.
    with pytest.raises(ValueError, match=message):
        render_tile(shares, size=SMALL)


def test_zero_shares_are_refused_and_numpy_numbers_accepted() -> None:
    with pytest.raises(ValueError, match="above 0%"):
        ColorMix({"red": 100, "black": 0})
    assert dict(ColorMix({"red": np.int64(60), "black": np.float32(40.0)})) == {"red": 60.0, "black": 40.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"framing": "closeup"}, "framing must be one of"),
        ({"grade": "medium"}, "grade must be one of"),
        ({"seed": -1}, "seed must be"),
        ({"seed": True}, "seed must be"),
        ({"size": 512.0}, "whole number of pixels"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_tile(MIX3, **{"size": SMALL, **kwargs})


def test_all_29_colors_in_one_mix() -> None:
    mix = {name: 100.0 / len(COLOR_NAMES) for name in COLOR_NAMES}
    rendered = render_layers(ColorMix(mix), RenderSettings(size=512, seed=1))
    shares = rendered.area_shares()
    assert set(shares) == set(COLOR_NAMES)
    assert max(abs(share - 100.0 / len(COLOR_NAMES)) for share in shares.values()) < 0.01
    lightness = srgb_to_lab(np.asarray(rendered.image))[..., 0]
    color_map = rendered.color_map()
    for index in range(len(COLOR_NAMES)):
        assert lightness[color_map == index].std() > 3.0  # shaded granules, not a flat fill


# --- realism -----------------------------------------------------------------------------------


def test_coarser_grades_have_larger_granules() -> None:
    medians = []
    for grade in ("fine", "standard", "coarse"):
        rendered = render_layers(ColorMix({"white": 100.0}), RenderSettings(size=512, grade=grade))
        areas = np.bincount(rendered.labels[rendered.labels >= 0].ravel())
        medians.append(np.median(areas[areas > 0]))
    assert medians[0] < medians[1] < medians[2]
    assert set(GRADES) == {"fine", "standard", "coarse"}


@pytest.mark.parametrize("name", ["white", "red", "black", "sky blue", "sand"])
def test_lit_color_matches_the_palette(name: str) -> None:
    # Measured as the palette measures the photos: median CIELAB of the granule pixels whose
    # lightness lies in the 25th-95th percentile band of the face.
    palette = load_palette()
    rendered = render_layers(ColorMix({name: 100.0}), RenderSettings(size=SMALL, framing="product_photo", seed=2))
    lab = srgb_to_lab(np.asarray(rendered.image)[rendered.regions >= FIRST_GRANULE_REGION])
    granules = lab[lab[:, 0] >= palette.gap_lightness]
    low, high = np.percentile(granules[:, 0], (25.0, 95.0))
    lit = granules[(granules[:, 0] >= low) & (granules[:, 0] <= high)]
    delta_e = float(np.linalg.norm(np.median(lit, axis=0) - np.array(palette[name].lab)))
    assert delta_e < 3.0


def test_granule_tops_are_lit_and_shading_varies() -> None:
    rendered = _render({"pearl": 100.0}, seed=3)
    lightness = srgb_to_lab(np.asarray(rendered.image))[..., 0]
    top = lightness[rendered.surface == SURFACE_TOP]
    other = lightness[(rendered.surface != SURFACE_TOP) & (rendered.regions >= FIRST_GRANULE_REGION)]
    assert len(top) and len(other)
    assert np.percentile(lightness, 95) - np.percentile(lightness, 5) > 15.0


@pytest.mark.parametrize("framing", ["full_frame", "product_photo"])
@pytest.mark.parametrize("mix", [MIX3, MIX4, {"black": 30.0, "white": 70.0}])
def test_analyzer_reads_the_mix_back(mix: dict[str, float], framing: str) -> None:
    from rubber_tile.analyzer import measure_shares

    measured = measure_shares(render_tile(mix, size=512, framing=framing, seed=1), list(mix)).shares
    mean_error = np.mean([abs(measured[name] - share) for name, share in mix.items()])
    assert mean_error < 1.5, measured


# --- matte rubber, grades, framings ---------------------------------------------------


@pytest.mark.parametrize("name", ["white", "red", "black"])
def test_no_mirror_highlights_brighter_than_the_photo(name: str) -> None:
    # Matte rubber: the lightest granule pixels stay within the colour's own photo (its appearance
    # model's 99.9th percentile), plus the sensor noise.
    from rubber_tile.preview.coloring import appearance_lab_at_quantiles

    palette = load_palette()
    rendered = _render({name: 100.0}, seed=4)
    lightness = srgb_to_lab(np.asarray(rendered.image))[..., 0][rendered.labels >= 0]
    brightest = appearance_lab_at_quantiles(palette[name], np.array([0.999]), palette.gap_lightness)[0, 0]
    assert np.percentile(lightness, 99.9) <= brightest + 3.0


@pytest.mark.parametrize("framing", ["full_frame", "product_photo"])
def test_grades_are_ordered_by_granule_size_in_both_framings(framing: str) -> None:
    medians = []
    for grade in ("fine", "standard", "coarse"):
        rendered = render_layers(ColorMix({"white": 100.0}), RenderSettings(size=512, grade=grade, framing=framing))
        areas = np.bincount(rendered.labels[rendered.labels >= 0].ravel())
        medians.append(np.median(areas[areas > 0]))
    assert medians[0] < medians[1] < medians[2]


def test_the_layout_is_the_same_at_every_seed_use() -> None:
    # Two renders with one seed share their granule labels exactly, whatever the framing's crop.
    first = render_layers(ColorMix(MIX3), RenderSettings(size=SMALL, seed=9))
    second = render_layers(ColorMix(MIX4), RenderSettings(size=SMALL, seed=9))
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(first.levels, second.levels)


def test_a_kept_layout_gives_the_same_image_as_a_fresh_one_and_cannot_be_changed() -> None:
    from rubber_tile.preview.render import forget_kept_layouts, tile_geometry

    settings = RenderSettings(size=SMALL, seed=21)
    forget_kept_layouts()
    fresh = render_layers(ColorMix(MIX3), settings)
    assert tile_geometry(settings) is tile_geometry(settings)  # kept, not made again
    again = render_layers(ColorMix(MIX4), settings)  # same layout, another mix: the kept one
    forget_kept_layouts()
    uncached = render_layers(ColorMix(MIX4), settings)
    np.testing.assert_array_equal(np.asarray(again.image), np.asarray(uncached.image))
    np.testing.assert_array_equal(fresh.labels, uncached.labels)
    with pytest.raises(ValueError, match="read-only"):
        fresh.labels[0, 0] = 0

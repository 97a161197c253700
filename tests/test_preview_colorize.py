"""Stage 2 of the preview (colorize.py): what the browser mirrors to redraw a share change by itself."""

import numpy as np

from rubber_tile.colors.palette import load_palette
from rubber_tile.mix import ColorMix
from rubber_tile.preview.coloring import GRANULE_VARIANTS, SHADE_LEVELS
from rubber_tile.preview.colorize import assign_colors, color_table, mix_fractions, mix_table
from rubber_tile.preview.render import render_layers, tile_geometry
from rubber_tile.preview.settings import RenderSettings

SETTINGS = RenderSettings(size=256, seed=3)


def test_a_color_has_the_same_rows_in_every_mix() -> None:
    palette = load_palette()
    red_first = mix_table(ColorMix({"red": 60, "white": 40}), palette)
    red_second = mix_table(ColorMix({"white": 40, "red": 60}), palette)
    rows = GRANULE_VARIANTS * SHADE_LEVELS
    np.testing.assert_array_equal(red_first[:, :rows], red_second[:, rows : 2 * rows])
    np.testing.assert_array_equal(red_first[:, :rows], color_table(palette, "red").reshape(-1, 3).T)
    assert not np.array_equal(color_table(palette, "red"), color_table(palette, "white"))


def test_a_small_share_change_recolors_only_granules_near_the_boundary() -> None:
    geometry = tile_geometry(SETTINGS)
    before = assign_colors(geometry.areas, geometry.order, mix_fractions(ColorMix({"red": 50, "white": 50})))
    after = assign_colors(geometry.areas, geometry.order, mix_fractions(ColorMix({"red": 51, "white": 49})))
    moved_area = geometry.areas[before != after].sum()
    assert 0 < moved_area / geometry.areas.sum() < 0.02


def test_the_rule_only_needs_the_order_areas_and_shares() -> None:
    # The same layout coloured twice, and a shuffled copy of it, give the same colours per granule.
    geometry = tile_geometry(SETTINGS)
    fractions = mix_fractions(ColorMix({"red": 30, "black": 45, "pearl": 25}))
    colors = assign_colors(geometry.areas, geometry.order, fractions)
    shuffle = np.random.default_rng(0).permutation(len(geometry.areas))
    renamed = np.argsort(shuffle)  # granule g of the layout is granule renamed[g] of the copy
    shuffled_colors = assign_colors(geometry.areas[shuffle], renamed[geometry.order], fractions)
    np.testing.assert_array_equal(colors, shuffled_colors[renamed])
    rendered = render_layers(ColorMix({"red": 30, "black": 45, "pearl": 25}), SETTINGS)
    np.testing.assert_array_equal(rendered.color_of_granule, colors)


def test_fractions_add_left_to_right_from_the_normalized_shares() -> None:
    fractions = mix_fractions(ColorMix({"red": 33.3, "blue": 33.3, "white": 33.3}))
    assert abs(fractions.sum() - 1.0) < 1e-12
    assert np.all(fractions == fractions[0])

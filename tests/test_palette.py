from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from rubber_tile.colors.colorspace import lab_to_srgb
from rubber_tile.colors.palette import PALETTE_PATH, PaletteError, load_palette, parse_palette
from rubber_tile.colors.vocabulary import COLOR_NAMES, TILE_COLORS


def test_palette_has_every_tile_color_in_vocabulary_order() -> None:
    palette = load_palette()
    assert palette.names == COLOR_NAMES
    assert [c.code for c in palette.colors] == [c.code for c in TILE_COLORS]


def test_palette_srgb_agrees_with_its_lab() -> None:
    palette = load_palette()
    recomputed = lab_to_srgb(palette.lab_array())
    assert np.abs(recomputed - palette.srgb_array()).max() <= 1.0


def test_appearance_models_are_valid_gaussian_mixtures() -> None:
    for color in load_palette().colors:
        assert abs(sum(g.weight for g in color.appearance) - 1.0) < 0.01, color.name
        for gaussian in color.appearance:
            covariance = np.array(gaussian.covariance)
            np.testing.assert_allclose(covariance, covariance.T, atol=1e-6)
            assert np.linalg.eigvalsh(covariance).min() > 0, color.name
        assert all(s >= 0 for s in color.lab_spread)


def test_palette_lightness_follows_the_color_names() -> None:
    palette = load_palette()
    lightness = {name: palette[name].lab[0] for name in palette.names}
    assert lightness["black"] < lightness["dark gray"] < lightness["gray"] < lightness["light gray"] < lightness["white"]
    assert lightness["dark blue"] < lightness["blue"] < lightness["sky blue"]
    assert palette["red"].lab[1] > 30 and palette["blue"].lab[2] < -30 and palette["yellow"].lab[2] > 40


def test_unknown_name_lookup_says_what_is_known() -> None:
    with pytest.raises(KeyError, match="known: beige"):
        load_palette()["purple"]


def test_parse_palette_rejects_a_file_that_does_not_match_the_vocabulary() -> None:
    document = json.loads(PALETTE_PATH.read_text(encoding="utf-8"))
    missing = copy.deepcopy(document)
    missing["colors"] = missing["colors"][1:]
    with pytest.raises(PaletteError, match="missing"):
        parse_palette(missing)
    renamed = copy.deepcopy(document)
    renamed["colors"][0]["name"] = "purple"
    with pytest.raises(PaletteError, match="purple"):
        parse_palette(renamed)
    bad_srgb = copy.deepcopy(document)
    bad_srgb["colors"][0]["srgb"] = [300, 0, 0]
    with pytest.raises(PaletteError, match="0-255"):
        parse_palette(bad_srgb)

"""Colour spaces and distances: reference values, composition, the fast path against the exact one."""

from __future__ import annotations

import numpy as np

from rubber_tile.colors.colorspace import (
    lab_to_srgb,
    lab_to_srgb_fast,
    lab_to_srgb_uint8,
    lab_to_xyz,
    lightness_fast,
    linear_to_srgb,
    linear_to_xyz,
    srgb_to_lab,
    srgb_to_lab_fast,
    srgb_to_linear,
    xyz_to_lab,
    xyz_to_linear,
)
from rubber_tile.colors.distance import delta_e, pairwise_delta_e


def test_srgb_to_lab_matches_published_reference_values() -> None:
    # Reference values: Bruce Lindbloom's calculator, sRGB D65.
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 0, 255], [128, 128, 128]]))
    expected = np.array(
        [[100.0, 0.0, 0.0], [0.0, 0.0, 0.0], [53.24, 80.09, 67.20], [32.30, 79.19, -107.86], [53.59, 0.0, 0.0]]
    )
    np.testing.assert_allclose(lab, expected, atol=0.05)


def test_lab_srgb_round_trip_is_within_half_a_level() -> None:
    rgb = np.random.default_rng(1).integers(0, 256, size=(64, 64, 3))
    back = lab_to_srgb(srgb_to_lab(rgb))
    assert back.shape == rgb.shape
    assert np.abs(back - rgb).max() < 0.5


def test_lab_to_srgb_clips_out_of_gamut_colors() -> None:
    out = lab_to_srgb_uint8(np.array([[50.0, 120.0, -120.0], [120.0, 0.0, 0.0]]))
    assert out.dtype == np.uint8
    assert tuple(out[1]) == (255, 255, 255)


def test_each_conversion_inverts_its_partner() -> None:
    rng = np.random.default_rng(2)
    linear = rng.uniform(0.0, 1.0, (500, 3))
    np.testing.assert_allclose(srgb_to_linear(linear_to_srgb(linear)), linear, atol=1e-12)
    np.testing.assert_allclose(xyz_to_linear(linear_to_xyz(linear)), linear, atol=1e-12)
    xyz = linear_to_xyz(linear)
    np.testing.assert_allclose(lab_to_xyz(xyz_to_lab(xyz)), xyz, atol=1e-12)


def test_srgb_to_lab_is_the_composition_of_its_steps() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, (300, 3))
    np.testing.assert_array_equal(srgb_to_lab(rgb), xyz_to_lab(linear_to_xyz(srgb_to_linear(rgb))))


def test_fast_conversions_agree_with_the_exact_ones() -> None:
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (5000, 3), dtype=np.uint8)
    assert np.abs(srgb_to_lab_fast(rgb) - srgb_to_lab(rgb)).max() < 0.01
    assert np.abs(lightness_fast(rgb) - srgb_to_lab(rgb)[:, 0]).max() < 0.01
    lab = rng.uniform((0, -90, -90), (100, 90, 90), (5000, 3))
    assert np.abs(lab_to_srgb_fast(lab).astype(int) - lab_to_srgb_uint8(lab)).max() <= 1


def test_fast_encoding_hits_every_8_bit_level_exactly() -> None:
    grey = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    assert (lab_to_srgb_fast(srgb_to_lab(grey)) == grey).all()


def test_delta_e_is_euclidean_and_broadcasts() -> None:
    assert delta_e(np.array([50.0, 3.0, 4.0]), np.array([50.0, 0.0, 0.0])) == 5.0
    lab = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 12.0]])
    distances = pairwise_delta_e(lab)
    np.testing.assert_allclose(distances, distances.T)
    assert distances[0, 1] == 5.0 and distances[0, 2] == 12.0 and (np.diag(distances) == 0).all()

"""The installed view: a floor of tiles in perspective, built from any top-view textures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from rubber_tile import installed
from rubber_tile.installed import floor_points, render_installed, tile_placements


def _textures(count: int, side: int = 96) -> list[Image.Image]:
    rng = np.random.default_rng(count)
    return [Image.fromarray(rng.integers(60, 200, (side, side, 3), dtype=np.uint8)) for _ in range(count)]


def test_dimensions_and_determinism() -> None:
    textures = _textures(2)
    first = render_installed(textures, width=160, height=96, seed=4)
    assert first.size == (160, 96) and first.mode == "RGB"
    assert first.tobytes() == render_installed(textures, width=160, height=96, seed=4).tobytes()
    assert first.tobytes() != render_installed(textures, width=160, height=96, seed=5).tobytes()


def test_tiles_further_away_look_smaller() -> None:
    # Floor distance covered by one pixel row grows towards the top of the picture (the far end).
    x, y = floor_points(128, 128, yaw=0.0)
    rows_mm = np.abs(np.diff(y[:, 64]))
    assert rows_mm[0] > 3 * rows_mm[-1]
    assert np.all(np.diff(y[:, 64]) < 0)  # further up the picture is further ahead
    # Seen on a picture: seams (dark) are further apart at the bottom than at the top.
    image = np.asarray(render_installed(_textures(1), width=256, height=256, seed=1, tile_mm=500.0)).mean(axis=2)
    tile_x = np.floor((x + 0.0) / 500.0)
    assert len(np.unique(tile_x[-1])) <= len(np.unique(tile_x[0]))
    assert image.shape == (256, 256)


def test_seams_are_thin_and_dark() -> None:
    textures = [Image.new("RGB", (64, 64), (200, 60, 50))]
    image = np.asarray(render_installed(textures, width=256, height=192, seed=2)).astype(float)
    red = image[..., 0]
    assert (red < 120).mean() < 0.1  # seams are a small part of the floor
    assert (red < 120).mean() > 0.002  # but there are some


def test_neighbouring_tiles_never_lie_the_same_way() -> None:
    tile_x, tile_y = np.meshgrid(np.arange(6), np.arange(5))
    for seed in range(5):
        place = tile_placements(tile_x.astype(float), tile_y.astype(float), 1, seed)
        lie = (place["turns"] * 2 + place["mirror"]).reshape(5, 6)
        assert (lie[:, 1:] != lie[:, :-1]).all() and (lie[1:] != lie[:-1]).all()


def test_a_single_texture_is_laid_differently_on_neighbouring_tiles() -> None:
    # An asymmetric texture: a gradient from left to right. Neighbouring tiles turn or mirror it,
    # so the picture is not one tile repeated.
    ramp = np.tile(np.linspace(40, 220, 64, dtype=np.uint8)[None, :, None], (64, 1, 3))
    image = np.asarray(render_installed([Image.fromarray(ramp)], width=320, height=240, seed=3)).astype(float)
    assert image[..., 0].std() > 20


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"width": 10}, "width must be"), ({"height": 5000}, "height must be"), ({"tile_mm": 0.0}, "tile_mm must be positive")],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    arguments = {"width": 128, "height": 128, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        render_installed(_textures(1), **arguments)
    with pytest.raises(ValueError, match="at least one"):
        render_installed([], width=128, height=128, seed=0)


def test_the_light_falls_off_softly() -> None:
    x, y = floor_points(64, 64, yaw=0.0)
    light = installed.light_falloff(x, y, np.ones((64, 64), np.float32))
    assert 0.7 < light.min() < light.max() <= 1.0
    assert np.abs(np.diff(light, axis=0)).max() < 0.05  # soft: no step between rows


def test_the_picture_does_not_depend_on_how_it_is_cut_into_bands(monkeypatch) -> None:
    # Bands of a few rows (an odd pixel count: the level dither's stream must run on across bands) draw the
    # same picture as bands of many.
    textures = _textures(2)
    whole = render_installed(textures, width=331, height=200, seed=6).tobytes()
    monkeypatch.setattr(installed, "BAND_PIXELS", 331 * 3)
    assert render_installed(textures, width=331, height=200, seed=6).tobytes() == whole


@pytest.mark.parametrize(("width", "height", "yaw"), [(128, 128, 0.0), (300, 97, 0.4), (97, 300, -0.4)])
def test_the_footprint_from_the_rays_matches_the_floor_points_steps(width: int, height: int, yaw: float) -> None:
    x, y = (points.astype(np.float64) for points in floor_points(width, height, yaw))
    steps = [np.hypot(np.gradient(x, axis=axis), np.gradient(y, axis=axis)) for axis in (0, 1)]
    camera = installed.camera_rays(width, height)
    footprint = installed.footprint_px(camera, slice(None), np.float32(2.0))
    np.testing.assert_allclose(footprint, 2.0 * np.maximum(*steps), rtol=1e-3)
    # Every pixel's level (the dither adds up to one) lies in the range the atlas is built for.
    low, high = installed.level_range(camera, np.float32(2.0))
    levels = np.log2(np.maximum(footprint, 1.0))
    assert low <= np.floor(levels).min() and np.floor(levels + 0.999).max() <= high


def test_each_tiles_affine_map_lays_the_texture_as_the_turns_and_mirror_say() -> None:
    turns, mirror = np.repeat(np.arange(4), 2), np.tile(np.arange(2), 4)  # all 8 ways
    axes = installed.tile_axes(turns, mirror)
    rng = np.random.default_rng(1)
    u, v = rng.random((2, 8, 50))
    expected_u, expected_v = installed.oriented(u, v, turns[:, None], mirror[:, None])
    a = axes[:, :, None]
    np.testing.assert_allclose(a[0] + a[1] * u + a[2] * v, expected_u, atol=1e-6)
    np.testing.assert_allclose(a[3] + a[4] * u + a[5] * v, expected_v, atol=1e-6)
    # The 8 ways are 8 different maps.
    assert len({tuple(column) for column in axes.T}) == 8

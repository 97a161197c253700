"""The realism measures: texture features, the grouped two-sample test and its control."""

from __future__ import annotations

import numpy as np
import pytest

from rubber_tile.mix import ColorMix
from rubber_tile_dev.evaluation.realism import (
    FEATURE_NAMES,
    PatchSet,
    as_photographed,
    lbp_histogram,
    patch_features,
    real_halves,
    two_sample_accuracy,
)

pytest.importorskip("sklearn", reason="scikit-learn (requirements-dev.txt) runs the two-sample test")


def test_features_have_their_names_and_see_noise() -> None:
    rng = np.random.default_rng(0)
    smooth = np.full((64, 64, 3), 120, np.uint8)
    noisy = np.clip(120 + rng.normal(0, 12, (64, 64, 3)), 0, 255).astype(np.uint8)
    assert patch_features(smooth).shape == (len(FEATURE_NAMES),)
    noise = FEATURE_NAMES.index("pixel noise")
    assert patch_features(noisy)[noise] > patch_features(smooth)[noise] + 1.5
    assert lbp_histogram(noisy[..., 0].astype(float)).sum() == pytest.approx(1.0)


def _patches(shift: float, images: int = 20, per_image: int = 6) -> PatchSet:
    rng = np.random.default_rng(1)
    features = rng.normal(0, 1, (2 * images * per_image, 4))
    labels = np.repeat(np.tile([0, 1], images), per_image)
    features[labels == 1, 0] += shift
    groups = np.repeat(np.repeat(np.arange(images), 2), per_image)
    return PatchSet(features, groups, labels)


def test_the_two_sample_test_tells_apart_what_differs_and_not_what_does_not() -> None:
    apart = {r.classifier: r.accuracy for r in two_sample_accuracy(_patches(4.0))}
    alike = {r.classifier: r.accuracy for r in two_sample_accuracy(_patches(0.0))}
    assert min(apart.values()) > 0.9
    assert max(alike.values()) < 0.65


def test_the_control_splits_the_photos_only_by_whole_images() -> None:
    control = real_halves(_patches(4.0))
    assert set(np.unique(control.labels)) == {0, 1}
    for group in np.unique(control.groups):
        assert len(set(control.labels[control.groups == group])) == 1


def test_dark_green_is_read_as_green_apple_only_in_the_series() -> None:
    mix = ColorMix({"blue": 30, "dark green": 10, "red": 60})
    assert set(as_photographed(mix, True)) == {"blue", "green apple", "red"}
    assert as_photographed(mix, False) == mix

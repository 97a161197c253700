"""The visualiser's picture against the ray-cast truth (scripts/eval/visualiser_truth.py): the same
courtyard ray cast again with the surface really laid on the area, lit by the same sun and sky."""

from __future__ import annotations

import numpy as np
import pytest

from rubber_tile_dev.synthetic.courtyard import render
from rubber_tile_dev.synthetic.courtyard_scenes import courtyard_for_tests
from tests.support.scripts import load_script

truth = load_script("eval/visualiser_truth.py")
BLUE = np.zeros((64, 64, 3), np.uint8) + np.array([70, 120, 190], np.uint8)
RED = np.zeros((64, 64, 3), np.uint8) + np.array([170, 50, 40], np.uint8)


def middle_grey(x: np.ndarray, y: np.ndarray, albedo: np.ndarray) -> np.ndarray:
    """The ground a middle grey (0.18), keeping its pattern: what the visualiser takes a ground to be."""
    luminance = albedo @ np.array([0.2126, 0.7152, 0.0722])
    return albedo * (0.18 / np.mean(luminance))


@pytest.fixture(scope="module")
def grey_courtyard():
    scene = courtyard_for_tests(400, 300, seed=5)
    return scene, render(scene, middle_grey)


@pytest.fixture(scope="module", params=[(BLUE, True), (RED, False)], ids=["poured", "tiles"])
def figures(request, grey_courtyard) -> dict[str, float]:
    """The visualiser's picture against the laid slab's, once per surface for every test below."""
    scene, picture = grey_courtyard
    texture, seamless = request.param
    return truth.one_case(scene, picture, texture, seamless, middle_grey)


def test_on_a_middle_grey_ground_the_surface_is_as_bright_as_if_laid_there(figures) -> None:
    assert figures["sun"] == pytest.approx(1.0, abs=0.15), figures
    assert figures["shade"] == pytest.approx(1.0, abs=0.2), figures


def test_the_side_shows_and_the_ground_beside_it_darkens_no_more_than_the_truth(figures) -> None:
    # A side under the near edge, darker than the top, as the slab's; no knife edge on a poured surface.
    assert "side_true" in figures and 0.25 < figures["side_ours"] < 0.75, figures
    # The ground beside the edge: no wide dark halo (round 1 drew 24% where the truth has 6%).
    assert figures["ours_1-3"] <= 1.5 * figures["true_1-3"] + 1.0, figures
    assert figures["ours_4-12"] <= figures["true_4-12"] + 0.5, figures

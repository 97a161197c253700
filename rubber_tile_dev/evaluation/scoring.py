"""Scoring a measured mix against the asked one, and the plain nearest-colour count the reports set beside it.

Shares are percent; errors are measured minus asked, in percentage points (pp).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.distance import delta_e
from rubber_tile.colors.palette import Palette

# A photo whose measured shares fit its mix with the percentages moved between its own colours
# better than this (mean pp) than as labelled is flagged as probably mislabelled.
MISLABEL_MARGIN_PP = 5.0


@dataclass(frozen=True)
class MixScore:
    measured: dict[str, float]
    asked: dict[str, float]
    errors: dict[str, float]  # measured - asked, pp
    best_permuted_mean: float  # mean abs error if the asked percentages were reassigned among its colours

    @property
    def mean_abs(self) -> float:
        return statistics.fmean(abs(e) for e in self.errors.values())

    @property
    def max_abs(self) -> float:
        return max(abs(e) for e in self.errors.values())

    @property
    def probably_mislabelled(self) -> bool:
        return self.mean_abs > self.best_permuted_mean + MISLABEL_MARGIN_PP


def score_mix(measured: Mapping[str, float], asked: Mapping[str, float]) -> MixScore:
    """Errors per asked colour, and the best mean error over every reassignment of the asked percentages."""
    errors = {name: measured.get(name, 0.0) - percent for name, percent in asked.items()}
    names = list(asked)
    best = min(
        statistics.fmean(
            abs(measured.get(name, 0.0) - percent) for name, percent in zip(names, permutation, strict=True)
        )
        for permutation in itertools.permutations(asked.values())
    )
    return MixScore(dict(measured), dict(asked), errors, best)


def mean_abs_error(measured: Mapping[str, float], asked: Mapping[str, float]) -> float:
    """Mean over the asked colours of |measured - asked| (a colour not measured counts as 0%)."""
    return statistics.fmean(abs(measured.get(name, 0.0) - percent) for name, percent in asked.items())


def per_color_mean_abs(scores: Sequence[MixScore]) -> float:
    """Mean abs error over every colour of every score (NaN for none)."""
    return statistics.fmean(abs(e) for score in scores for e in score.errors.values()) if scores else float("nan")


def nearest_color_index(lab: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Index of the nearest of `references` (M, 3) for each CIELAB colour in `lab` (..., 3)."""
    return np.argmin(delta_e(lab[..., None, :], references), axis=-1)


def nearest_color_shares(rgb: np.ndarray, names: Sequence[str], palette: Palette) -> dict[str, float]:
    """Percent of the sRGB pixels (..., 3) whose nearest palette colour among `names` is each one (CIELAB)."""
    lab = srgb_to_lab(rgb.reshape(-1, 3))
    counts = np.bincount(nearest_color_index(lab, palette.lab_array(list(names))), minlength=len(names))
    return {name: 100.0 * count / counts.sum() for name, count in zip(names, counts, strict=True)}

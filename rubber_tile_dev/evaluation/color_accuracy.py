"""How well the analyzer reads the owner's photos and model outputs (docs/color_accuracy.md).

Every manifest entry is measured in open mode and, where its label is a mix, with its colours
given; the photos' mixes are the truth (by mass), the model outputs' the mix that was asked.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.analyzer import classify_pixels, measure_shares
from rubber_tile.colors.palette import Palette
from rubber_tile.images import as_rgb_array
from rubber_tile.mix import MixError

from .owner_data import LABEL_CUT_SHORT, ManifestEntry, asked_mix, short_reason
from .scoring import MixScore, nearest_color_shares, score_mix


@dataclass(frozen=True)
class EntryResult:
    entry: ManifestEntry
    asked: dict[str, float] | None  # normalised to 100; None where the label is no mix
    problem: str  # why the entry could not be scored against its mix; empty when it could
    given: MixScore | None  # the analyzer with the asked colours given
    baseline: MixScore | None  # nearest_color_baseline
    open_shares: dict[str, float]
    right_fraction: float | None  # single-colour photos: share of granule pixels labelled right
    seconds: float  # the open-mode measurement


@dataclass(frozen=True)
class OpenModeCounts:
    """Colours open mode reported, against the asked ones, over a set of entries."""

    right: int
    extra: int
    missed: int
    extra_by_color: Counter[str]
    missed_by_color: Counter[str]

    @property
    def precision(self) -> float:
        return ratio(self.right, self.right + self.extra)

    @property
    def recall(self) -> float:
        return ratio(self.right, self.right + self.missed)


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def nearest_color_baseline(rgb: np.ndarray, colors: list[str], palette: Palette) -> dict[str, float]:
    """The plain method: central half of the image, each pixel to the nearest typical colour (CIELAB)."""
    height, width = rgb.shape[:2]
    return nearest_color_shares(rgb[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4], colors, palette)


def read_asked(entry: ManifestEntry) -> tuple[dict[str, float] | None, str]:
    """The entry's mix normalised to 100, or None and why not."""
    if not entry.complete:
        return None, LABEL_CUT_SHORT
    try:
        return dict(asked_mix(entry).normalized), ""
    except MixError as error:
        return None, short_reason(error)


def right_label_fraction(rgb: np.ndarray, name: str) -> float:
    """Share of the granule pixels that open mode labels with `name`."""
    labels, _ = classify_pixels(rgb)
    right = labels.mask(name).sum() if name in labels.colors else 0
    return float(right / (labels.labels >= 0).sum())


def evaluate_entry(entry: ManifestEntry, data_dir: Path, palette: Palette) -> EntryResult:
    rgb = as_rgb_array(Image.open(data_dir / entry.file))
    asked, problem = read_asked(entry)
    started = time.perf_counter()
    open_result = measure_shares(rgb)
    seconds = time.perf_counter() - started
    given = baseline = None
    right_fraction = None
    if asked is not None:
        given = score_mix(measure_shares(rgb, list(asked)).shares, asked)
        baseline = score_mix(nearest_color_baseline(rgb, list(asked), palette), asked)
        if len(asked) == 1:
            right_fraction = right_label_fraction(rgb, next(iter(asked)))
    return EntryResult(entry, asked, problem, given, baseline, open_result.shares, right_fraction, seconds)


def open_mode_counts(results: Sequence[EntryResult]) -> OpenModeCounts:
    right = extra = missed = 0
    extra_by_color: Counter[str] = Counter()
    missed_by_color: Counter[str] = Counter()
    for result in results:
        found = set(result.open_shares)
        truth = set(result.asked or {})
        right += len(found & truth)
        extra += len(found - truth)
        missed += len(truth - found)
        extra_by_color.update(found - truth)
        missed_by_color.update(truth - found)
    return OpenModeCounts(right, extra, missed, extra_by_color, missed_by_color)

"""How the colour lock does on the owner's model outputs (docs/color_lock.md).

For every model output whose label is complete and names known colours: the analyzer's shares and
a plain nearest-palette count (every pixel, gaps included, to the nearest asked colour's palette
colour) before and after the lock, SSIM of the CIELAB lightness between before and after (and its
structure term alone), how even the result is over a grid of blocks, and the lock's time.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.analyzer import measure_shares
from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.palette import Palette
from rubber_tile.images import as_rgb_array
from rubber_tile.lock import LockResult, lock_colors
from rubber_tile.mix import ColorMix, MixError

from .metrics import lightness_ssim_terms
from .owner_data import LABEL_CUT_SHORT, ManifestEntry, asked_mix, short_reason
from .scoring import nearest_color_index, nearest_color_shares

EVENNESS_BLOCKS = 4
# A pair of (old, new) colours with fewer recoloured pixels than this is left out of the correlation.
MIN_PAIR_PIXELS = 100


@dataclass(frozen=True)
class LockScore:
    file: str
    asked: dict[str, float]  # normalised to 100
    analyzer_before: dict[str, float]
    analyzer_after: dict[str, float]
    plain_before: dict[str, float]
    plain_after: dict[str, float]
    ssim: float
    ssim_structure: float
    block_deviation_pp: float  # mean over blocks and colours of |block share - asked|, after
    moved_percent: float
    recolored_lightness_correlation: float  # before vs after lightness over the pixels that changed colour
    result: LockResult
    seconds: float


def recolored_lightness_correlation(
    before: np.ndarray, after: np.ndarray, names: list[str], palette: Palette
) -> float:
    """Correlation of lightness before and after over the pixels that changed colour.

    A pixel changed colour when its nearest asked palette colour (CIELAB) differs before and
    after. Taken per (old, new) colour pair and averaged by pixel count, since granules that
    went to white and to black move lightness in opposite ways. Near 1 when recoloured granules
    keep their shading, edges and highlights.
    """
    references = palette.lab_array(names)
    old_lab, new_lab = srgb_to_lab(before.reshape(-1, 3)), srgb_to_lab(after.reshape(-1, 3))
    old_color, new_color = nearest_color_index(old_lab, references), nearest_color_index(new_lab, references)
    correlations, weights = [], []
    for old in range(len(names)):
        for new in range(len(names)):
            pair = (old_color == old) & (new_color == new)
            if old != new and pair.sum() >= MIN_PAIR_PIXELS:
                correlations.append(np.corrcoef(old_lab[pair, 0], new_lab[pair, 0])[0, 1])
                weights.append(pair.sum())
    return float(np.average(correlations, weights=weights)) if weights else float("nan")


def block_deviation(rgb: np.ndarray, asked: dict[str, float]) -> float:
    """Mean over EVENNESS_BLOCKS x EVENNESS_BLOCKS blocks and the asked colours of |block share - asked|."""
    height, width = rgb.shape[:2]
    deviations = []
    for row in range(EVENNESS_BLOCKS):
        for col in range(EVENNESS_BLOCKS):
            block = rgb[
                row * height // EVENNESS_BLOCKS : (row + 1) * height // EVENNESS_BLOCKS,
                col * width // EVENNESS_BLOCKS : (col + 1) * width // EVENNESS_BLOCKS,
            ]
            shares = measure_shares(block, list(asked)).shares
            deviations += [abs(shares[name] - percent) for name, percent in asked.items()]
    return statistics.fmean(deviations)


def lockable_outputs(entries: tuple[ManifestEntry, ...]) -> tuple[list[tuple[str, ColorMix]], list[tuple[str, str]]]:
    """(file, asked mix) for the model outputs the lock can take, and (file, reason) for the others."""
    lockable, skipped = [], []
    for entry in entries:
        if not entry.is_model_output:
            continue
        if not entry.complete:
            skipped.append((entry.file, LABEL_CUT_SHORT))
            continue
        try:
            lockable.append((entry.file, asked_mix(entry)))
        except MixError as error:
            skipped.append((entry.file, f"label not a mix the lock takes ({short_reason(error)})"))
    return lockable, skipped


def score_lock(file: str, mix: ColorMix, data_dir: Path, palette: Palette) -> LockScore:
    """Lock one model output to its asked mix and measure before and after."""
    rgb = as_rgb_array(Image.open(data_dir / file))
    asked = dict(mix.normalized)
    names = list(asked)
    started = time.perf_counter()
    result = lock_colors(rgb, mix, palette=palette)
    seconds = time.perf_counter() - started
    after = np.asarray(result.image)
    ssim, structure = lightness_ssim_terms(rgb, after)
    return LockScore(
        file=file,
        asked=asked,
        analyzer_before=measure_shares(rgb, names, palette=palette).shares,
        analyzer_after=measure_shares(after, names, palette=palette).shares,
        plain_before=nearest_color_shares(rgb, names, palette),
        plain_after=nearest_color_shares(after, names, palette),
        ssim=ssim,
        ssim_structure=structure,
        block_deviation_pp=block_deviation(after, asked),
        moved_percent=sum(move.percent for move in result.moves),
        recolored_lightness_correlation=recolored_lightness_correlation(rgb, after, names, palette),
        result=result,
        seconds=seconds,
    )

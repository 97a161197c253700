"""Proportions of the preview renderer: every test mix rendered and measured back two ways.

The analyzer (`measure_shares` with the mix's colours; target: mean absolute error <= 1.5 pp) and a
plain nearest-palette count over the whole face, gaps included (target: every colour within 5 pp).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rubber_tile.analyzer import find_tile_face, measure_shares
from rubber_tile.colors.palette import Palette
from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import render_layers
from rubber_tile.preview.settings import FRAMINGS, RenderSettings

from .preview_cases import ANALYZER_TARGET_PP, FRAMING_SIZES, NEAREST_TARGET_PP
from .scoring import nearest_color_shares


@dataclass(frozen=True)
class ProportionResult:
    mix: ColorMix
    framing: str
    seed: int
    area_max_error_pp: float  # the renderer's own granule areas
    analyzer_mae_pp: float
    analyzer_max_pp: float
    nearest_mae_pp: float
    nearest_max_pp: float

    @property
    def misses_a_target(self) -> bool:
        return self.nearest_max_pp > NEAREST_TARGET_PP or self.analyzer_mae_pp > ANALYZER_TARGET_PP


def face_nearest_shares(rgb: np.ndarray, names: list[str], palette: Palette) -> dict[str, float]:
    """Percent of the face's pixels (gaps included) nearest in CIELAB to each of the mix's colours."""
    return nearest_color_shares(rgb[find_tile_face(rgb)], names, palette)


def evaluate_proportions(mix: ColorMix, framing: str, seed: int, palette: Palette) -> ProportionResult:
    rendered = render_layers(mix, RenderSettings(size=FRAMING_SIZES[framing], seed=seed, framing=framing), palette)
    rgb = np.asarray(rendered.image)
    names = list(mix)
    area = rendered.area_shares()
    measured = measure_shares(rgb, names, palette=palette).shares
    nearest = face_nearest_shares(rgb, names, palette)
    analyzer_errors = [abs(measured[name] - mix[name]) for name in names]
    nearest_errors = [abs(nearest[name] - mix[name]) for name in names]
    return ProportionResult(
        mix=mix,
        framing=framing,
        seed=seed,
        area_max_error_pp=max(abs(area[name] - mix[name]) for name in names),
        analyzer_mae_pp=float(np.mean(analyzer_errors)),
        analyzer_max_pp=max(analyzer_errors),
        nearest_mae_pp=float(np.mean(nearest_errors)),
        nearest_max_pp=max(nearest_errors),
    )


def evaluate_mix(mix: ColorMix, seeds: int, palette: Palette) -> list[ProportionResult]:
    """The mix in both framings and `seeds` seeds."""
    return [evaluate_proportions(mix, framing, seed, palette) for framing in FRAMINGS for seed in range(seeds)]


def mixes_missing_a_target(results: Sequence[ProportionResult], mixes: Sequence[ColorMix]) -> list[ColorMix]:
    """The mixes with a render that misses a target, in the order given."""
    return [mix for mix in mixes if any(r.mix == mix and r.misses_a_target for r in results)]


def proportions_section(title: str, results: list[ProportionResult], mixes: Sequence[ColorMix]) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "Per mix: worst over framings and seeds. Analyzer: `measure_shares(image, colours)`, mean absolute "
        "error over the mix's colours. Nearest: plain nearest-palette count (CIELAB) of every face pixel, "
        "gaps included. Area: the renderer's own granule areas.",
        "",
        "| mix | area, max pp | analyzer MAE pp (full frame / photo) | nearest max pp (full frame / photo) |",
        "|---|---:|---:|---:|",
    ]
    for mix in mixes:
        rows = [r for r in results if r.mix == mix]
        by_framing = {f: [r for r in rows if r.framing == f] for f in FRAMINGS}
        analyzer = " / ".join(f"{max(r.analyzer_mae_pp for r in by_framing[f]):.2f}" for f in FRAMINGS)
        nearest = " / ".join(f"{max(r.nearest_max_pp for r in by_framing[f]):.1f}" for f in FRAMINGS)
        lines.append(f"| {mix.describe()} | {max(r.area_max_error_pp for r in rows):.3f} | {analyzer} | {nearest} |")
    analyzer_ok = sum(r.analyzer_mae_pp <= ANALYZER_TARGET_PP for r in results)
    nearest_ok = sum(r.nearest_max_pp <= NEAREST_TARGET_PP for r in results)
    nearest_mae_ok = sum(r.nearest_mae_pp <= NEAREST_TARGET_PP for r in results)
    return [
        *lines,
        "",
        f"- renders: {len(results)}; analyzer MAE <= {ANALYZER_TARGET_PP} pp: {analyzer_ok}/{len(results)} "
        f"(worst {max(r.analyzer_mae_pp for r in results):.2f} pp, mean {np.mean([r.analyzer_mae_pp for r in results]):.2f} pp)",
        f"- nearest-palette count, every colour within {NEAREST_TARGET_PP:g} pp: {nearest_ok}/{len(results)} "
        f"(worst colour {max(r.nearest_max_pp for r in results):.1f} pp); mean error within {NEAREST_TARGET_PP:g} pp: "
        f"{nearest_mae_ok}/{len(results)}",
        f"- granule areas: worst {max(r.area_max_error_pp for r in results):.4f} pp off the asked share",
        "",
    ]

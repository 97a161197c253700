"""Colour of the preview renderer: each colour's lit CIELAB on a render against the palette.

Measured as the palette build measures the photos (palette_fit.lit_lab); target deltaE <= 3.
"""

from __future__ import annotations

import numpy as np

from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.distance import delta_e
from rubber_tile.colors.palette import Palette
from rubber_tile.colors.vocabulary import COLOR_NAMES
from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import FIRST_GRANULE_REGION, render_layers
from rubber_tile.preview.settings import RenderSettings

from .palette_fit import lit_lab
from .preview_cases import DELTA_E_TARGET, TEST_MIXES


def in_mix_delta_e(palette: Palette, seeds: int) -> dict[str, list[float]]:
    """Colour -> deltaE of its own granules' lit colour in each full-frame test-mix render it is in."""
    found: dict[str, list[float]] = {}
    for mix in TEST_MIXES:
        for seed in range(seeds):
            rendered = render_layers(mix, RenderSettings(size=1024, seed=seed), palette)
            lab = srgb_to_lab(np.asarray(rendered.image))
            color_map = rendered.color_map()
            for index, name in enumerate(rendered.colors):
                measured = lit_lab(lab[color_map == index], palette.gap_lightness)
                found.setdefault(name, []).append(float(delta_e(measured, palette[name].lab)))
    return found


def single_color_delta_e(name: str, palette: Palette) -> float:
    """DeltaE of the lit colour of a 640 px single-colour product-photo render against the palette."""
    rendered = render_layers(ColorMix({name: 100.0}), RenderSettings(size=640, framing="product_photo"), palette)
    lab = srgb_to_lab(np.asarray(rendered.image)[rendered.regions >= FIRST_GRANULE_REGION])
    return float(delta_e(lit_lab(lab, palette.gap_lightness), palette[name].lab))


def color_section(palette: Palette, seeds: int) -> list[str]:
    lines = [
        "### Colour: lit CIELAB of the rendered granules against the palette",
        "",
        "Single-colour product photos (640 px) and every colour inside the test mixes (its own granules, "
        "full frame 1024 px), measured like the palette itself: median CIELAB of the granule pixels in the "
        "25th-95th lightness percentiles. Target deltaE (CIE76) <= 3.",
        "",
        "| colour | palette L, a, b | single colour: deltaE | in mixes: worst deltaE |",
        "|---|---|---:|---:|",
    ]
    in_mixes = in_mix_delta_e(palette, seeds)
    singles = []
    for name in COLOR_NAMES:
        singles.append(single_color_delta_e(name, palette))
        reference = ", ".join(f"{v:.1f}" for v in palette[name].lab)
        mixed = f"{max(in_mixes[name]):.2f}" if name in in_mixes else "-"
        lines.append(f"| {name} | {reference} | {singles[-1]:.2f} | {mixed} |")
    worst_mixed = max(max(v) for v in in_mixes.values())
    return [
        *lines,
        "",
        f"- single colours within deltaE {DELTA_E_TARGET:g}: {sum(d <= DELTA_E_TARGET for d in singles)}/{len(singles)} "
        f"(worst {max(singles):.2f}); colours in mixes: worst {worst_mixed:.2f}",
        "",
    ]

"""The analyzer held out from its own palette: every single-colour photo cut in two, appearance
models fitted on the left halves, the right halves measured with them (so no photo is measured
with its own model).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rubber_tile.analyzer import classify_pixels, find_tile_face, measure_shares
from rubber_tile.colors.colorspace import srgb_to_lab
from rubber_tile.colors.palette import Palette, load_palette, parse_palette
from rubber_tile.images import as_rgb_array
from rubber_tile.mix import MixError

from .owner_data import ManifestEntry, asked_mix
from .palette_fit import measure_pixels, palette_document

# Confusable pair: a single-colour photo measured as a mix of its colour and the other gives the
# other at least this share.
CONFUSION_SHARE = 5.0
# A face-only rectangle narrower or lower than this (px) is no rectangle.
MIN_HALF_SIDE_PX = 16


@dataclass(frozen=True)
class HeldOutResult:
    right_fraction: dict[str, float]  # colour -> share of its right half labelled with it, open mode
    open_shares: dict[str, dict[str, float]]  # colour -> open-mode shares of its right half
    pairs: list[tuple[str, str, float]]  # (colour, other, share the other takes in a two-colour fit)


def face_halves(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left and right halves of the largest face-only rectangle of a photo (no background left)."""
    face = find_tile_face(rgb)
    rows, cols = np.flatnonzero(face.any(axis=1)), np.flatnonzero(face.any(axis=0))
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    while not face[top:bottom, left:right].all():
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
        if bottom - top < MIN_HALF_SIDE_PX or right - left < MIN_HALF_SIDE_PX:
            raise ValueError("no face-only rectangle found")
    box = rgb[top:bottom, left:right]
    middle = box.shape[1] // 2
    return box[:, :middle], box[:, middle:]


def single_color_photos(entries: Sequence[ManifestEntry]) -> list[tuple[str, ManifestEntry]]:
    """(colour, entry) for every photo whose mix is a single colour."""
    photos = []
    for entry in entries:
        if entry.kind != "photo":
            continue
        try:
            mix = asked_mix(entry)
        except MixError:
            continue
        if len(mix) == 1:
            photos.append((mix.colors[0], entry))
    return photos


def _confusions(right: np.ndarray, name: str, palette: Palette) -> list[tuple[str, str, float]]:
    """(name, other, share) for each other colour that takes CONFUSION_SHARE or more of a two-colour fit."""
    pairs = []
    for other in palette.names:
        if other != name:
            share = measure_shares(right, [name, other], palette=palette).shares[other]
            if share >= CONFUSION_SHARE:
                pairs.append((name, other, share))
    return pairs


def held_out_check(data_dir: Path, entries: Sequence[ManifestEntry]) -> HeldOutResult | None:
    """None where the manifest lacks some colour's single-colour photo (the palette needs all)."""
    photos = single_color_photos(entries)
    if {name for name, _ in photos} != set(load_palette().names):
        return None
    left_entries, right_halves = [], {}
    for name, entry in photos:
        left, right = face_halves(as_rgb_array(Image.open(data_dir / entry.file)))
        left_entries.append({"name": name, "code": "", **measure_pixels(srgb_to_lab(left.reshape(-1, 3)))})
        right_halves[name] = right
    held_out = parse_palette(palette_document(left_entries))
    right_fraction, open_shares, pairs = {}, {}, []
    for name, right in right_halves.items():
        labels, shares = classify_pixels(right, palette=held_out)
        granule = labels.labels >= 0
        right_fraction[name] = float(labels.mask(name).sum() / granule.sum()) if name in labels.colors else 0.0
        open_shares[name] = shares.shares
        pairs += _confusions(right, name, held_out)
    return HeldOutResult(right_fraction, open_shares, sorted(pairs, key=lambda pair: -pair[2]))

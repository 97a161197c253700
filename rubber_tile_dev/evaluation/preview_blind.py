"""Blind pairs for a person to judge: a crop of an owner photo beside a crop of a render of its mix.

Both crops are the same size, from the tile face, at the photos' scale (640 px product photo);
the render goes through JPEG at the photos' quality. Only the held-out quarter of the photos is
used, and the renders come from a granule library built without them (so no pair shows a photo's own granules). Left or right is random; the halves are
labelled only "A" and "B", and the answer key is written to a separate file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from rubber_tile.analyzer import find_tile_face

from .realism import held_out_renders, read_rgb, render_like

CROP_PX = 192
LABEL_HEIGHT = 28
GAP_PX = 12


def face_crop(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random CROP_PX square lying wholly on the tile face, away from its edge."""
    face = ndimage.binary_erosion(find_tile_face(rgb), iterations=16)
    rows, columns = np.nonzero(face)
    top = int(rng.integers(rows.min(), max(rows.min() + 1, rows.max() - CROP_PX)))
    left = int(rng.integers(columns.min(), max(columns.min() + 1, columns.max() - CROP_PX)))
    return rgb[top : top + CROP_PX, left : left + CROP_PX]


def pair_image(first: np.ndarray, second: np.ndarray) -> Image.Image:
    """Two crops side by side under the labels A and B."""
    sheet = Image.new("RGB", (2 * CROP_PX + GAP_PX, CROP_PX + LABEL_HEIGHT), "white")
    sheet.paste(Image.fromarray(first), (0, LABEL_HEIGHT))
    sheet.paste(Image.fromarray(second), (CROP_PX + GAP_PX, LABEL_HEIGHT))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=20)
    draw.text((CROP_PX // 2 - 6, 2), "A", fill="black", font=font)
    draw.text((CROP_PX + GAP_PX + CROP_PX // 2 - 6, 2), "B", fill="black", font=font)
    return sheet


def write_blind_pairs(data_dir: Path, out_dir: Path, key_path: Path, count: int, seed: int) -> int:
    """Write `count` pair PNGs into out_dir and the key (which side is the photo) to key_path: held-out
    photos only, rendered from a granule library built without them (realism.held_out_renders)."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = {}
    with held_out_renders(data_dir) as cases:
        chosen = rng.choice(len(cases), size=count, replace=count > len(cases))
        for number, case_index in enumerate(chosen.tolist(), start=1):
            case = cases[case_index]
            photo = face_crop(read_rgb(case.path), rng)
            render = face_crop(render_like(case, seed * 1000 + number), rng)
            photo_first = bool(rng.integers(0, 2))
            pair = pair_image(photo, render) if photo_first else pair_image(render, photo)
            name = f"pair_{number:02d}.png"
            pair.save(out_dir / name)
            key[name] = {"photo": "A" if photo_first else "B", "source": case.path.name, "mix": case.mix.describe()}
    key_path.write_text(json.dumps(key, indent=2, sort_keys=True), encoding="utf-8")
    return len(key)

"""What the command-line scripts share: user errors, reading an image, a --mix option."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .mix import ColorMix, MixError, parse_mix


class UserError(Exception):
    """Something the user has to fix; printed as one line, no stack trace."""


def load_image(path: Path) -> Image.Image:
    if not path.is_file():
        raise UserError(f"image not found: {path}")
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: convert("RGB") would clip, not scale
                grey = (np.asarray(image, dtype=np.float64) / 257.0).clip(0, 255).astype(np.uint8)
                return Image.fromarray(grey).convert("RGB")
            return image.convert("RGB")
    except Image.DecompressionBombError as error:
        raise UserError(f"{path} is too large to measure ({error}); scale it down to at most 4096 px a side") from None
    except (UnidentifiedImageError, OSError) as error:
        raise UserError(f"cannot read {path} as an image: {error}") from None


def mix_option(text: str) -> ColorMix:
    """The --mix option, read as a customer's mix."""
    try:
        return parse_mix(text)
    except MixError as error:
        raise UserError(f"--mix: {error}") from None

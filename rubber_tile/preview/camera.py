"""The camera's part of the picture: a slight softening, sensor noise where the photos' pixels are
enlarged, and a product photo's bevel light and drop shadow.

The composed face is the photos' own pixels (their optics, demosaicing, noise and JPEG): at their
scale it needs no noise of its own, only a slight softening (the cut and re-laid pixels are a
touch crisper than the photos), and more where two blocks of granules meet (seams). Enlarged
past ENLARGED_SCALE the photos' grain is spread over several pixels: sensor noise puts it back.
A product photo's tile casts a faint soft shadow on the white sweep towards the lower right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

# Softening: each pixel moves this share of the way to its 1-2-1 blur, by softness class
# (composition.py: inside a granule, a block seam, a granule's edge).
SOFTENING_BY_CLASS = (0.2, 0.5, 0.0)
# Sensor noise (sigma, sRGB levels, luminance) where the photos' pixels are enlarged this much or more.
ENLARGED_SCALE = 1.2
SENSOR_NOISE_LEVELS = 2.5
# Product photo: the tile's shadow on the background, offset towards the lower right and soft
# (px at a 640 px image, scaled with the size), and how much light it takes at most.
DROP_SHADOW_OFFSET_PX = 3.0
DROP_SHADOW_SOFTNESS_PX = 4.0
DROP_SHADOW_DEPTH = 0.12


def blur_3(field: np.ndarray, side_weight: float) -> np.ndarray:
    """Separable 3-tap blur (side_weight, 1 - 2 side_weight, side_weight), edges repeated; float32."""
    side, middle = np.float32(side_weight), np.float32(1.0 - 2.0 * side_weight)
    padded = np.pad(field, 1, mode="edge")
    rows = padded[:-2] + padded[2:]
    rows *= side
    rows += padded[1:-1] * middle
    out = rows[:, :-2] + rows[:, 2:]
    out *= side
    out += rows[:, 1:-1] * middle
    return out


def coarse(field: np.ndarray, factor: int) -> np.ndarray:
    """Block means over factor x factor pixels (the last blocks repeat the edge)."""
    height, width = field.shape
    padded_h, padded_w = -(-height // factor) * factor, -(-width // factor) * factor
    if (padded_h, padded_w) != field.shape:
        field = np.pad(field, ((0, padded_h - height), (0, padded_w - width)), mode="edge")
    return field.reshape(padded_h // factor, factor, padded_w // factor, factor).mean(axis=(1, 3), dtype=np.float32)


def fine(field: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """A coarse field smoothly enlarged (bilinear) by factor and cut to shape."""
    big = Image.fromarray(np.ascontiguousarray(field, dtype=np.float32), mode="F")
    big = big.resize((field.shape[1] * factor, field.shape[0] * factor), Image.Resampling.BILINEAR)
    return np.asarray(big)[: shape[0], : shape[1]]


def drop_shadow(face: np.ndarray) -> np.ndarray:
    """HxW float32 0-1: how much of the background's light the tile takes, near its lower-right edges."""
    size = face.shape[0]
    factor = max(1, size // 160)
    scale = size / 640.0
    low = coarse(face.astype(np.float32), factor)
    shift = max(1, int(round(DROP_SHADOW_OFFSET_PX * scale / factor)))
    moved = np.zeros_like(low)
    moved[shift:, shift:] = low[:-shift, :-shift]
    soft = ndimage.gaussian_filter(moved, DROP_SHADOW_SOFTNESS_PX * scale / factor, mode="constant")
    return fine(soft, factor, face.shape) * np.float32(DROP_SHADOW_DEPTH)


@dataclass(frozen=True)
class Camera:
    """One picture's camera, none of which depends on the mix (the configurator's renders of one layout share it)."""

    softness: np.ndarray  # HxW uint8 softness class (composition.py)
    softening: np.ndarray  # HxW float32: share of the way to the 1-2-1 blur (SOFTENING_BY_CLASS of softness)
    noise: np.ndarray | None  # HxW float32 sRGB levels, where the photos' pixels are enlarged
    light: np.ndarray | None  # HxW float32 light factor (product photo: bevel and drop shadow)


def camera(
    softness: np.ndarray, scale: float, face: np.ndarray | None, bevel: np.ndarray | None, rng: np.random.Generator
) -> Camera:
    """The camera for a picture with these softness classes at this scale; face and bevel: product photo only."""
    softening = np.array(SOFTENING_BY_CLASS, dtype=np.float32)[softness]
    noise = None
    if scale >= ENLARGED_SCALE:
        # Uniform noise (sigma 0.289 of its width; a normal draw costs six times as much).
        noise = (rng.random(softness.shape, dtype=np.float32) - np.float32(0.5)) * np.float32(SENSOR_NOISE_LEVELS / 0.2887)
        if face is not None:
            noise *= face
    light = None
    if face is not None and bevel is not None:
        light = (np.float32(1.0) - drop_shadow(face) * ~face) * (np.float32(1.0) + bevel * face)
    return Camera(softness, softening, noise, light)


def expose(channels: tuple[np.ndarray, np.ndarray, np.ndarray], lens: Camera) -> Image.Image:
    """The RGB image from three HxW float32 sRGB channels 0-255: softened, with noise and light, cut to 8 bits."""
    height, width = channels[0].shape
    rgb = np.empty((height, width, 3), np.uint8)
    for index in range(3):
        channel = channels[index]
        softened = blur_3(channel, 0.25)
        softened -= channel
        softened *= lens.softening
        softened += channel
        if lens.noise is not None:
            softened += lens.noise
        if lens.light is not None:
            softened *= lens.light
        softened += np.float32(0.5)
        rgb[..., index] = np.clip(softened, 0.0, 255.0)
    return Image.fromarray(rgb, "RGB")

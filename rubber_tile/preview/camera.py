"""The camera's part of the picture: slight lens blur, sensor noise, and a product photo's drop shadow.

The owner's photos are soft at the pixel level (optics, demosaicing, JPEG) and carry a little
noise; a product photo's tile casts a faint soft shadow on the white sweep towards the lower
right. The exposure falloff towards the corners is part of the light (shading.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from .shading import blur_3, coarse, fine

# Lens blur: weight of each of the two neighbours in a 3-tap blur along rows and columns (0.125:
# sigma 0.5 px), drawn per image from this range: the owner's photos are not all equally sharp.
LENS_BLUR_SIDE_WEIGHTS = (0.04, 0.14)
# Sensor noise: sigma in sRGB levels, the same in the three channels (luminance noise), per image.
SENSOR_NOISE_LEVELS = (3.0, 4.5)
# Side weight of the 3-tap blur that smooths the noise, as demosaicing and JPEG smooth it.
NOISE_SMOOTHING = 0.1
# Product photo: the tile's shadow on the background, offset towards the lower right and soft
# (px at a 640 px image, scaled with the size), and how much light it takes at most.
DROP_SHADOW_OFFSET_PX = 3.0
DROP_SHADOW_SOFTNESS_PX = 4.0
DROP_SHADOW_DEPTH = 0.12


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
    """One picture's camera: its noise field, lens blur and (product photo) drop shadow, none of which
    depend on the mix, so the configurator's renders of one layout share it."""

    noise: np.ndarray  # HxW float32 sRGB levels
    blur: float  # side weight of the 3-tap lens blur
    darkening: np.ndarray | None  # HxW float32 light factor (the drop shadow), product photo only


def camera(shape: tuple[int, int], face: np.ndarray | None, rng: np.random.Generator) -> Camera:
    """The camera for an image of this shape; face: product photo only, HxW bool of the tile face (off
    it the background stays noise-free white, but for the tile's drop shadow)."""
    # Uniform noise (sigma 0.289 of its width; a normal draw costs six times as much), smoothed
    # over about a pixel as demosaicing and JPEG smooth it (the 1-2-1 blur keeps 0.375 of sigma).
    noise = rng.random(shape, dtype=np.float32) - np.float32(0.5)
    kept = 1.0
    if NOISE_SMOOTHING:
        noise = blur_3(noise, NOISE_SMOOTHING)
        kept = math.sqrt(((1.0 - 2.0 * NOISE_SMOOTHING) ** 2 + 2.0 * NOISE_SMOOTHING**2) ** 2)
    noise *= np.float32(rng.uniform(*SENSOR_NOISE_LEVELS) / (0.2887 * kept))
    blur = float(rng.uniform(*LENS_BLUR_SIDE_WEIGHTS))
    darkening = None
    if face is not None:
        noise *= face
        darkening = np.float32(1.0) - drop_shadow(face) * ~face
    return Camera(noise, blur, darkening)


def expose(channels: tuple[np.ndarray, np.ndarray, np.ndarray], lens: Camera) -> Image.Image:
    """The RGB image from three HxW float32 sRGB channels 0-255: blurred, with noise, cut to 8 bits."""
    height, width = channels[0].shape
    rgb = np.empty((height, width, 3), np.uint8)
    for index in range(3):
        channel = blur_3(channels[index], lens.blur) + lens.noise
        if lens.darkening is not None:
            channel *= lens.darkening
        rgb[..., index] = np.clip(channel + np.float32(0.5), 0.0, 255.0)
    return Image.fromarray(rgb, "RGB")

"""The browser's visualiser driven from Python (Playwright): its modules imported into a page served by
the configurator, fed raw pixels, read back as arrays; and phone-sized photos made from a courtyard.
For the visualiser's browser tests and scripts/bench/bench_visualiser.py."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

# Lays out and paints in the page; returns the picture (RGBA, base64) and the layout's figures.
ENGINE_JS = """
async ({ photo, texture, area, options }) => {
  const surface = await import('/static/visualiser_surface.js');
  const bytes = (text) => Uint8ClampedArray.from(atob(text), (c) => c.charCodeAt(0));
  const image = { width: photo.width, height: photo.height, data: bytes(photo.data) };
  const tex = { width: texture.width, height: texture.height, data: bytes(texture.data) };
  const mask = options.mask ? Uint8Array.from(atob(options.mask), (c) => c.charCodeAt(0)) : null;
  const layout = surface.layOut(image, area, { ...options, mask });
  const out = surface.paint(layout, tex);
  let text = '';
  for (let i = 0; i < out.length; i += 0x8000) text += String.fromCharCode(...out.subarray(i, i + 0x8000));
  const light = { lit: layout.light.lit, gain: layout.light.gain, tint: layout.light.tint, noise: layout.light.noise };
  return { picture: btoa(text), count: layout.count, light };
}
"""


def rgba_base64(pixels: np.ndarray) -> str:
    """HxWx3 (or 4) bytes as base64 RGBA."""
    if pixels.shape[2] == 3:
        pixels = np.dstack([pixels, np.full(pixels.shape[:2], 255, np.uint8)])
    return base64.b64encode(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()).decode()


@dataclass(frozen=True)
class EngineResult:
    picture: np.ndarray  # HxWx3 uint8
    count: int
    light: dict


def run_engine(page, photo: np.ndarray, texture: np.ndarray, area: dict, options: dict, mask: np.ndarray | None = None) -> EngineResult:
    """The browser engine's picture of `photo` (HxWx3 bytes) with `texture` laid on `area`
    ({corners, widthM, depthM, outline?}); `page` is open on the configurator's origin."""
    height, width = photo.shape[:2]
    payload = {
        "photo": {"width": width, "height": height, "data": rgba_base64(photo)},
        "texture": {"width": texture.shape[1], "height": texture.shape[0], "data": rgba_base64(texture)},
        "area": area,
        "options": {**options, "mask": base64.b64encode(mask.tobytes()).decode() if mask is not None else None},
    }
    reply = page.evaluate(ENGINE_JS, payload)
    rgba = np.frombuffer(base64.b64decode(reply["picture"]), np.uint8).reshape(height, width, 4)
    return EngineResult(rgba[..., :3].copy(), reply["count"], reply["light"])


def phone_jpeg(picture: np.ndarray, size: tuple[int, int] = (4032, 3024), orientation: int = 1, quality: int = 90) -> bytes:
    """A phone-sized JPEG of `picture` (upscaled, with sensor-like noise), stored as a camera held `orientation` would store it:
    the EXIF orientation tag says how to turn it upright (6: the pixels are the upright picture turned
    90 degrees anticlockwise ... as a phone held upright writes them)."""
    large = np.asarray(Image.fromarray(picture).resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    grain = np.random.default_rng(0).normal(0.0, 3.0, large.shape[:2]).astype(np.float32)[..., None]
    image = Image.fromarray(np.clip(large + grain + 0.5, 0, 255).astype(np.uint8))  # a phone's noise: a real file's size
    stored = {1: image, 3: image.transpose(Image.Transpose.ROTATE_180), 6: image.transpose(Image.Transpose.ROTATE_90), 8: image.transpose(Image.Transpose.ROTATE_270)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()

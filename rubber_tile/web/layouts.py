"""Stage 1 of the preview for the browser (contract A): a seed's layout sent once, and the colour tables.

The page recolours a layout for every share change itself (static/colorize.js mirrors
rubber_tile/preview/colorize.py), so a slider move costs the server nothing. Both documents are one
binary each: `RTL1`, a little-endian uint32 length, a JSON header (UTF-8, padded to 8 bytes), then
the arrays the header lists (`name`, `dtype`, `shape`, `offset` from the start of the array part,
each 8-byte aligned). The layout is sent gzip-compressed.

Layout pixels: `code` is 0 on a gap (binder), granule + 1 on a granule, BACKGROUND_CODE off the tile;
`partner` on a granule's edge the granule across it + 1 (0 elsewhere) and `alpha` how much of the pixel
is its own granule's (header `alpha_full`: all; the partner's row, same level, is blended in by
`blend_weights[alpha]`, colorize.blend); `level` the shade level; `softness` the camera's softness class (the header's `softening` gives
each class's share of the way to the 1-2-1 blur); `noise` (only where the photos' pixels are
enlarged) the sensor noise in sRGB levels times `noise_scale`; `light` (product photo only) the
light factor of the bevel and the drop shadow minus 1, times `light_scale`. Per granule: `area`
(visible pixels), `order` (the colour order) and `variant`.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from typing import Any

import numpy as np

from ..colors.palette import load_palette
from ..preview import colorize
from ..preview.camera import SOFTENING_BY_CLASS
from ..preview.coloring import (
    BACKGROUND_SRGB,
    BINDER_FACTOR,
    BINDER_GAP_SHARE,
    GRANULE_VARIANTS,
    LUMINANCE_WEIGHTS,
    SHADE_LEVELS,
)
from ..preview.granule_library import ALPHA_FULL
from ..preview.render import NO_GRANULE, tile_geometry
from ..preview.settings import RenderSettings

__all__ = ["MAGIC", "layout_document", "read_document", "tables_document"]

MAGIC = b"RTL1"
BACKGROUND_CODE = 65535
NOISE_STEPS = 127  # noise as int8: its largest value maps to 127
LIGHT_SCALE = 10000.0  # light factor - 1 (bevel and drop shadow: -0.21 to +0.08) as int16 steps of 1/10000
LAYOUT_GZIP_LEVEL = 3


def pack(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The document: magic, header length, header JSON (with the arrays' places), the arrays."""
    listed, parts, offset = [], [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        listed.append({"name": name, "dtype": array.dtype.name, "shape": list(array.shape), "offset": offset})
        padding = -len(data) % 8
        parts.append(data + b"\0" * padding)
        offset += len(data) + padding
    text = json.dumps(header | {"arrays": listed}, separators=(",", ":")).encode()
    text += b" " * (-(len(text) + 8) % 8)
    return MAGIC + len(text).to_bytes(4, "little") + text + b"".join(parts)


def read_document(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of a packed document (gzip-compressed or not): what the page reads, in Python."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:4] != MAGIC:
        raise ValueError("not a layout document: it does not start with RTL1")
    length = int.from_bytes(data[4:8], "little")
    header = json.loads(data[8 : 8 + length])
    start = 8 + length
    arrays = {}
    for item in header["arrays"]:
        dtype = np.dtype(item["dtype"]).newbyteorder("<")
        count = int(np.prod(item["shape"])) if item["shape"] else 1
        flat = np.frombuffer(data, dtype, count, start + item["offset"])
        arrays[item["name"]] = flat.reshape(item["shape"])
    return header, arrays


def layout_document(settings: RenderSettings) -> bytes:
    """The layout of these settings, packed and gzip-compressed (about 0.5 MB at 512 px)."""
    geometry = tile_geometry(settings)
    count = len(geometry.areas)
    if count >= BACKGROUND_CODE:
        raise ValueError(f"{count} granules do not fit the layout's 16-bit codes")
    code = (geometry.labels + 1).astype(np.uint16)
    code[geometry.labels == NO_GRANULE] = 0
    code[geometry.background] = BACKGROUND_CODE
    lens = geometry.lens
    partner = (geometry.partners + 1).astype(np.uint16)
    arrays = {
        "code": code,
        "partner": partner,
        "alpha": geometry.alpha.astype(np.uint8),
        "level": geometry.levels.astype(np.uint8),
        "softness": lens.softness.astype(np.uint8),
        "area": geometry.areas.astype(np.uint32),
        "order": geometry.order.astype(np.uint32),
        "variant": geometry.variants.astype(np.uint8),
    }
    noise_scale = 0.0
    if lens.noise is not None:
        noise_scale = NOISE_STEPS / (float(np.abs(lens.noise).max()) or 1.0)
        arrays["noise"] = np.rint(lens.noise * noise_scale).astype(np.int8)
    if lens.light is not None:
        arrays["light"] = np.rint((lens.light - 1.0) * LIGHT_SCALE).astype(np.int16)
    header = {
        "size": settings.size,
        "seed": settings.seed,
        "grade": settings.grade,
        "framing": settings.framing,
        "granules": count,
        "background_code": BACKGROUND_CODE,
        "softening": [float(np.float32(weight)) for weight in SOFTENING_BY_CLASS],
        "alpha_full": ALPHA_FULL,
        "blend_weights": [float(weight) for weight in colorize.BLEND_WEIGHTS],
        "noise_scale": noise_scale,
        "light_scale": LIGHT_SCALE,
    }
    return gzip.compress(pack(header, arrays), LAYOUT_GZIP_LEVEL, mtime=0)


@lru_cache(maxsize=1)
def tables_document() -> bytes:
    """Every colour's rows (fixed per colour: colorize.color_table) and what the binder row is made
    from; the same for every layout and mix."""
    palette = load_palette()
    names = list(palette.names)
    header = {
        "colors": names,
        "variants": GRANULE_VARIANTS,
        "levels": SHADE_LEVELS,
        "fill_window": colorize.FILL_WINDOW,
        "gap_lightness": palette.gap_lightness,
        "binder_factor": BINDER_FACTOR,
        "binder_gap_share": BINDER_GAP_SHARE,
        "luminance_weights": [float(w) for w in LUMINANCE_WEIGHTS],
        "background_srgb": BACKGROUND_SRGB,
    }
    arrays = {
        "table": np.stack([colorize.color_table(palette, name) for name in names]).astype(np.float32),
        "srgb": palette.srgb_array(names),
    }
    return pack(header, arrays)

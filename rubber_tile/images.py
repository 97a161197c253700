"""Images as arrays: every image the analyzer, the colour lock and the metrics read goes through here,
and the edges of a label image."""

from __future__ import annotations

import numpy as np


def as_rgb_array(image: object) -> np.ndarray:
    """An HxWx3 uint8 array from a PIL image or an array (grey and RGBA are converted)."""
    if hasattr(image, "convert") and hasattr(image, "size"):
        array = np.asarray(image.convert("RGB"))
    else:
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        elif array.ndim == 3 and array.shape[2] == 4:
            array = array[:, :, :3]
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an RGB image (height x width x 3), got an array of shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError("the image is empty (0 pixels)")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(np.rint(array), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def label_edges(labels: np.ndarray) -> np.ndarray:
    """HxW bool: pixels with a 4-neighbour of another label."""
    edge = np.zeros(labels.shape, dtype=bool)
    vertical = labels[1:] != labels[:-1]
    horizontal = labels[:, 1:] != labels[:, :-1]
    edge[1:] |= vertical
    edge[:-1] |= vertical
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    return edge

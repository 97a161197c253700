"""sRGB <-> linear RGB <-> CIE XYZ <-> CIELAB, each conversion defined once and composed.

Conventions: sRGB values are 0-255 (IEC 61966-2-1, D65); linear RGB is 0-1; XYZ is relative to
Y = 1; CIELAB is D65 / 2-degree observer with L in 0-100.

Exact conversions work in float64 on any shape ending in 3. The `*_fast` functions are a
float32, look-up-table path for whole images (the colour lock converts up to a million pixels
per call); tests/test_colorspace.py holds them to the exact ones.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "D65_WHITE",
    "SRGB_TO_XYZ",
    "XYZ_TO_SRGB",
    "lab_to_srgb",
    "lab_to_srgb_fast",
    "lab_to_srgb_uint8",
    "lab_to_xyz",
    "lightness_fast",
    "linear_to_srgb",
    "linear_to_xyz",
    "srgb_to_lab",
    "srgb_to_lab_fast",
    "srgb_to_linear",
    "xyz_to_lab",
    "xyz_to_linear",
]

# Linear sRGB primaries to CIE XYZ (D65), IEC 61966-2-1; the middle row is luminance Y.
SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
XYZ_TO_SRGB = np.linalg.inv(SRGB_TO_XYZ)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
# CIE constants of the L* curve: its linear part below LAB_EPSILON, with slope LAB_KAPPA / 116.
LAB_EPSILON = 216.0 / 24389.0
LAB_KAPPA = 24389.0 / 27.0
# sRGB transfer curve: linear segment below these points.
_DECODE_KNEE = 0.04045
_ENCODE_KNEE = 0.0031308


# ---------------------------------------------------------------------------------------------
# Exact conversions
# ---------------------------------------------------------------------------------------------
def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB 0-255 (any shape, any numeric dtype) -> linear RGB 0-1 (float64)."""
    c = np.asarray(srgb, dtype=np.float64) / 255.0
    return np.where(c <= _DECODE_KNEE, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear RGB 0-1 -> sRGB 0-255 as float64, not clipped."""
    c = np.asarray(linear, dtype=np.float64)
    encoded = np.where(c <= _ENCODE_KNEE, 12.92 * c, 1.055 * np.abs(c) ** (1.0 / 2.4) * np.sign(c) - 0.055)
    return encoded * 255.0


def linear_to_xyz(linear: np.ndarray) -> np.ndarray:
    """Linear RGB (..., 3) -> CIE XYZ (..., 3)."""
    return np.asarray(linear, dtype=np.float64) @ SRGB_TO_XYZ.T


def xyz_to_linear(xyz: np.ndarray) -> np.ndarray:
    """CIE XYZ (..., 3) -> linear RGB (..., 3), not clipped to the gamut."""
    return np.asarray(xyz, dtype=np.float64) @ XYZ_TO_SRGB.T


def _lab_f(t: np.ndarray) -> np.ndarray:
    return np.where(t > LAB_EPSILON, np.cbrt(t), (LAB_KAPPA * t + 16.0) / 116.0)


def _lab_f_inverse(f: np.ndarray) -> np.ndarray:
    cubed = f * f * f
    return np.where(cubed > LAB_EPSILON, cubed, (116.0 * f - 16.0) / LAB_KAPPA)


def xyz_to_lab(xyz: np.ndarray) -> np.ndarray:
    """CIE XYZ (..., 3) -> CIELAB (..., 3), D65 white."""
    f = _lab_f(np.asarray(xyz, dtype=np.float64) / D65_WHITE)
    lightness = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


def lab_to_xyz(lab: np.ndarray) -> np.ndarray:
    """CIELAB (..., 3) -> CIE XYZ (..., 3), D65 white."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([fy + lab[..., 1] / 500.0, fy, fy - lab[..., 2] / 200.0], axis=-1)
    return np.where(f**3 > LAB_EPSILON, f**3, (116.0 * f - 16.0) / LAB_KAPPA) * D65_WHITE


def srgb_to_lab(srgb: np.ndarray) -> np.ndarray:
    """sRGB 0-255 (..., 3) -> CIELAB (..., 3), float64."""
    return xyz_to_lab(linear_to_xyz(srgb_to_linear(srgb)))


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB (..., 3) -> sRGB 0-255 as float64, clipped to the sRGB gamut box."""
    return linear_to_srgb(np.clip(xyz_to_linear(lab_to_xyz(lab)), 0.0, 1.0))


def lab_to_srgb_uint8(lab: np.ndarray) -> np.ndarray:
    """CIELAB (..., 3) -> sRGB uint8, rounded and clipped."""
    return np.clip(np.rint(lab_to_srgb(lab)), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Fast path: float32 and look-up tables, for whole images of uint8 sRGB
# ---------------------------------------------------------------------------------------------
# Linear RGB straight to XYZ / white (the Lab function's input), and back.
_LINEAR_TO_XYZN = (SRGB_TO_XYZ / D65_WHITE[:, None]).T.astype(np.float32)
_XYZN_TO_LINEAR = np.linalg.inv(SRGB_TO_XYZ / D65_WHITE[:, None]).T.astype(np.float32)
_DECODE_LUT = srgb_to_linear(np.arange(256)).astype(np.float32)
_ENCODE_STEPS = 65535  # linear 0-1 in steps of 1/65535: every 8-bit level is reached exactly
_ENCODE_LUT = np.clip(np.rint(linear_to_srgb(np.arange(_ENCODE_STEPS + 1) / _ENCODE_STEPS)), 0, 255).astype(np.uint8)


def _mix_channels(channels: tuple[np.ndarray, ...], matrix: np.ndarray, column: int) -> np.ndarray:
    # Channel by channel: numpy's (N, 3) @ (3, 3) is several times slower than this.
    return channels[0] * matrix[0, column] + channels[1] * matrix[1, column] + channels[2] * matrix[2, column]


def _decoded(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _DECODE_LUT[rgb[..., 0]], _DECODE_LUT[rgb[..., 1]], _DECODE_LUT[rgb[..., 2]]


def srgb_to_lab_fast(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> CIELAB (..., 3) float32; within 0.01 of srgb_to_lab."""
    linear = _decoded(rgb)
    fx, fy, fz = (_lab_f(_mix_channels(linear, _LINEAR_TO_XYZN, column)) for column in range(3))
    return np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lightness_fast(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> CIELAB L (...) float32."""
    return 116.0 * _lab_f(_mix_channels(_decoded(rgb), _LINEAR_TO_XYZN, 1)) - 16.0


def lab_to_srgb_fast(lab: np.ndarray) -> np.ndarray:
    """CIELAB (..., 3) -> uint8 sRGB, clipped to the gamut box; within 1 level of lab_to_srgb_uint8."""
    lab = lab.astype(np.float32, copy=False)
    fy = (lab[..., 0] + 16.0) / 116.0
    xyzn = (_lab_f_inverse(fy + lab[..., 1] / 500.0), _lab_f_inverse(fy), _lab_f_inverse(fy - lab[..., 2] / 200.0))
    encoded = []
    for column in range(3):
        linear = _mix_channels(xyzn, _XYZN_TO_LINEAR, column)
        encoded.append(_ENCODE_LUT[np.clip(linear * _ENCODE_STEPS + 0.5, 0, _ENCODE_STEPS).astype(np.int32)])
    return np.stack(encoded, axis=-1)

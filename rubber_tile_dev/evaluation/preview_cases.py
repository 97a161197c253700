"""What the preview report measures: the test mixes, the owner's files it compares with, the targets."""

from __future__ import annotations

from rubber_tile.mix import ColorMix

ANALYZER_TARGET_PP = 1.5
NEAREST_TARGET_PP = 5.0
DELTA_E_TARGET = 3.0
SIZE_TARGET_RATIO = 0.25
# Sizes: the full frame at the model's output size, the product photo at the photos' size.
FRAMING_SIZES = {"full_frame": 1024, "product_photo": 640}
LIGHTNESS_PERCENTILES = (5, 10, 25, 50, 75, 95)
JPEG_QUALITY = 90  # the owner's photos are JPEGs; renders go through JPEG before granule sizing

# The mixes the owner asked the model for (data/model_outputs names) and the mixes of the photos.
TEST_MIXES: tuple[ColorMix, ...] = tuple(
    ColorMix(mix)
    for mix in (
        {"black": 30, "white": 70},
        {"black": 15, "white": 85},
        {"black": 5, "white": 95},
        {"red": 60, "white": 40},
        {"red": 50, "white": 50},
        {"red": 30, "blue": 70},
        {"red": 85, "blue": 15},
        {"grass green": 60, "yellow": 40},
        {"light green": 60, "blue": 40},
        {"dark green": 60, "light green": 40},
        {"red": 50, "black": 30, "pearl": 20},
        {"red": 60, "black": 20, "white": 20},
        {"blue": 10, "dark green": 30, "red": 60},
        {"blue": 33, "dark green": 33, "red": 34},
        {"brown": 50, "gray": 30, "white": 20},
        {"pearl": 50, "salmon": 30, "light gray": 20},
        {"salmon": 50, "orange": 30, "pink": 20},
        {"blue": 25, "dark green": 25, "red": 25, "yellow": 25},
        {"blue": 10, "dark green": 10, "red": 10, "yellow": 70},
        {"red": 40, "blue": 30, "grass green": 20, "white": 10},
        {"blue": 40, "light green": 30, "yellow": 20, "black": 10},
        {"dark green": 50, "yellow": 30, "blue": 10, "white": 10},
        {"beige": 40, "turquoise": 30, "sky blue": 20, "pearl": 10},
        {"sand": 40, "terracotta": 30, "khaki": 20, "brown": 10},
    )
)
# Mixes of near neighbours in the palette, reported apart: they test the analyzer's limits as much
# as the renderer.
HARD_MIXES: tuple[ColorMix, ...] = (
    ColorMix({"dark gray": 50, "gray": 30, "light gray": 20}),
    ColorMix({"blue": 40, "sky blue": 30, "turquoise": 30}),
    ColorMix({"green apple": 70, "lime green": 30}),
)
# SDXL outputs of one mix (data/model_outputs), for the full-frame scale: (glob, mix, minority colour)
SDXL_SCALE_OUTPUTS: tuple[tuple[str, ColorMix, str], ...] = (
    ("*_60pct_red_40pct_white_final_*.jpg", ColorMix({"red": 60, "white": 40}), "white"),
    ("*_50pct_red_30pct_black_20pct_white_final_*.jpg", ColorMix({"red": 50, "black": 30, "white": 20}), "white"),
)
# Photos with a colour in a small share: its granules mostly lie apart, so connected patches of it
# are single granules. (photo file, mix, the minority colour)
GRANULE_SIZE_PHOTOS: tuple[tuple[str, ColorMix, str], ...] = (
    ("BLACKp95_WHITEp5_top.jpg", ColorMix({"black": 95, "white": 5}), "white"),
    ("BLACKp85_WHITEp15_top.jpg", ColorMix({"black": 85, "white": 15}), "white"),
    ("REDp95_BLUEp5_top.jpg", ColorMix({"red": 95, "blue": 5}), "blue"),
    ("REDp85_BLUEp15_top.jpg", ColorMix({"red": 85, "blue": 15}), "blue"),
    ("REDp15_BLUEp85_top.jpg", ColorMix({"red": 15, "blue": 85}), "red"),
)

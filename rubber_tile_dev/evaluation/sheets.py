"""Image sheets for people to judge: real photo | preview of its mix, and before | after the colour lock.

Sheets of the owner's images are written to docs/images/, where docs/images/.gitignore keeps them out
of git (compare_*.jpg, color_lock_*.jpg); only the previews-only examples sheet is committed.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from rubber_tile.lock import LockResult
from rubber_tile.mix import ColorMix
from rubber_tile.preview.render import render_tile

from .owner_data import PhotoMix
from .reports import format_shares

ZOOM = 3
CAPTION_HEIGHT = 28
CAPTION_FONT_SIZE = 16
PANEL_GAP = 8
EXAMPLE_MIXES = (
    ColorMix({"red": 50.0, "black": 30.0, "pearl": 20.0}),
    ColorMix({"black": 30.0, "white": 70.0}),
    ColorMix({"blue": 25.0, "dark green": 25.0, "red": 25.0, "yellow": 25.0}),
    ColorMix({"sand": 40.0, "terracotta": 30.0, "khaki": 20.0, "brown": 10.0}),
)
OVERVIEW_WIDTH = 1280
OVERVIEW_SHEETS = 6
LOCK_CAPTION_HEIGHT = 44
LOCK_OVERVIEW_SIDE = 192
LOCK_OVERVIEW_COLUMNS = 3
# Unasked colours below this share (percent of the granule area) are not named on a lock sheet.
UNASKED_SHOWN_PERCENT = 0.5


def captioned(image: Image.Image, caption: str) -> Image.Image:
    """The image under a white strip holding the caption."""
    panel = Image.new("RGB", (image.width, image.height + CAPTION_HEIGHT), "white")
    panel.paste(image, (0, CAPTION_HEIGHT))
    font = ImageFont.load_default(size=CAPTION_FONT_SIZE)
    ImageDraw.Draw(panel).text((6, 5), caption, fill=(0, 0, 0), font=font)
    return panel


def centre_zoom(image: Image.Image) -> Image.Image:
    """The centre of the image enlarged ZOOM times (nearest neighbour: pixels stay visible)."""
    side = image.width // ZOOM
    left, top = (image.width - side) // 2, (image.height - side) // 2
    crop = image.crop((left, top, left + side, top + side))
    return crop.resize((side * ZOOM, side * ZOOM), Image.Resampling.NEAREST)


def grid(panels: list[list[Image.Image]], gap: int = PANEL_GAP) -> Image.Image:
    """Rows of panels on white, `gap` px apart."""
    width = max(sum(p.width for p in row) + gap * (len(row) - 1) for row in panels)
    height = sum(max(p.height for p in row) for row in panels) + gap * (len(panels) - 1)
    sheet = Image.new("RGB", (width, height), "white")
    y = 0
    for row in panels:
        x = 0
        for panel in row:
            sheet.paste(panel, (x, y))
            x += panel.width + gap
        y += max(p.height for p in row) + gap
    return sheet


def comparison_sheet(photo_mix: PhotoMix, seed: int) -> Image.Image:
    """Real photo | preview of the same mix, and their centres enlarged."""
    with Image.open(photo_mix.path) as opened:
        real = opened.convert("RGB")
    preview = render_tile(photo_mix.mix, size=max(real.size), seed=seed, framing="product_photo")
    preview = preview.crop((0, 0, real.width, real.height)) if preview.size != real.size else preview
    mix = photo_mix.mix.describe()
    return grid(
        [
            [captioned(real, f"real photo: {mix}"), captioned(preview, f"preview (seed {seed}): {mix}")],
            [
                captioned(centre_zoom(real), f"real, centre x{ZOOM}"),
                captioned(centre_zoom(preview), f"preview, centre x{ZOOM}"),
            ],
        ]
    )


def overview_sheet(sheets: list[Image.Image], width: int = OVERVIEW_WIDTH) -> Image.Image:
    """The first few sheets' top rows, shrunk, one under the other."""
    rows = []
    for sheet in sheets[:OVERVIEW_SHEETS]:
        top = sheet.crop((0, 0, sheet.width, sheet.height // 2))
        rows.append([top.resize((width, round(top.height * width / top.width)), Image.Resampling.LANCZOS)])
    return grid(rows)


def examples_sheet(seed: int) -> Image.Image:
    """Previews only (no owner data): a few mixes in both framings, with a full-size detail."""
    rows = []
    for mix in EXAMPLE_MIXES:
        photo = render_tile(mix, size=480, seed=seed, framing="product_photo")
        frame = render_tile(mix, size=1024, seed=seed, framing="full_frame")
        rows.append(
            [
                captioned(photo, f"product photo: {mix.describe()}"),
                captioned(frame.resize((480, 480), Image.Resampling.LANCZOS), "full frame, 1024 px shrunk"),
                captioned(frame.crop((272, 272, 752, 752)), "full frame, 1024 px, centre 1:1"),
            ]
        )
    return grid(rows)


def lock_pair_sheet(before: Image.Image, result: LockResult, title: str) -> Image.Image:
    """Before | after the colour lock, with the asked mix and the analyzer's shares before and after."""
    width, height = before.size
    sheet = Image.new("RGB", (2 * width, height + LOCK_CAPTION_HEIGHT), "white")
    sheet.paste(before, (0, LOCK_CAPTION_HEIGHT))
    sheet.paste(result.image, (width, LOCK_CAPTION_HEIGHT))
    draw = ImageDraw.Draw(sheet)
    draw.text((6, 4), f"{title}   asked: {format_shares(result.asked)}", fill="black")
    draw.text((6, 24), f"before: {format_shares(result.shares_before)}", fill="black")
    after = f"after: {format_shares(result.shares_after)}"
    if result.unasked_before:
        shown = ", ".join(f"{n} {p:.0f}%" for n, p in result.unasked_before.items() if p >= UNASKED_SHOWN_PERCENT)
        after += "   recoloured unasked: " + shown
    draw.text((width + 6, 24), after, fill="black")
    return sheet


def lock_overview_sheet(pairs: list[tuple[Image.Image, Image.Image]]) -> Image.Image:
    """Every before | after pair, small, LOCK_OVERVIEW_COLUMNS pairs a row."""
    side, columns = LOCK_OVERVIEW_SIDE, LOCK_OVERVIEW_COLUMNS
    rows = (len(pairs) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (2 * side + PANEL_GAP), rows * (side + PANEL_GAP)), "white")
    for index, (before, after) in enumerate(pairs):
        x = (index % columns) * (2 * side + PANEL_GAP)
        y = (index // columns) * (side + PANEL_GAP)
        sheet.paste(before.resize((side, side), Image.Resampling.LANCZOS), (x, y))
        sheet.paste(after.resize((side, side), Image.Resampling.LANCZOS), (x + side, y))
    return sheet

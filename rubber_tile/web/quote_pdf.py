"""The PDF a customer sends to the factory: the picture, the mix, grade, the estimate, the share link and
its QR code, in the page's language.

fpdf2 writes it (pure Python, embeds and subsets a TrueType font, so Cyrillic is real text that can be
searched and copied); the font is DejaVu Sans, shipped in rubber_tile/web/fonts/ with its licence
(Debian's fonts-dejavu-core), so nothing is fetched at run time. segno draws the QR code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from .pdf_texts import TEXTS, binder_order, money, number

__all__ = ["QuoteSheet", "quote_pdf"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
PICTURE_MM = 82.0
QR_MM = 34.0
LINE_MM = 5.2


@dataclass(frozen=True)
class QuoteSheet:
    """What the PDF shows; `colors` are (display name, hex, share as asked) in the mix's order."""

    language: str
    colors: Sequence[tuple[str, str, float]]
    grade: str
    view: str
    framing: str
    seed: int
    picture: bytes  # JPEG or PNG of the preview
    estimate: dict[str, Any]  # Quote.to_dict()
    color_names: dict[str, str]  # canonical -> display name
    link: str
    made_on: date
    site_picture: bytes | None = None  # the visualiser's picture of the customer's site, when he sent it


def _new_document(language: str) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, 15)
    pdf.set_lang(language)
    pdf.set_creator("rubber-tile configurator")
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, size: float = 10, bold: bool = False, height: float = LINE_MM) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _mix_block(pdf: FPDF, sheet: QuoteSheet, words: dict[str, Any], left: float) -> None:
    """Beside the picture: the mix with colour squares, grade, view and layout."""
    top = pdf.get_y()
    pdf.set_xy(left, top)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, words["mix"], new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    for name, hex_color, share in sheet.colors:
        y = pdf.get_y()
        pdf.set_fill_color(*(int(hex_color[i : i + 2], 16) for i in (1, 3, 5)))
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(left, y + 1.2, 5, 5, style="DF")
        pdf.set_xy(left + 7, y)
        pdf.cell(0, 7.5, f"{number(share, sheet.language, 2)}%  {name}", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(left)
    pdf.ln(2)
    pdf.set_x(left)
    lines = [(words["grade"], words["grades"][sheet.grade]), (words["view"], words["views"][sheet.view])]
    if sheet.view != "installed":  # the installed view has no framing
        lines.append((words["framing"], words["framings"][sheet.framing]))
    for label, value in (*lines, (words["layout"], str(sheet.seed))):
        pdf.set_font(FONT, "", 10)
        pdf.cell(0, 6, f"{label}: {value}", new_x=XPos.LEFT, new_y=YPos.NEXT)


def _table(pdf: FPDF, heading: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]) -> None:
    pdf.set_font(FONT, "", 9.5)
    headings = FontFace(family=FONT, emphasis="BOLD", fill_color=(238, 240, 243))
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    with pdf.table(cell_fill_mode="NONE", col_widths=widths, text_align=["LEFT"] + ["RIGHT"] * (len(widths) - 1), line_height=6,
                   headings_style=headings, width=sum(widths), align="LEFT") as table:
        for cells in (heading, *rows):
            row = table.row()
            for cell in cells:
                row.cell(cell)


def _estimate(pdf: FPDF, sheet: QuoteSheet, words: dict[str, Any]) -> None:
    result, language = sheet.estimate, sheet.language
    priced = result["prices"] is not None
    currency = result["prices"]["currency"] if priced else ""
    _line(pdf, words["estimate"], 12, bold=True, height=7)
    _line(pdf, words["for"](number(result["area_m2"], language, 2), number(result["thickness_mm"], language, 1)))
    heading = [words["color"], words["share"], words["kg"], words["bags"](result["constants"]["crumb_bag_kg"])]
    rows = [
        [sheet.color_names[c["name"]], f"{number(c['percent'], language, 1)}%", number(c["kg"], language, 1), str(c["bags"])]
        + ([money(c["cost"], language, currency)] if priced else [])
        for c in result["colors"]
    ]
    rows.append([words["crumb_total"], "100%", number(result["crumb_kg"], language, 1), str(result["crumb_bags"])] + ([""] if priced else []))
    _table(pdf, heading + ([words["cost"]] if priced else []), rows, [50, 20, 25, 35] + ([30] if priced else []))
    pdf.ln(1)
    binder = result["binder"]
    _line(pdf, words["binder"](number(result["binder_kg"], language, 1), binder_order(binder, result["constants"], words)))
    _line(pdf, words["tiles"](result["tiles"]))
    if priced:
        prices = result["prices"]
        total = money(prices["total"], language, currency) if prices["total"] is not None else None
        _line(pdf, words["total"](total) if total else words["no_total"](", ".join(prices["missing"])), bold=True)
    pdf.ln(2)
    _line(pdf, words["by_thickness"], 10, bold=True)
    rows = [
        [f"{number(r['thickness_mm'], language, 1)} {words['mm']}", number(r["crumb_kg"], language, 1),
         number(r["binder_kg"], language, 1), number(r["total_kg"], language, 1)]
        for r in result["by_thickness"]
    ]
    _table(pdf, [words["thickness"], words["crumb_kg"], words["binder_kg"], words["total_kg"]], rows, [35, 35, 35, 35])
    c = result["constants"]
    pdf.ln(1)
    pdf.set_text_color(90, 90, 90)
    _line(pdf, words["formula"](number(c["crumb_kg_per_m2"], language, 2), number(c["binder_percent"], language, 2),
                                c["crumb_bag_kg"], c["binder_bucket_kg"], c["binder_barrel_kg"], c["tiles_per_m2"]), 8.5, height=4.2)
    pdf.set_text_color(0, 0, 0)


def _link_block(pdf: FPDF, sheet: QuoteSheet, words: dict[str, Any]) -> None:
    if pdf.get_y() + QR_MM + 12 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(3)
    top = pdf.get_y()
    code = io.BytesIO()
    segno.make(sheet.link, error="m").save(code, kind="png", scale=8, border=2)
    pdf.image(code, x=pdf.l_margin, y=top, w=QR_MM, h=QR_MM, link=sheet.link)
    pdf.set_xy(pdf.l_margin + QR_MM + 5, top + 2)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, words["link"], new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_text_color(26, 95, 180)
    pdf.multi_cell(0, 4.2, sheet.link, link=sheet.link, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(max(pdf.get_y(), top + QR_MM) + 2)


def quote_pdf(sheet: QuoteSheet) -> bytes:
    """The PDF's bytes (one or two A4 pages)."""
    words = TEXTS[sheet.language]
    pdf = _new_document(sheet.language)
    pdf.set_title(words["title"])
    _line(pdf, words["title"], 16, bold=True, height=8)
    pdf.set_text_color(90, 90, 90)
    _line(pdf, words["made_on"](sheet.made_on.strftime("%d.%m.%Y")), 9)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    top = pdf.get_y()
    pdf.image(io.BytesIO(sheet.picture), x=pdf.l_margin, y=top, w=PICTURE_MM, h=PICTURE_MM)
    _mix_block(pdf, sheet, words, pdf.l_margin + PICTURE_MM + 8)
    pdf.set_y(max(pdf.get_y(), top + PICTURE_MM) + 2)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4, words["picture_note"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    _estimate(pdf, sheet, words)
    _link_block(pdf, sheet, words)
    if sheet.site_picture is not None:
        _site_block(pdf, sheet.site_picture, words)
    return bytes(pdf.output())


def _site_block(pdf: FPDF, picture: bytes, words: dict[str, Any]) -> None:
    """The customer's site with the mix laid, as wide as the page, on a page of its own if it does not fit."""
    with Image.open(io.BytesIO(picture)) as image:
        pixels_wide, pixels_high = image.size
    width = pdf.w - pdf.l_margin - pdf.r_margin
    height = width * pixels_high / pixels_wide
    if pdf.get_y() + height + 12 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(3)
    _line(pdf, words["site_picture"], 9)
    pdf.image(io.BytesIO(picture), x=pdf.l_margin, y=pdf.get_y() + 1, w=width, h=height)

"""The PDF's words in Russian and English, and its number formats (`12,5`, `1 000` in Russian)."""

from __future__ import annotations

from typing import Any

from ..mix.messages import russian_plural

__all__ = ["TEXTS", "binder_order", "money", "number"]


def number(value: float, language: str, digits: int = 1) -> str:
    """`1 234,5` in Russian, `1,234.5` in English; no trailing zeros."""
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
    if language == "ru":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def money(value: float | None, language: str, currency: str) -> str:
    if value is None:
        return "—"
    symbol = {"RUB": "₽", "EUR": "€", "USD": "$"}.get(currency, currency)
    amount = number(value, language, 0)
    return f"{amount} {symbol}" if language == "ru" else f"{symbol}{amount}" if len(symbol) == 1 else f"{amount} {symbol}"


def binder_order(binder: dict[str, Any], constants: dict[str, Any], words: dict[str, Any]) -> str:
    """`16 бочек по 215 кг и 8 вёдер по 20 кг`: the containers a buyer orders."""
    parts = []
    if binder["barrels"]:
        parts.append(words["barrels"](binder["barrels"], constants["binder_barrel_kg"]))
    if binder["buckets"] or not binder["barrels"]:
        parts.append(words["buckets"](binder["buckets"], constants["binder_bucket_kg"]))
    return words["and"].join(parts)


TEXTS: dict[str, dict[str, Any]] = {
    "ru": {
        "title": "Резиновая плитка: смесь для заказа",
        "made_on": lambda day: f"Составлено {day} в конфигураторе плитки",
        "mix": "Смесь",
        "grade": "Фракция",
        "grades": {"fine": "мелкая (1–3 мм)", "standard": "стандартная (2–4 мм)", "coarse": "крупная (3–5 мм)"},
        "view": "Вид",
        "views": {"top": "сверху", "installed": "уложенное покрытие"},
        "framing": "Кадр",
        "framings": {"full_frame": "крупный план", "product_photo": "плитка целиком"},
        "layout": "Раскладка гранул",
        "picture_note": "Картинка — точный предпросмотр долей, нарисованный программой; оттенки по измеренным образцам крошки.",
        "site_picture": "Ваша площадка с этой смесью (нарисовано в браузере поверх вашего фото; свет и тени — с фото).",
        "estimate": "Расчёт материала",
        "for": lambda area, thickness: f"Площадь {area} м², толщина {thickness} мм.",
        "color": "Цвет",
        "share": "Доля",
        "kg": "кг",
        "bags": lambda kg: f"Мешки по {number(kg, 'ru')} кг",
        "cost": "Сумма",
        "crumb_total": "Крошка всего",
        "binder": lambda kg, order: f"Связующее: {kg} кг — {order}.",
        "barrels": lambda n, kg: f"{russian_plural(n, 'бочка', 'бочки', 'бочек')} по {number(kg, 'ru')} кг",
        "buckets": lambda n, kg: f"{russian_plural(n, 'ведро', 'ведра', 'вёдер')} по {number(kg, 'ru')} кг",
        "and": " и ",
        "tiles": lambda n: f"Плитка 500 × 500 мм: {number(n, 'ru', 0)} шт.",
        "total": lambda money_text: f"Итого: {money_text}",
        "no_total": lambda names: f"Итог не посчитан: нет цены для: {names}",
        "by_thickness": "Другие толщины на эту площадь",
        "thickness": "Толщина",
        "mm": "мм",
        "crumb_kg": "Крошка, кг",
        "binder_kg": "Связующее, кг",
        "total_kg": "Всего, кг",
        "formula": lambda rate, percent, bag, bucket, barrel, tiles: (
            f"Расчёт: {rate} кг/м² крошки на каждые 10 мм толщины, связующее {percent}% от массы крошки. "
            f"Крошка в мешках по {number(bag, 'ru')} кг; связующее бочками по {number(barrel, 'ru')} кг, остаток вёдрами "
            f"по {number(bucket, 'ru')} кг. Плиток 500 × 500 мм: {number(tiles, 'ru')} на м²."
        ),
        "link": "Ссылка на эту плитку и расчёт:",
    },
    "en": {
        "title": "Rubber tile: the mix to order",
        "made_on": lambda day: f"Made on {day} in the tile configurator",
        "mix": "Mix",
        "grade": "Grade",
        "grades": {"fine": "fine (1–3 mm)", "standard": "standard (2–4 mm)", "coarse": "coarse (3–5 mm)"},
        "view": "View",
        "views": {"top": "from above", "installed": "installed surface"},
        "framing": "Framing",
        "framings": {"full_frame": "close-up", "product_photo": "whole tile"},
        "layout": "Granule layout",
        "picture_note": "The picture is an exact preview of the shares drawn by the program; shades from measured crumb samples.",
        "site_picture": "Your site with this mix (drawn in the browser over your photo; the light and shadows are the photo's).",
        "estimate": "Material estimate",
        "for": lambda area, thickness: f"Area {area} m², thickness {thickness} mm.",
        "color": "Colour",
        "share": "Share",
        "kg": "kg",
        "bags": lambda kg: f"Bags of {number(kg, 'en')} kg",
        "cost": "Cost",
        "crumb_total": "Crumb in all",
        "binder": lambda kg, order: f"Binder: {kg} kg — {order}.",
        "barrels": lambda n, kg: f"{n} barrel{'' if n == 1 else 's'} of {number(kg, 'en')} kg",
        "buckets": lambda n, kg: f"{n} bucket{'' if n == 1 else 's'} of {number(kg, 'en')} kg",
        "and": " and ",
        "tiles": lambda n: f"Tiles 500 × 500 mm: {number(n, 'en', 0)}.",
        "total": lambda money_text: f"Total: {money_text}",
        "no_total": lambda names: f"No total: no price for {names}",
        "by_thickness": "Other thicknesses for this area",
        "thickness": "Thickness",
        "mm": "mm",
        "crumb_kg": "Crumb, kg",
        "binder_kg": "Binder, kg",
        "total_kg": "In all, kg",
        "formula": lambda rate, percent, bag, bucket, barrel, tiles: (
            f"Estimate: {rate} kg/m² of crumb per 10 mm of thickness, binder {percent}% of the crumb mass. "
            f"Crumb in bags of {number(bag, 'en')} kg; binder in barrels of {number(barrel, 'en')} kg and the rest in "
            f"buckets of {number(bucket, 'en')} kg. Tiles 500 × 500 mm: {number(tiles, 'en')} per m²."
        ),
        "link": "Link to this tile and estimate:",
    },
}

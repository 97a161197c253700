"""The 29 tile colours the model was trained on: canonical names, the owner's codes, aliases.

This is the single vocabulary shared by the prompt builder, the palette, the analyzer,
the preview renderer and the proportion lock.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TileColor:
    name: str  # canonical English name, exactly as in the training captions
    code: str  # the owner's upper-case code (photo file names, older tools)
    aliases: tuple[str, ...] = ()  # other spellings: Russian names, common variants


TILE_COLORS: tuple[TileColor, ...] = (
    TileColor("beige", "BEIGE", ("бежевый",)),
    TileColor("black", "BLACK", ("черный", "чёрный")),
    TileColor("blue", "BLUE", ("синий",)),
    TileColor("brown", "BROWN", ("коричневый",)),
    TileColor("dark blue", "DKBLUE", ("navy", "темно-синий", "тёмно-синий")),
    TileColor("dark gray", "DKGRAY", ("темно-серый", "тёмно-серый", "графит", "графитовый")),
    TileColor("dark green", "DKGREEN", ("темно-зеленый", "тёмно-зелёный", "тёмно-зеленый")),
    TileColor("emerald", "EMERALD", ("изумрудный",)),
    TileColor("gray", "GRAY", ("серый",)),
    TileColor("green apple", "GRNAPL", ("зеленое яблоко", "зелёное яблоко")),
    TileColor("grass green", "GRSGRN", ("травяной", "травяной зеленый", "травянисто-зеленый")),
    TileColor("khaki", "KHAKI", ("хаки",)),
    TileColor("lilac", "LILAC", ("сиреневый",)),
    TileColor("lime green", "LIMEGRN", ("lime", "лаймовый", "салатовый")),
    TileColor("light gray", "LTGRAY", ("светло-серый",)),
    TileColor("light green", "LTGREEN", ("светло-зеленый", "светло-зелёный")),
    TileColor("orange", "ORANGE", ("оранжевый",)),
    TileColor("pearl", "PEARL", ("жемчужный",)),
    TileColor("pink", "PINK", ("розовый",)),
    TileColor("red", "RED", ("красный",)),
    TileColor("salmon", "SALMON", ("лососевый",)),
    TileColor("sand", "SAND", ("песочный",)),
    TileColor("sky blue", "SKYBLUE", ("голубой", "небесно-голубой")),
    TileColor("terracotta", "TERCOT", ("терракотовый", "терракота")),
    TileColor("turquoise", "TURQSE", ("бирюзовый",)),
    TileColor("violet", "VIOLET", ("фиолетовый",)),
    TileColor("white", "WHITE", ("белый",)),
    TileColor("white-green", "WHTGRN", ("бело-зеленый", "бело-зелёный")),
    TileColor("yellow", "YELLOW", ("желтый", "жёлтый")),
)

COLOR_NAMES: tuple[str, ...] = tuple(color.name for color in TILE_COLORS)

# Words that name several tile colours at once: asking for them must not pick one silently.
AMBIGUOUS_NAMES: dict[str, tuple[str, ...]] = {
    "green": ("grass green", "dark green", "light green", "lime green", "green apple", "emerald"),
    "зеленый": ("grass green", "dark green", "light green", "lime green", "green apple", "emerald"),
    "lightblue": ("sky blue", "turquoise"),
}


def normalize_color_text(text: str) -> str:
    """Lower-case, 'grey' -> 'gray', 'ё' -> 'е', and drop spaces, hyphens and underscores."""
    text = text.strip().lower().replace("ё", "е").replace("grey", "gray")
    return re.sub(r"[\s\-_]+", "", text)


def _build_index() -> dict[str, TileColor]:
    index: dict[str, TileColor] = {}
    for color in TILE_COLORS:
        for spelling in (color.name, color.code, *color.aliases):
            key = normalize_color_text(spelling)
            if key in index and index[key] is not color:
                raise RuntimeError(f"colour spelling {spelling!r} names two colours")
            index[key] = color
    return index


_COLOR_INDEX: dict[str, TileColor] = _build_index()
_AMBIGUOUS_INDEX: dict[str, tuple[str, ...]] = {
    normalize_color_text(word): names for word, names in AMBIGUOUS_NAMES.items()
}


def find_color(text: str) -> TileColor | None:
    """The tile colour a spelling names, or None when it names none (or several)."""
    return _COLOR_INDEX.get(normalize_color_text(text))


def color_by_name(name: str) -> TileColor:
    """The tile colour with this canonical name; KeyError for anything else."""
    for color in TILE_COLORS:
        if color.name == name:
            return color
    raise KeyError(name)


def ambiguous_choices(text: str) -> tuple[str, ...]:
    """The colours a vague word like 'green' could mean; empty when it is not such a word."""
    return _AMBIGUOUS_INDEX.get(normalize_color_text(text), ())


def closest_color_names(text: str, limit: int = 1) -> list[str]:
    """Canonical names of the colours whose spellings come closest to `text`."""
    matches = difflib.get_close_matches(normalize_color_text(text), list(_COLOR_INDEX), n=limit * 4, cutoff=0.5)
    names: list[str] = []
    for key in matches:
        name = _COLOR_INDEX[key].name
        if name not in names:
            names.append(name)
    return names[:limit]

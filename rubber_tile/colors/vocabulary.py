"""The 29 tile colours the model was trained on: canonical names, the owner's codes, aliases.

This is the single vocabulary shared by the mix parser, the palette, the analyzer, the preview
renderer and the colour lock.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
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
    TileColor("dark blue", "DKBLUE", ("navy", "navy blue", "темно-синий", "тёмно-синий")),
    TileColor("dark gray", "DKGRAY", ("темно-серый", "тёмно-серый", "графит", "графитовый")),
    TileColor("dark green", "DKGREEN", ("темно-зеленый", "тёмно-зелёный", "тёмно-зеленый")),
    TileColor("emerald", "EMERALD", ("изумрудный",)),
    TileColor("gray", "GRAY", ("серый",)),
    TileColor("green apple", "GRNAPL", ("apple green", "зеленое яблоко", "зелёное яблоко")),
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
    "purple": ("violet", "lilac"),
}


def normalize_color_text(text: str) -> str:
    """Lower-case, 'grey' -> 'gray', 'ё' -> 'е', and drop spaces, hyphens and underscores."""
    text = text.strip().lower().replace("ё", "е").replace("grey", "gray")
    return re.sub(r"[\s\-_]+", "", text)


# Russian adjectives change their ending with gender and case: a tile (плитка) is feminine, and "50% красного"
# is genitive. Longest first, so that "-ого" goes before "-ой".
_RUSSIAN_ENDINGS = ("ого", "его", "ому", "ему", "ыми", "ими", "ая", "яя", "ое", "ее", "ые", "ие", "ый", "ий", "ой",
                    "ую", "юю", "ых", "их", "ым", "им", "ей")
_CYRILLIC = re.compile(r"[а-я]")


def russian_stem_key(text: str) -> str:
    """`Тёмно-зелёная` and `тёмно-зелёного` -> `темнозелен`: each word without its adjective ending."""
    words = re.split(r"[\s\-_]+", text.strip().lower().replace("ё", "е"))
    stems = []
    for word in words:
        ending = next((e for e in _RUSSIAN_ENDINGS if word.endswith(e) and len(word) > len(e) + 2), "")
        stems.append(word[: len(word) - len(ending)])
    return "".join(stems)


def _build_index(key_of: Callable[[str], str]) -> dict[str, TileColor]:
    index: dict[str, TileColor] = {}
    for color in TILE_COLORS:
        for spelling in (color.name, color.code, *color.aliases):
            key = key_of(spelling)
            if key in index and index[key] is not color:
                raise RuntimeError(f"colour spelling {spelling!r} names two colours")
            index[key] = color
    return index


_COLOR_INDEX: dict[str, TileColor] = _build_index(normalize_color_text)
_RUSSIAN_STEM_INDEX: dict[str, TileColor] = _build_index(russian_stem_key)
_AMBIGUOUS_INDEX: dict[str, tuple[str, ...]] = {
    key_of(word): names
    for word, names in AMBIGUOUS_NAMES.items()
    for key_of in (normalize_color_text, russian_stem_key)
}


def find_color(text: str) -> TileColor | None:
    """The tile colour a spelling names, or None when it names none (or several)."""
    color = _COLOR_INDEX.get(normalize_color_text(text))
    if color is None and _CYRILLIC.search(text.lower()):
        color = _RUSSIAN_STEM_INDEX.get(russian_stem_key(text))
    return color


def color_by_name(name: str) -> TileColor:
    """The tile colour with this canonical name; KeyError for anything else."""
    for color in TILE_COLORS:
        if color.name == name:
            return color
    raise KeyError(name)


def ambiguous_choices(text: str) -> tuple[str, ...]:
    """The colours a vague word like 'green' could mean; empty when it is not such a word."""
    choices = _AMBIGUOUS_INDEX.get(normalize_color_text(text), ())
    if not choices and _CYRILLIC.search(text.lower()):
        choices = _AMBIGUOUS_INDEX.get(russian_stem_key(text), ())
    return choices


# How alike (difflib's ratio) a misspelling must be to a known spelling to be suggested: 'perl' -> 'pearl'
# is 0.89 and 'terakota' -> 'terracotta' 0.78, while unrelated words ('бордовый' and 'бирюзовый') stay below it.
SUGGESTION_CUTOFF = 0.75


def closest_color_names(text: str, limit: int = 6) -> list[str]:
    """Canonical names of the colours `text` most likely meant: those it is a word of ('grass' -> 'grass green',
    'dark' -> three), else the closest spelling's colour (or colours, for a misspelt 'green')."""
    words = text.strip().lower().replace("grey", "gray").split()
    if len(words) == 1 and len(words[0]) >= 3:
        containing = [name for name in COLOR_NAMES if words[0] in re.split(r"[\s\-]+", name)]
        if containing:
            return containing[:limit]
    candidates = [*_COLOR_INDEX, *_AMBIGUOUS_INDEX]
    matches = difflib.get_close_matches(normalize_color_text(text), candidates, n=1, cutoff=SUGGESTION_CUTOFF)
    if not matches:
        return []
    if matches[0] in _COLOR_INDEX:
        return [_COLOR_INDEX[matches[0]].name]
    return list(_AMBIGUOUS_INDEX[matches[0]][:limit])


def suggestion_hint(text: str) -> str:
    """`did you mean 'pearl'?`, `did you mean one of 'dark blue', 'dark gray', 'dark green'?`, or ''."""
    names = closest_color_names(text)
    if not names:
        return ""
    if len(names) == 1:
        return f"did you mean '{names[0]}'?"
    return f"did you mean one of {', '.join(repr(name) for name in names)}?"

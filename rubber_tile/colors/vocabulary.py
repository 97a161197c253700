"""The 29 tile colours the model was trained on: canonical names, the owner's codes, Russian names, aliases.

The single vocabulary of the project: the mix parser, the palette, the analyzer, the preview and
the colour lock all name colours by `TileColor.name`, exactly as in the training captions.
`find_color` reads any spelling a customer uses (English or Russian, any case, any Russian word
form, the owner's codes); a word that names several colours is never resolved to one of them.
docs/mix_language.md lists what is accepted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .russian import is_cyrillic, russian_key


@dataclass(frozen=True)
class TileColor:
    name: str  # canonical English name, exactly as in the training captions
    code: str  # the owner's upper-case code (photo file names, older tools)
    russian: str  # the Russian name customers see
    aliases: tuple[str, ...] = ()  # other spellings, English or Russian (any Russian word form is read)


TILE_COLORS: tuple[TileColor, ...] = (
    TileColor("beige", "BEIGE", "бежевый", ("беж",)),
    TileColor("black", "BLACK", "чёрный"),
    TileColor("blue", "BLUE", "синий"),
    TileColor("brown", "BROWN", "коричневый", ("chocolate", "шоколадный", "шоколад")),
    TileColor("dark blue", "DKBLUE", "тёмно-синий", ("navy", "navy blue", "midnight blue")),
    TileColor("dark gray", "DKGRAY", "тёмно-серый", ("charcoal", "graphite", "графит", "графитовый", "мокрый асфальт")),
    TileColor("dark green", "DKGREEN", "тёмно-зелёный", ("forest green",)),
    TileColor("emerald", "EMERALD", "изумрудный", ("emerald green", "изумруд")),
    TileColor("gray", "GRAY", "серый", ("medium gray", "mid gray")),
    TileColor("green apple", "GRNAPL", "зелёное яблоко", ("apple green", "apple", "яблочный", "яблоко")),
    TileColor("grass green", "GRSGRN", "травяной", ("grass", "травяной зелёный", "травянисто-зелёный", "трава")),
    TileColor("khaki", "KHAKI", "хаки", ("olive", "оливковый")),
    TileColor("lilac", "LILAC", "сиреневый", ("сирень",)),
    TileColor("lime green", "LIMEGRN", "лаймовый", ("lime", "лайм", "салатовый", "салатный")),
    TileColor("light gray", "LTGRAY", "светло-серый", ("silver", "серебристый")),
    TileColor("light green", "LTGREEN", "светло-зелёный", ("pale green",)),
    TileColor("orange", "ORANGE", "оранжевый"),
    TileColor("pearl", "PEARL", "жемчужный", ("pearl white", "жемчуг", "перламутровый", "перламутр")),
    TileColor("pink", "PINK", "розовый", ("rose",)),
    TileColor("red", "RED", "красный"),
    TileColor("salmon", "SALMON", "лососевый", ("лосось",)),
    TileColor("sand", "SAND", "песочный", ("sandy", "песок", "песчаный")),
    TileColor("sky blue", "SKYBLUE", "голубой", ("sky", "небесно-голубой", "небесный")),
    TileColor("terracotta", "TERCOT", "терракотовый", ("terra cotta", "терракота")),
    TileColor("turquoise", "TURQSE", "бирюзовый", ("бирюза",)),
    TileColor("violet", "VIOLET", "фиолетовый"),
    TileColor("white", "WHITE", "белый", ("белоснежный",)),
    TileColor("white-green", "WHTGRN", "бело-зелёный"),
    TileColor("yellow", "YELLOW", "жёлтый", ("lemon", "лимонный")),
)

COLOR_NAMES: tuple[str, ...] = tuple(color.name for color in TILE_COLORS)

_GREENS = ("grass green", "dark green", "light green", "lime green", "green apple", "emerald")
# Words that name several tile colours at once: asking for them must not pick one silently.
AMBIGUOUS_NAMES: dict[str, tuple[str, ...]] = {
    "green": _GREENS,
    "зелёный": _GREENS,
    "light blue": ("sky blue", "turquoise"),
    "светло-синий": ("sky blue", "turquoise"),
    "purple": ("violet", "lilac"),
    "пурпурный": ("violet", "lilac"),
    "лиловый": ("violet", "lilac"),
    "anthracite": ("dark gray", "black"),
    "антрацит": ("dark gray", "black"),
    "асфальт": ("gray", "dark gray"),
    "cream": ("beige", "pearl"),
    "кремовый": ("beige", "pearl"),
    "ivory": ("pearl", "white"),
    "слоновая кость": ("pearl", "white"),
    "off-white": ("pearl", "white"),
    "mint": ("light green", "white-green"),
    "мятный": ("light green", "white-green"),
    "teal": ("turquoise", "emerald"),
    "морская волна": ("turquoise", "emerald"),
    "coral": ("salmon", "pink", "orange"),
    "коралловый": ("salmon", "pink", "orange"),
    "peach": ("salmon", "beige"),
    "персиковый": ("salmon", "beige"),
    "brick": ("red", "terracotta"),
    "кирпичный": ("red", "terracotta"),
    "burgundy": ("terracotta", "red"),
    "бордовый": ("terracotta", "red"),
    "dark": ("dark blue", "dark gray", "dark green"),
    "тёмный": ("dark blue", "dark gray", "dark green"),
    "light": ("light gray", "light green"),
    "светлый": ("light gray", "light green"),
}


def latin_key(text: str) -> str:
    """Lower-case, 'grey' -> 'gray', without spaces, hyphens and underscores."""
    text = text.strip().lower().replace("grey", "gray")
    return re.sub(r"[\s\-_]+", "", text)


def spelling_key(text: str) -> str:
    """The key a spelling is looked up by: Russian word forms folded, Latin spellings normalised."""
    return russian_key(text) if is_cyrillic(text) else latin_key(text)


def _build_index(entries: Iterable[tuple[str, TileColor]], key_of: Callable[[str], str]) -> dict[str, TileColor]:
    index: dict[str, TileColor] = {}
    for spelling, color in entries:
        key = key_of(spelling)
        if key in index and index[key] is not color:
            raise RuntimeError(f"colour spelling {spelling!r} names both {index[key].name!r} and {color.name!r}")
        index[key] = color
    return index


def _spellings() -> list[tuple[str, TileColor]]:
    return [(spelling, color) for color in TILE_COLORS for spelling in (color.name, color.code, color.russian, *color.aliases)]


_COLOR_INDEX: dict[str, TileColor] = _build_index(_spellings(), spelling_key)
_AMBIGUOUS_INDEX: dict[str, tuple[str, ...]] = {spelling_key(word): names for word, names in AMBIGUOUS_NAMES.items()}
_BY_NAME: dict[str, TileColor] = {color.name: color for color in TILE_COLORS}
if set(_AMBIGUOUS_INDEX) & set(_COLOR_INDEX):
    raise RuntimeError(f"words both ambiguous and one colour: {sorted(set(_AMBIGUOUS_INDEX) & set(_COLOR_INDEX))}")


def find_color(text: str) -> TileColor | None:
    """The tile colour a spelling names, or None when it names none (or several)."""
    return _COLOR_INDEX.get(spelling_key(text))


def color_by_name(name: str) -> TileColor:
    """The tile colour with this canonical name; KeyError for anything else."""
    return _BY_NAME[name]


def display_name(name: str, language: str) -> str:
    """A canonical name as a customer reads it: the Russian name for "ru", else the English one."""
    return _BY_NAME[name].russian if language == "ru" else name


def ambiguous_choices(text: str) -> tuple[str, ...]:
    """The colours a vague word like 'green' could mean; empty when it is not such a word."""
    return _AMBIGUOUS_INDEX.get(spelling_key(text), ())


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
    key = spelling_key(text)
    candidates = [*_COLOR_INDEX, *_AMBIGUOUS_INDEX]
    matches = difflib.get_close_matches(key, candidates, n=1, cutoff=SUGGESTION_CUTOFF)
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

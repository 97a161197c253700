"""Colour phrases: the words of one item to one canonical colour, and runs of words to several.

`colour_of(("тёмно", "серого"))` -> "dark gray"; filler words (`цвет`, `крошка`, `granules`) aside.
`segmentations(("dark", "green", "white"), 2)` -> every way the words split into that many colours:
a run that splits two ways (`white green apple`: white-green + apple, or white + green apple) is
refused by the parser, never guessed.
"""

from __future__ import annotations

from functools import lru_cache

from ..colors.russian import is_cyrillic, russian_key
from ..colors.vocabulary import ambiguous_choices, closest_color_names, find_color
from . import messages
from .errors import MixProblem
from .value import MAX_COLORS

_FILLER_WORDS = frozenset({"of", "color", "colour", "crumb", "granules", "rubber", "epdm", "tile"})
_FILLER_STEMS = frozenset({"цвет", "крошк", "крошечк", "гранул", "эпдм", "резин", "резинов", "оттенк", "оттенок"})
_MAX_PHRASE_WORDS = 5  # the longest colour phrase with a filler word: `цвета травянисто зелёного` is 3
_MAX_SEGMENTED_WORDS = 6 * MAX_COLORS  # longer runs of words without shares are not split into colours

Segmentation = tuple[tuple[str, ...], ...]


def without_fillers(words: tuple[str, ...]) -> tuple[str, ...]:
    def filler(word: str) -> bool:
        return word in _FILLER_WORDS or (is_cyrillic(word) and russian_key(word) in _FILLER_STEMS)

    return tuple(word for word in words if not filler(word))


@lru_cache(maxsize=4096)
def color_of(words: tuple[str, ...]) -> str | None:
    """The canonical colour these words name, filler words aside; None for none or several."""
    for candidate in (words, without_fillers(words)):
        if candidate and (color := find_color(" ".join(candidate))) is not None:
            return color.name
    return None


@lru_cache(maxsize=4096)
def segmentations(words: tuple[str, ...], count: int | None) -> tuple[Segmentation, ...]:
    """The ways `words` split into exactly `count` phrases (or, if None, at least two) that each name a
    colour, as distinct colour sequences; at most two are returned (two already mean ambiguous)."""
    if len(words) > _MAX_SEGMENTED_WORDS or (count is not None and count < 1) or not words:
        return ()
    if count == 1:
        return ((words,),) if color_of(words) is not None else ()
    found: dict[tuple[str, ...], Segmentation] = {}
    for cut in range(min(len(words) - 1, _MAX_PHRASE_WORDS), 0, -1):
        head, tail = words[:cut], words[cut:]
        if color_of(head) is None:
            continue
        rests = segmentations(tail, None if count is None else count - 1)
        if count is None and color_of(tail) is not None:
            rests = ((tail,), *rests)
        for rest in rests:
            found.setdefault(tuple(color_of(phrase) or "" for phrase in (head, *rest)), (head, *rest))
            if len(found) > 1:
                return tuple(found.values())
    return tuple(found.values())


def color_problem(text: str) -> MixProblem:
    """Why `text` names no single colour: ambiguous (with the candidates) or unknown (with the closest)."""
    choices = ambiguous_choices(text) or ambiguous_choices(" ".join(without_fillers(tuple(text.split()))))
    if choices:
        return messages.ambiguous_color(text, choices)
    return messages.unknown_color(text, closest_color_names(text))

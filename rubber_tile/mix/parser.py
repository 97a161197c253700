"""Reading a customer's colour mix: `parse_mix("50% red, 30% black, 20% pearl")` -> ColorMix.

What reads (docs/mix_language.md has the full table, generated from the tests):
- shares with or without a percent sign, before or after the colour: `70 black 30 white`,
  `black 70 white 30`, `black: 70, white: 30`, `black=70; white=30`, `40% white 60% red`;
- ratios: `60/40 red/white`, `60:40 red and white`, `70 на 30 чёрный и белый`, `red/white 60/40`,
  and parts such as `3:1 black/white` (small whole numbers that do not add up to 100 are read as parts);
- shares as fractions of one (`0.5 red 0.5 white`: no percent sign, each at most 1, summing to 1),
  as fractions (`1/3 red, 1/3 white, 1/3 black`) or in words (`half red half black`, `половина`);
- equal parts in words: `поровну красный, белый и чёрный`, `red and white half and half`;
- items separated by `,` `;` `+` `&` `/` `and` `и`, new lines, or nothing;
- every spelling colors/vocabulary.py knows, Russian in any form; filler words (`цвет`, `крошка`).
A single bare colour means 100%. Shares within SUM_TOLERANCE_PP of 100 are scaled to 100.
Everything else raises one MixError listing every problem, in Russian when the text is Cyrillic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..colors.russian import text_language
from ..errors import first_control_character
from . import messages
from .errors import MixError, MixProblem
from .messages import MIX_EXAMPLE
from .phrases import color_of, color_problem, segmentations
from .tokens import COLON, EQUAL, ITEM, NUMBER, SLASH, WORD, Token, tokenize
from .value import MAX_COLORS, MIN_SHARE_PERCENT, SUM_TOLERANCE_PP, ColorMix

MAX_PROMPT_CHARS = 2000
_TRIGGER = re.compile(r"ohwx_rubber_tile|<s\d+>", re.IGNORECASE)
_SEPARATORS_ONLY = re.compile(r"[\s,;+&|/\\:=.\-]+")
SHARE_DECIMALS = 2  # shares are read to the precision the prompt writes them (ColorMix.describe)
MAX_PART_TOTAL = 20  # `3:1` is parts; `60:40` sums to 100; whole numbers summing to at most this are parts

__all__ = [
    "MAX_PROMPT_CHARS",
    "MIX_EXAMPLE",
    "check_mix_text",
    "merged_mix",
    "mix_from_prompt",
    "parse_color_list",
    "parse_mix",
]


@dataclass(frozen=True)
class _Item:
    """One colour of the mix as written: its words and the numbers next to them."""

    words: tuple[str, ...]
    numbers: tuple[Token, ...]

    @property
    def text(self) -> str:
        return " ".join([*(n.text for n in self.numbers), *self.words])


def check_mix_text(text: object, what: str = "prompt") -> str:
    """The text, or MixError if it is not plain text of a sane length."""
    if text is None:
        raise MixError([messages.missing(what)])
    if not isinstance(text, str):
        raise MixError([messages.not_text(type(text).__name__)])
    language = text_language(text)
    if len(text) > MAX_PROMPT_CHARS:
        raise MixError([messages.too_long(len(text), MAX_PROMPT_CHARS)], language)
    if (char := first_control_character(text)) is not None:
        raise MixError([messages.control_character(char)], language)
    return text


def parse_mix(text: str) -> ColorMix:
    """Read a colour mix like `50% red, 30% black, 20% pearl` (see the module docstring)."""
    text = check_mix_text(text)
    language = text_language(text)
    return _checked_mix(_read_pairs(text, language), language)


def _read_pairs(text: str, language: str) -> tuple[list[tuple[str, float]], list[MixProblem]]:
    """The (colour, share) pairs a checked text names, with the problems found in its words; MixError
    where nothing reads at all or a ratio is malformed."""
    tokens = tokenize(text)
    equal_parts = any(token.kind == EQUAL for token in tokens)
    tokens = [token for token in tokens if token.kind != EQUAL]
    if not any(token.kind in (NUMBER, WORD) for token in tokens):
        leftover = _SEPARATORS_ONLY.sub("", text)
        raise _refusal([messages.unreadable(text.strip()) if leftover else messages.empty()], language)
    ratio = _ratio_items(tokens)
    if isinstance(ratio, MixProblem):
        raise _refusal([ratio], language)
    items = ratio or _listed_items(tokens)
    return _resolve(_in_equal_parts(items) if equal_parts else items)


def _refusal(problems: list[MixProblem], language: str) -> MixError:
    """The error of these problems; with the known colours after them when a colour or the text did not read."""
    lost = any(problem.code in ("unknown_colour", "unreadable") for problem in problems)
    return MixError(problems, language, footer=messages.known_colors_footer() if lost else None)


def _checked_mix(resolved: tuple[list[tuple[str, float]], list[MixProblem]], language: str) -> ColorMix:
    """The mix of these (colour, share) pairs, or one MixError with every problem found in them."""
    pairs, problems = resolved
    problems = [*problems, *_check_mix(pairs, complete=not problems)]
    if problems:
        raise _refusal(problems, language)
    return ColorMix([(name, round(percent, SHARE_DECIMALS)) for name, percent in pairs])


def _in_equal_parts(items: list[_Item]) -> list[_Item]:
    """`поровну красный и белый`: colours written without shares each get an equal share (items that
    carry a share keep it, and then the sum decides)."""
    items = _split_bare_colors(items)
    if any(item.numbers for item in items):
        return items
    share = Token(NUMBER, "", 100.0 / len(items), True) if items else None
    return [_Item(item.words, (share,)) for item in items if share is not None]


def _listed_items(tokens: list[Token]) -> list[_Item]:
    """Items from text that lists them: split at separators, then shares paired with the words beside them."""
    items: list[_Item] = []
    chunk: list[Token] = []
    for token in [*tokens, Token(ITEM, "")]:
        if token.kind in (ITEM, SLASH):
            items += _pair_up(chunk)
            chunk = []
        elif token.kind != COLON:
            chunk.append(token)
    return items


def _pair_up(chunk: list[Token]) -> list[_Item]:
    """`40% white 60% red` or `red 40 white 60`: runs of words and numbers, paired the way the chunk starts."""
    runs: list[list[Token]] = []
    for token in chunk:
        if runs and runs[-1][0].kind == token.kind:
            runs[-1].append(token)
        else:
            runs.append([token])
    if not runs:
        return []
    numbers_first = runs[0][0].kind == NUMBER
    items = []
    for start in range(0, len(runs), 2):
        first, second = runs[start], runs[start + 1] if start + 1 < len(runs) else []
        numbers, words = (first, second) if numbers_first else (second, first)
        items.append(_Item(tuple(word.text for word in words), tuple(numbers)))
    return items


def _ratio_items(tokens: list[Token]) -> list[_Item] | MixProblem | None:
    """`60/40 red/white`, `60:40 red and white`, `red/white 60/40`, `34+33+33 red, blue, white`: the
    numbers, joined by / : or +, then as many colours (or the colours, then the numbers)."""
    significant = [token for token in tokens if token.kind != ITEM or token.text in ("and", "и", "+")]
    numbers = [token for token in significant if token.kind == NUMBER]
    if len(numbers) < 2:
        return None
    first, last = significant.index(numbers[0]), len(significant) - 1 - significant[::-1].index(numbers[-1])
    run = significant[first : last + 1]
    joiners = run[1::2]
    joined_by_ratio = len(run) == 2 * len(numbers) - 1 and all(
        t.kind in (SLASH, COLON) or t.text == "+" for t in joiners
    )
    if not joined_by_ratio or not all(token.kind == NUMBER for token in run[::2]):
        return None
    words = significant[:first] + significant[last + 1 :]
    ratio = "".join(t.text for t in run)
    phrases = _phrases(words, len(numbers), ratio)
    if isinstance(phrases, MixProblem):
        return phrases
    return [_Item(phrase, (number,)) for phrase, number in zip(phrases, _ratio_shares(numbers), strict=True)]


def _phrases(tokens: list[Token], count: int, ratio: str) -> list[tuple[str, ...]] | MixProblem:
    """The colour phrases of a ratio: split at / and `and`, or by the vocabulary when only spaces part
    them (and then only where the words split one way)."""
    phrases: list[list[str]] = [[]]
    for token in tokens:
        if token.kind == WORD:
            phrases[-1].append(token.text)
        elif phrases[-1]:
            phrases.append([])
    phrases = [phrase for phrase in phrases if phrase]
    if len(phrases) == count:
        return [tuple(phrase) for phrase in phrases]
    words = " ".join(word for phrase in phrases for word in phrase)
    if not phrases:
        return messages.ratio_without_colors(ratio, count)
    readings = segmentations(tuple(phrases[0]), count) if len(phrases) == 1 else ()
    if len(readings) == 1:
        return list(readings[0])
    if len(readings) > 1:
        return messages.ambiguous_split(words, [[color_of(phrase) or "" for phrase in r] for r in readings])
    return messages.ratio_mismatch(ratio, words, count)


def _ratio_shares(numbers: list[Token]) -> list[Token]:
    """The shares of a ratio in percent: as written, or parts (`3:1`, no percent signs) scaled to 100."""
    values = [number.value for number in numbers]
    total = sum(values)
    whole_parts = all(v.is_integer() and v > 0 for v in values) and not any(number.percent for number in numbers)
    is_parts = abs(total - 100.0) > SUM_TOLERANCE_PP and total <= MAX_PART_TOTAL and whole_parts
    if not is_parts:
        return numbers
    return [Token(NUMBER, number.text, number.value * 100.0 / total, True) for number in numbers]


def _resolve(items: list[_Item]) -> tuple[list[tuple[str, float]], list[MixProblem]]:
    """Canonical colour and share of each item, and the problems found in them."""
    items = _split_bare_colors(items)
    if len(items) == 1 and not items[0].numbers and (name := color_of(items[0].words)) is not None:
        return [(name, 100.0)], []  # one bare colour: the whole tile
    pairs: list[tuple[str, float]] = []
    problems: list[MixProblem] = []
    unshared: list[str] = []
    items = _fractions_of_one(items)
    for item in items:
        name = color_of(item.words) if item.words else None
        if not item.words:
            problems.append(messages.share_without_color(item.text))
        elif len(item.numbers) > 1:
            problems.append(messages.unreadable(item.text))
        elif name is None:
            problems.append(color_problem(" ".join(item.words)))
        elif not item.numbers:
            unshared.append(" ".join(item.words))
        else:
            pairs.append((name, item.numbers[0].value))
    if unshared:
        problems.append(messages.missing_shares(unshared))
    return pairs, problems


def _fractions_of_one(items: list[_Item]) -> list[_Item]:
    """`0.5 red 0.5 white`: shares without percent signs, each above 0 and at most 1, are fractions of
    one, read as percents (as percents they could never add up to 100; the sum is checked after)."""
    numbers = [item.numbers[0] for item in items if len(item.numbers) == 1]
    if len(numbers) != len(items) or any(n.percent or not 0 < n.value <= 1 for n in numbers):
        return items
    return [_Item(item.words, (Token(NUMBER, n.text, n.value * 100.0, True),)) for item, n in zip(items, numbers, strict=True)]


def _split_bare_colors(items: list[_Item]) -> list[_Item]:
    """`red white` with no shares is two colours without shares, not one unknown colour (where the
    words split only one way; otherwise the item stays whole and is refused as it is)."""
    split: list[_Item] = []
    for item in items:
        readings = segmentations(item.words, None) if not item.numbers and color_of(item.words) is None else ()
        split += [_Item(part, ()) for part in readings[0]] if len(readings) == 1 else [item]
    return split


def _check_mix(pairs: list[tuple[str, float]], complete: bool) -> list[MixProblem]:
    """The problems of the mix as a whole: repeats, too many colours, shares out of range, and the sum
    where every colour was read with its share (`complete`)."""
    problems: list[MixProblem] = []
    names = [name for name, _ in pairs]
    for name in dict.fromkeys(name for name in names if names.count(name) > 1):
        problems.append(messages.duplicate_color(name))
    if len(set(names)) > MAX_COLORS:
        problems.append(messages.too_many_colors(len(set(names)), MAX_COLORS))
    for name, percent in pairs:
        if percent < MIN_SHARE_PERCENT:
            problems.append(messages.share_too_small(name, percent, MIN_SHARE_PERCENT))
        elif percent > 100:
            problems.append(messages.share_too_large(name, percent))
    total = sum(round(percent, SHARE_DECIMALS) for _, percent in pairs)  # as the prompt will write them
    in_range = all(MIN_SHARE_PERCENT <= percent <= 100 for _, percent in pairs)
    if pairs and complete and in_range and abs(total - 100.0) > SUM_TOLERANCE_PP:
        problems.append(messages.bad_sum(total, SUM_TOLERANCE_PP))
    return problems


def merged_mix(text: str) -> ColorMix | None:
    """The mix with each repeated colour given once, its shares added up (`50% red, 50% красный` ->
    100% red), where repeats are the text's only problem; else None. A fix to offer, never applied silently."""
    try:
        pairs, problems = _read_pairs(check_mix_text(text), "en")
    except MixError:
        return None
    if problems or len({name for name, _ in pairs}) == len(pairs):
        return None
    merged: dict[str, float] = {}
    for name, share in pairs:
        merged[name] = merged.get(name, 0.0) + share
    try:
        return _checked_mix((list(merged.items()), []), "en")
    except MixError:
        return None


def parse_color_list(texts: Iterable[str]) -> tuple[str, ...]:
    """Canonical names for a list of colour spellings (aliases and codes accepted), duplicates dropped."""
    if isinstance(texts, str):
        raise MixError([messages.unreadable(texts)])
    names: list[str] = []
    problems = []
    for text in texts:
        name = color_of(tuple(str(text).lower().split()))
        if name is None:
            problems.append(color_problem(str(text)))
        elif name not in names:
            names.append(name)
    if problems:
        raise MixError(problems, footer=messages.known_colors_footer())
    if not names:
        raise MixError([messages.empty("the colour list")])
    return tuple(names)


def mix_from_prompt(prompt: str) -> ColorMix:
    """The colour mix written inside a full trigger prompt (`ohwx_rubber_tile <s0><s1>, 60% red, 40% white,
    ...`): every share with a percent sign and the colour words after it; one that does not read refuses
    the whole mix (the colour lock and the preview must not work from part of it)."""
    text = _TRIGGER.sub(", ", prompt)
    items: list[_Item] = []
    words: list[str] = []
    share: Token | None = None
    for token in [*tokenize(text), Token(ITEM, "")]:
        if token.kind == WORD and share is not None:
            words.append(token.text)
            continue
        if share is not None:
            items.append(_Item(tuple(words), (share,)))
            share, words = None, []
        if token.kind == NUMBER and token.percent:
            share = token
    if not items:
        raise MixError([messages.no_shares_in_prompt(prompt[:120])])
    return _checked_mix(_resolve(items), text_language(prompt))

"""Reading a customer's colour mix: `parse_mix("50% red, 30% black, 20% pearl")` -> ColorMix.

Accepts canonical names, the owner's codes (DKGREEN), Russian names, `grey`, any case, hyphens or
spaces inside names, `50 %`, `50%red`, `red 50%`, decimals, and commas, semicolons, `and`, `+` or
new lines between items. A single bare colour means 100%. Everything a customer must fix raises
MixError with a message that says how.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..colors.vocabulary import COLOR_NAMES, ambiguous_choices, find_color, suggestion_hint
from ..errors import check_plain_text
from .errors import MixError
from .value import MAX_COLORS, ColorMix

MAX_PROMPT_CHARS = 2000
MIX_EXAMPLE = "50% red, 30% black, 20% pearl"

_ITEM_SEPARATORS = re.compile(r"[,;+\n\r]|\band\b|\bи\b|&", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_PERCENT_ITEM = re.compile(r"\d+(?:\.\d+)?\s*%\s*[^\W\d_][^,;\n]*?(?=\s*(?:[,;\n]|$))")

# What customers type besides plain ASCII, mapped to what the parser reads.
_PERCENT_SIGNS = re.compile(r"[\u066a\uff05\ufe6a]|\s*\b(?:percent|pct|процент(?:а|ов)?)\b", re.IGNORECASE)  # ٪ ％
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")  # hyphens, en and em dashes, minus sign
_QUOTES_AND_BRACKETS = re.compile(r"[\"'`\u00ab\u00bb\u2018-\u201f()\[\]{}]")
_COMMA_DECIMAL = re.compile(r"(?<=\d),(?=\d)")  # 33,3% -> 33.3%
_BARE_DECIMAL = re.compile(r"(?<!\d)\.(?=\d)")  # .5% -> 0.5%
_STRAY_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")  # a full stop, not a decimal point
_DASH_BEFORE_SHARE = re.compile(r"(?<=[^\W\d_])\s*-\s*(?=\d)")  # red-50% is red 50%, not minus 50


def check_mix_text(text: object, what: str = "prompt") -> str:
    """Refuse what is not plain text of a sane length, before anything else reads it."""
    return check_plain_text(
        text, what, MAX_PROMPT_CHARS, hint=f"send a colour mix such as '{MIX_EXAMPLE}'", error=MixError
    )


def parse_mix(text: str) -> ColorMix:
    """Read a colour mix like `50% red, 30% black, 20% pearl` (see the module docstring)."""
    text = _plain_mix_text(check_mix_text(text))
    raw_items = [item.strip() for item in _ITEM_SEPARATORS.split(text)]
    raw_items = [item for item in raw_items if item]
    if not raw_items:
        raise MixError(f"the colour mix is empty: send something like '{MIX_EXAMPLE}'")
    if len(raw_items) > MAX_COLORS:
        raise MixError(
            f"the mix has {len(raw_items)} colours; the model knows mixes of at most {MAX_COLORS}. "
            "Merge the smallest shares into fewer colours"
        )

    parsed = [_parse_item(item) for item in raw_items]
    if len(parsed) == 1 and parsed[0][1] is None:
        parsed = [(parsed[0][0], 100.0)]
    missing = [name for name, percent in parsed if percent is None]
    if missing:
        raise MixError(
            f"no percentage given for {', '.join(repr(name) for name in missing)}: give every colour a share, "
            f"e.g. '{MIX_EXAMPLE}'"
        )
    return ColorMix([(name, percent) for name, percent in parsed if percent is not None])


def _plain_mix_text(text: str) -> str:
    """Other percent signs and dashes, comma decimals, quotes, brackets and full stops, as the parser reads them."""
    text = _PERCENT_SIGNS.sub("%", text)
    text = _DASHES.sub("-", text)
    text = _QUOTES_AND_BRACKETS.sub(" ", text)
    text = _COMMA_DECIMAL.sub(".", text)
    text = _BARE_DECIMAL.sub("0.", text)
    text = _STRAY_DOT.sub(" ", text)
    return _DASH_BEFORE_SHARE.sub(" ", text)


def _parse_item(item: str) -> tuple[str, float | None]:
    numbers = _NUMBER.findall(item)
    if len(numbers) > 1:
        raise MixError(f"could not read '{item}': write one colour with one share, like '30% black'")
    percent = float(numbers[0]) if numbers else None
    color_text = _NUMBER.sub(" ", item).replace("%", " ").strip(" :=\t")
    if not color_text:
        raise MixError(f"'{item}' has a share but no colour: write it like '30% black'")
    return _resolve_color(color_text), percent


def _resolve_color(text: str) -> str:
    color = find_color(text)
    if color is not None:
        return color.name
    choices = ambiguous_choices(text)
    if choices:
        raise MixError(f"'{text}' could be several tile colours: use one of {', '.join(choices)}")
    hint = f"{suggestion} " if (suggestion := suggestion_hint(text)) else ""
    raise MixError(f"unknown colour '{text}': {hint}Known colours: {', '.join(COLOR_NAMES)}")


def parse_color_list(texts: Iterable[str]) -> tuple[str, ...]:
    """Canonical names for a list of colour spellings (aliases and codes accepted), duplicates dropped."""
    if isinstance(texts, str):
        raise MixError(f"colors must be a list of colour names, not the string {texts!r}")
    names: list[str] = []
    for text in texts:
        color = find_color(text)
        if color is None:
            hint = f" ({suggestion})" if (suggestion := suggestion_hint(text)) else ""
            raise MixError(f"unknown colour {text!r}{hint}; known colours: {', '.join(COLOR_NAMES)}")
        if color.name not in names:
            names.append(color.name)
    if not names:
        raise MixError("the colour list is empty: give at least one colour, or none for open mode")
    return tuple(names)


def mix_from_prompt(prompt: str) -> ColorMix:
    """The colour mix written inside a full trigger prompt (`..., 60% red, 40% white, ...`)."""
    items = [match.group(0) for match in _PERCENT_ITEM.finditer(prompt)]
    if not items:
        raise MixError(f"found no colour shares like '30% black' in the prompt: {prompt[:120]!r}")
    return parse_mix(", ".join(items))

"""From a customer's colour mix to the prompt the model was trained on.

`parse_mix("50% red, 30% black, 20% pearl")` reads the mix; `build_prompt(...)` expands it to
`ohwx_rubber_tile <s0><s1>, 50% red, 30% black, 20% pearl, photorealistic rubber tile, ...`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tile_colors import COLOR_NAMES, ambiguous_choices, find_color, suggestion_hint

TRIGGER_WORD = "ohwx_rubber_tile"
DEFAULT_TI_TOKENS: tuple[str, ...] = ("<s0>", "<s1>")
PROMPT_SUFFIX = "photorealistic rubber tile, high quality, detailed texture"
DEFAULT_NEGATIVE_PROMPT = (
    "blurry, worst quality, low quality, deformed, watermark, 3d render, cartoon, abstract, "
    "painting, drawing, text, sketch, low resolution"
)
MAX_COLORS = 4  # the training captions never held more
MAX_PROMPT_CHARS = 2000
SUM_TOLERANCE_PP = 0.5  # 33.3 x 3 = 99.9 is a rounded 100; 33 x 3 = 99 is not
CLIP_MAX_TOKENS = 77  # including the start and end tokens
MIN_SHARE_PERCENT = 0.5  # a smaller share would round away (the sum tolerance) and is not visible on a tile

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


class MixError(ValueError):
    """A colour mix or prompt the customer has to fix; the message says how."""


class PromptTooLongError(MixError):
    """A prompt the CLIP text encoders would cut short."""


class Tokenizer(Protocol):
    def __call__(self, text: str) -> object: ...


@dataclass(frozen=True)
class ColorMix:
    """Colours in the customer's order, each with its share in percent as written."""

    items: tuple[tuple[str, float], ...]

    @property
    def shares(self) -> dict[str, float]:
        return dict(self.items)

    @property
    def colors(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.items)

    def normalized_shares(self) -> dict[str, float]:
        """Shares scaled to sum to exactly 100 (33.3 x 3 becomes 33.33 x 3)."""
        total = sum(percent for _, percent in self.items)
        return {name: percent * 100.0 / total for name, percent in self.items}

    def describe(self) -> str:
        """`50% red, 30% black, 20% pearl`: canonical names, integer percents where integral."""
        return ", ".join(f"{format_percent(percent)}% {name}" for name, percent in self.items)


def format_percent(percent: float) -> str:
    if float(percent).is_integer():
        return str(int(percent))
    return f"{percent:.2f}".rstrip("0").rstrip(".")


def check_text(text: object, what: str = "prompt") -> str:
    """Refuse what is not plain text of a sane length, before anything else reads it."""
    if text is None:
        raise MixError(f"{what} is missing: send a colour mix such as '{MIX_EXAMPLE}'")
    if not isinstance(text, str):
        raise MixError(f"{what} must be text, got {type(text).__name__}: send a mix such as '{MIX_EXAMPLE}'")
    if len(text) > MAX_PROMPT_CHARS:
        raise MixError(f"{what} is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS}")
    for char in text:
        if char not in "\n\r\t" and unicodedata.category(char) in ("Cc", "Cf"):
            raise MixError(f"{what} contains a control character ({ascii(char)}); remove it and send plain text")
    return text


def parse_mix(text: str) -> ColorMix:
    """Read a colour mix like `50% red, 30% black, 20% pearl`.

    Accepts canonical names, the owner's codes (DKGREEN), Russian names, `grey`, any case,
    hyphens or spaces inside names, `50 %`, `50%red`, `red 50%`, decimals, and commas,
    semicolons, `and`, `+` or new lines between items. A single bare colour means 100%.
    """
    text = _plain_mix_text(check_text(text))
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

    items: list[tuple[str, float]] = []
    for name, percent in parsed:
        assert percent is not None
        if any(name == seen for seen, _ in items):
            raise MixError(f"'{name}' is listed twice: give each colour once, with its total share")
        if percent <= 0:
            raise MixError(f"'{name}' has a share of {format_percent(percent)}%: every share must be above 0%")
        if percent < MIN_SHARE_PERCENT:
            raise MixError(
                f"'{name}' has a share of {percent:g}%, too small to show on a tile: "
                f"leave it out or give it at least {format_percent(MIN_SHARE_PERCENT)}%"
            )
        if percent > 100:
            raise MixError(f"'{name}' has a share of {format_percent(percent)}%: no share can exceed 100%")
        items.append((name, percent))

    total = sum(percent for _, percent in items)
    if abs(total - 100.0) > SUM_TOLERANCE_PP:
        raise MixError(f"the shares add up to {format_percent(round(total, 2))}%, not 100%: adjust them so they sum to 100")
    return ColorMix(tuple(items))


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


def is_full_prompt(text: str) -> bool:
    """Prompts that already hold the trigger word are passed to the model unchanged."""
    return TRIGGER_WORD in text.lower()  # CLIP lower-cases its input, so OHWX_RUBBER_TILE is the same word


def mix_from_prompt(prompt: str) -> ColorMix:
    """The colour mix written inside a full trigger prompt (`..., 60% red, 40% white, ...`)."""
    items = [match.group(0) for match in _PERCENT_ITEM.finditer(prompt)]
    if not items:
        raise MixError(f"found no colour shares like '30% black' in the prompt: {prompt[:120]!r}")
    return parse_mix(", ".join(items))


def trigger_phrase(ti_tokens: Sequence[str] = DEFAULT_TI_TOKENS) -> str:
    return f"{TRIGGER_WORD} {''.join(ti_tokens)}"


def build_prompt(text: str, ti_tokens: Sequence[str] = DEFAULT_TI_TOKENS) -> str:
    """The internal prompt for a customer's mix, exactly as the model was prompted in training.

    `ti_tokens` are the textual-inversion tokens actually loaded (`<s0>`, `<s1>` for a 2-row file).
    """
    text = check_text(text)
    if is_full_prompt(text):
        return text
    mix = parse_mix(text)
    return f"{trigger_phrase(ti_tokens)}, {mix.describe()}, {PROMPT_SUFFIX}"


def count_clip_tokens(prompt: str, tokenizer: Tokenizer) -> int:
    """Tokens CLIP would read, start and end tokens included."""
    encoded = tokenizer(prompt)
    input_ids = encoded["input_ids"]  # type: ignore[index]
    return len(input_ids)


def check_prompt_length(prompt: str, tokenizer: Tokenizer, what: str = "prompt") -> None:
    """Refuse a prompt CLIP would silently cut at 77 tokens."""
    count = count_clip_tokens(prompt, tokenizer)
    if count > CLIP_MAX_TOKENS:
        raise PromptTooLongError(
            f"{what} is {count} CLIP tokens; the text encoders read only {CLIP_MAX_TOKENS} "
            f"(start and end included) and would ignore the rest. Shorten it: {prompt[:120]!r}"
        )

"""A customer's mix text as tokens: shares, words and separators, whatever signs and dashes were typed.

`tokenize("Красный-60%; 40 %белого")` -> WORD красный, NUMBER 60 %, ITEM, NUMBER 40 %, WORD белого.
Spellings are unified first: other percent signs and words (٪, ％, percent, процентов), dashes,
quotes and brackets, decimal commas (33,3), bare decimals (.5), full stops, `red-50%` (red 50%,
not minus 50) and `60-40` (a ratio, like 60/40). Everything else that is neither a letter nor a
digit is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NUMBER, WORD, ITEM, SLASH, COLON = "number", "word", "item", "slash", "colon"

_PERCENT_SIGNS = re.compile(
    r"[\u066a\ufe6a]|\s*\b(?:percent|per\s+cent|pct|проц(?:ент(?:а|ов|ы)?)?)(?![^\W\d_])", re.IGNORECASE
)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")  # hyphens, en and em dashes, minus sign
_QUOTES_AND_BRACKETS = re.compile(r"[\"'`\u00ab\u00bb\u2018-\u201f()\[\]{}<>]")
_COMMA_DECIMAL = re.compile(r"(?<=\d),(?=\d)")  # 33,3% -> 33.3%
_BARE_DECIMAL = re.compile(r"(?<![\d.])\.(?=\d)")  # .5% -> 0.5%
_STRAY_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")  # a full stop, not a decimal point
_DASH_BEFORE_SHARE = re.compile(r"(?<=[^\W\d_])\s*-\s*(?=\d)")  # red-50% is red 50%, not minus 50
_DASH_BETWEEN_SHARES = re.compile(r"(?<=[\d%])\s*-\s*(?=\d)")  # 60-40 is the ratio 60/40
_TOKEN = re.compile(
    r"(?P<number>(?<![\w.])[-+]?\d+(?:\.\d+)?)\s*(?P<percent>%)?"
    r"|(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)"
    r"|(?P<item>[,;+&|\n\r])"
    r"|(?P<slash>[/\\])"
    r"|(?P<colon>[:=])"
)
_ITEM_WORDS = frozenset({"and", "и", "plus", "плюс"})


@dataclass(frozen=True)
class Token:
    kind: str  # NUMBER, WORD, ITEM (between items), SLASH, COLON
    text: str  # as it reads after the spellings were unified (lower case)
    value: float = 0.0  # NUMBER only
    percent: bool = False  # NUMBER only: written with a percent sign


def plain_text(text: str) -> str:
    """The text with its spellings unified, in lower case (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PERCENT_SIGNS.sub("%", text)
    text = _DASHES.sub("-", text)
    text = _QUOTES_AND_BRACKETS.sub(" ", text)
    text = _COMMA_DECIMAL.sub(".", text)
    text = _BARE_DECIMAL.sub("0.", text)
    text = _STRAY_DOT.sub(" ", text)
    text = _DASH_BEFORE_SHARE.sub(" ", text)
    return _DASH_BETWEEN_SHARES.sub("/", text)


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(plain_text(text)):
        kind = match.lastgroup if match.lastgroup != "percent" else NUMBER
        if match.group("number") is not None:
            tokens.append(Token(NUMBER, match.group(0).strip(), float(match.group("number")), match.group("percent") is not None))
        elif kind == WORD and match.group(0) in _ITEM_WORDS:
            tokens.append(Token(ITEM, match.group(0)))
        else:
            tokens.append(Token(str(kind), match.group(0)))
    return tokens


def fragment(tokens: list[Token]) -> str:
    """Tokens back as text, for messages: `30% белого`."""
    return " ".join(token.text for token in tokens if token.kind in (NUMBER, WORD))

"""A customer's mix text as tokens: shares, words and separators, whatever signs and dashes were typed.

`tokenize("Красный-60%; 40 %белого")` -> WORD красный, NUMBER 60 %, ITEM, NUMBER 40 %, WORD белого.
Spellings are unified first: other percent signs and words (٪, ％, percent, процентов), dashes,
quotes and brackets, decimal commas (33,3), bare decimals (.5), full stops, `red-50%` (red 50%,
not minus 50), `60-40` and `70 на 30` (a ratio, like 60/40), shares against the colour name
(`50красный`, `red50%`), shares in words (`half`, `половина`, `треть`: 50%, 33.33%) and fractions
written twice or more (`1/3 red, 2/3 white`: 33.33% and 66.67%; a single `1/3 red/white` stays the
ratio 1:3). Equal parts said in words (`поровну`, `пополам`, `in equal parts`, `half and half`)
become one EQUAL token. Everything else that is neither a letter nor a digit is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NUMBER, WORD, ITEM, SLASH, COLON, EQUAL = "number", "word", "item", "slash", "colon", "equal"

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
_WORD_BETWEEN_SHARES = re.compile(r"(?<=[\d%])\s*\b(?:на|к|to)\b\s*(?=\d)")  # 70 на 30, 3 к 1, 3 to 1
_LETTERS_THEN_DIGITS = re.compile(r"(?<=[^\W\d_])(?=\d)")  # red50% is red 50%
_DIGITS_THEN_LETTERS = re.compile(r"(?<=\d)(?=[^\W\d_])")  # 50красный is 50 красный
# Equal parts said in words, for any number of colours (the parser gives each colour the same share).
_EQUAL_PARTS = re.compile(
    r"\b(?:поровну|пополам|напополам|(?:в\s+)?равн(?:ых|ыми|ой|ые)\s+(?:дол|част|пропорци|количеств)[а-яё]*"
    r"|half[\s-]*(?:and|&)?[\s-]*half|fifty[\s-]*fifty|(?:in\s+)?equal\s+(?:parts|shares|amounts|proportions)"
    r"|equally|evenly)\b"
)
_EQUAL_MARK = "~"
# Shares said in words; `a half`, `one third` as well.
_SHARE_WORDS = (
    (re.compile(r"\b(?:(?:a|one)\s+)?(?:half|наполовину|половин[аеуы])\b"), "50%"),
    (re.compile(r"\b(?:(?:a|one)\s+)?(?:third|трет(?:ь|и))\b"), f"{100 / 3:.10f}%"),
    (re.compile(r"\b(?:(?:a|one)\s+)?(?:quarter|четверт(?:ь|и))\b"), "25%"),
)
# A fraction of one (`1/3`, `2/3`, `1/4`): small whole numbers, the first below the second, not in a longer chain.
_FRACTION = re.compile(r"(?<![\d./])(\d{1,2})\s*/\s*(\d{1,2})(?![\d./%])")
_MAX_DENOMINATOR = 12
_TOKEN = re.compile(
    r"(?P<number>(?<![\w.])[-+]?\d+(?:\.\d+)?)\s*(?P<percent>%)?"
    r"|(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)"
    r"|(?P<item>[,;+&|\n\r])"
    r"|(?P<slash>[/\\])"
    r"|(?P<colon>[:=])"
    r"|(?P<equal>~)"
)
_ITEM_WORDS = frozenset({"and", "и", "plus", "плюс"})


@dataclass(frozen=True)
class Token:
    kind: str  # NUMBER, WORD, ITEM (between items), SLASH, COLON, EQUAL (equal parts said in words)
    text: str  # as it reads after the spellings were unified (lower case)
    value: float = 0.0  # NUMBER only
    percent: bool = False  # NUMBER only: written with a percent sign


def plain_text(text: str) -> str:
    """The text with its spellings unified, in lower case (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower().replace(_EQUAL_MARK, " ")
    text = _LETTERS_THEN_DIGITS.sub(" ", _DIGITS_THEN_LETTERS.sub(" ", text))
    text = _PERCENT_SIGNS.sub("%", text)
    text = _DASHES.sub("-", text)
    text = _QUOTES_AND_BRACKETS.sub(" ", text)
    text = _COMMA_DECIMAL.sub(".", text)
    text = _BARE_DECIMAL.sub("0.", text)
    text = _STRAY_DOT.sub(" ", text)
    text = _EQUAL_PARTS.sub(f" {_EQUAL_MARK} ", text)
    for words, share in _SHARE_WORDS:
        text = words.sub(f" {share} ", text)
    text = _fractions_as_percents(text)
    text = _DASH_BEFORE_SHARE.sub(" ", text)
    text = _WORD_BETWEEN_SHARES.sub("/", text)
    return _DASH_BETWEEN_SHARES.sub("/", text)


def _fractions_as_percents(text: str) -> str:
    """`1/3 red, 2/3 white` as percents, where the text has two or more fractions of one (a single `1/3`
    before colours is the ratio 1:3, as it always read)."""
    fractions = [m for m in _FRACTION.finditer(text) if 0 < int(m.group(1)) < int(m.group(2)) <= _MAX_DENOMINATOR]
    if len(fractions) < 2:
        return text
    for match in reversed(fractions):
        percent = 100.0 * int(match.group(1)) / int(match.group(2))
        text = f"{text[: match.start()]}{percent:.10f}%{text[match.end() :]}"
    return text


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

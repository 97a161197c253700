"""Russian colour words to a key that ignores gender, case, number, short forms, ё and compound spelling.

Colour words in a mix are adjectives (красный, красная, 30% красного, красна), compound adjectives
written three ways (тёмно-серый, темно серый, темносерый) or nouns (бирюза, жемчуг, 20% бирюзы).
`russian_key` maps all of a word's forms to one key: `тёмно-зелёного` -> `темнозелен`.
"""

from __future__ import annotations

import re

# Adjective endings, every gender, case and number; longest first so "-ого" goes before "-ой".
_ADJECTIVE_ENDINGS = (
    "ыми",
    "ими",
    "ого",
    "его",
    "ому",
    "ему",
    "ая",
    "яя",
    "ое",
    "ее",
    "ые",
    "ие",
    "ый",
    "ий",
    "ой",
    "ей",
    "ую",
    "юю",
    "ых",
    "их",
    "ым",
    "им",
    "ом",
    "ем",
)
# Noun endings and short adjective forms (бирюза, бирюзы, жемчуга, бела, серо): one vowel or soft sign.
_SHORT_ENDINGS = tuple("аяоеуюыиь")
# First halves of compound colours (тёмно-, светло-, бело-, небесно-, травянисто-); the linking "о" is dropped.
_COMPOUND_PREFIXES = ("темно", "светло", "бело", "небесно", "травянисто", "ярко", "бледно")
_MIN_STEM = 3  # a stem keeps at least this many letters: "сер" (серый), not "с"
_WORD_SPLIT = re.compile(r"[\s\-_]+")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def word_stem(word: str) -> str:
    """One lower-case Russian word without its ending: `зелёного` -> `зелен`, `бирюзы` -> `бирюз`.
    The first half of a compound keeps its linking `о` (`бело`, not `бел`): `белый зелёный` is two
    colours, `бело-зелёный` one."""
    word = word.lower().replace("ё", "е")
    if word in _COMPOUND_PREFIXES:
        return word
    for ending in _ADJECTIVE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    if word[-1:] in _SHORT_ENDINGS and len(word) - 1 >= _MIN_STEM:
        return word[:-1]
    return word


def _compound_parts(word: str) -> list[str]:
    """`темносерый` -> [`темн`, `серый`]; other words as they are."""
    lowered = word.lower().replace("ё", "е")
    for prefix in _COMPOUND_PREFIXES:
        if lowered.startswith(prefix) and len(lowered) - len(prefix) >= _MIN_STEM:
            return [prefix, lowered[len(prefix) :]]
    return [lowered]


def russian_key(text: str) -> str:
    """The key of a Russian colour phrase: each word's stem, compounds split, joined without spaces."""
    stems = []
    for word in _WORD_SPLIT.split(text.strip()):
        if not word:
            continue
        parts = _compound_parts(word)
        stems += [parts[0], word_stem(parts[1])] if len(parts) == 2 else [word_stem(parts[0])]
    return "".join(stems)


def is_cyrillic(text: str) -> bool:
    return CYRILLIC.search(text) is not None


def text_language(text: str) -> str:
    """`ru` for text with Cyrillic letters, else `en`: the language a refusal of the text is written in."""
    return "ru" if is_cyrillic(text) else "en"

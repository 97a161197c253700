"""The text of every mix problem, in English and Russian; each function returns one MixProblem.

Colour names in a message are the customer's language's (display_name); the fragment is quoted as
the customer wrote it. Shares are printed as written (`33.3`, not `33.300000000000004`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..colors.vocabulary import COLOR_NAMES, display_name
from .errors import MixProblem

MIX_EXAMPLE = "50% red, 30% black, 20% pearl"
MIX_EXAMPLE_RU = "50% красный, 30% чёрный, 20% жемчужный"


def number(value: float) -> str:
    """`50`, `33.3`, `12.35`: integers without a decimal point, others to at most 2 decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def russian_plural(count: int, one: str, few: str, many: str) -> str:
    """`1 цвет`, `3 цвета`, `5 цветов`, `21 цвет`, `2001 символ`: the noun form Russian needs after a number."""
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} {one}"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return f"{count} {few}"
    return f"{count} {many}"


def _en(names: Sequence[str]) -> str:
    return ", ".join(names)


def _ru(names: Sequence[str]) -> str:
    return ", ".join(display_name(name, "ru") for name in names)


def known_colors_footer() -> dict[str, str]:
    """Added once after the problems when a colour word was not recognised."""
    return {
        "en": f"Known colours: {_en(COLOR_NAMES)}",
        "ru": f"Доступные цвета: {_ru(sorted(COLOR_NAMES, key=lambda name: display_name(name, 'ru')))}",
    }


def empty(what: str = "the colour mix") -> MixProblem:
    if what == "prompt":
        english = f"prompt is empty: send a colour mix such as '{MIX_EXAMPLE}'"
    else:
        english = f"the colour mix is empty: send something like '{MIX_EXAMPLE}'"
    return MixProblem("empty", "", english, f"смесь не указана: напишите, например, «{MIX_EXAMPLE_RU}»")


def no_colors() -> MixProblem:
    """A ColorMix built from no (colour, share) pairs at all."""
    return MixProblem(
        "empty",
        "",
        "the mix must be non-empty: give at least one colour with its share",
        "смесь пуста: укажите хотя бы один цвет с его долей",
    )


def too_long(length: int, limit: int) -> MixProblem:
    return MixProblem(
        "too_long",
        "",
        f"prompt is {length} characters long; the limit is {limit}",
        f"текст слишком длинный: {russian_plural(length, 'символ', 'символа', 'символов')}, допустимо не больше {limit}",
    )


def not_text(kind: str) -> MixProblem:
    return MixProblem(
        "unreadable",
        "",
        f"prompt must be text, got {kind}: send a mix such as '{MIX_EXAMPLE}'",
        f"смесь должна быть текстом, а не {kind}: напишите, например, «{MIX_EXAMPLE_RU}»",
    )


def missing(what: str = "prompt") -> MixProblem:
    return MixProblem(
        "empty",
        "",
        f"{what} is missing: send a colour mix such as '{MIX_EXAMPLE}'",
        f"смесь не указана: напишите, например, «{MIX_EXAMPLE_RU}»",
    )


def control_character(char: str) -> MixProblem:
    return MixProblem(
        "unreadable",
        ascii(char),
        f"prompt contains a control character ({ascii(char)}); remove it and send plain text",
        f"в тексте есть управляющий символ ({ascii(char)}): уберите его и отправьте обычный текст",
    )


def unreadable(fragment: str) -> MixProblem:
    return MixProblem(
        "unreadable",
        fragment,
        f"could not read '{fragment}': write each colour with one share, like '30% black'",
        f"не удалось разобрать «{fragment}»: укажите каждый цвет с одной долей, например «30% чёрный»",
    )


def share_without_color(fragment: str) -> MixProblem:
    return MixProblem(
        "bad_share",
        fragment,
        f"'{fragment}' has a share but no colour: write it like '30% black'",
        f"у «{fragment}» есть доля, но нет цвета: напишите, например, «30% чёрный»",
    )


def missing_shares(fragments: Sequence[str]) -> MixProblem:
    english = ", ".join(repr(fragment) for fragment in fragments)
    russian = ", ".join(f"«{fragment}»" for fragment in fragments)
    return MixProblem(
        "bad_share",
        fragments[0],
        f"no percentage given for {english}: give every colour a share, e.g. '{MIX_EXAMPLE}'",
        f"не указана доля для {russian}: укажите долю каждого цвета, например «{MIX_EXAMPLE_RU}»",
    )


def unknown_color(fragment: str, suggestions: Sequence[str]) -> MixProblem:
    english = f"unknown colour '{fragment}'"
    russian = f"неизвестный цвет «{fragment}»"
    if len(suggestions) == 1:
        english += f": did you mean '{suggestions[0]}'?"
        russian += f": возможно, «{display_name(suggestions[0], 'ru')}»?"
    elif suggestions:
        english += f": did you mean one of {', '.join(repr(name) for name in suggestions)}?"
        russian += f": возможно, один из: {_ru(suggestions)}?"
    return MixProblem("unknown_colour", fragment, english, russian, tuple(suggestions))


def ambiguous_color(fragment: str, choices: Sequence[str]) -> MixProblem:
    return MixProblem(
        "ambiguous_colour",
        fragment,
        f"'{fragment}' could be several tile colours: use one of {_en(choices)}",
        f"«{fragment}» может означать несколько цветов: выберите один из них — {_ru(choices)}",
        tuple(choices),
    )


def too_many_colors(count: int, limit: int) -> MixProblem:
    return MixProblem(
        "too_many_colours",
        "",
        f"the mix has {count} colours; the model knows mixes of at most {limit}. Merge the smallest shares into fewer colours",
        f"в смеси {russian_plural(count, 'цвет', 'цвета', 'цветов')}, а можно не больше {limit}: объедините самые маленькие доли",
    )


def duplicate_color(name: str, fragment: str = "") -> MixProblem:
    return MixProblem(
        "duplicate_colour",
        fragment or name,
        f"'{name}' is listed twice: give each colour once, with its total share",
        f"цвет «{display_name(name, 'ru')}» указан дважды: укажите каждый цвет один раз, с общей долей",
        (name,),
    )


def share_not_a_number(name: str, value: object) -> MixProblem:
    return MixProblem(
        "bad_share",
        name,
        f"'{name}' has a share of {value!r}: give a number of percent",
        f"у «{display_name(name, 'ru')}» доля {value!r}: укажите число процентов",
    )


def share_too_small(name: str, percent: float, minimum: float) -> MixProblem:
    if percent <= 0:
        return MixProblem(
            "bad_share",
            name,
            f"'{name}' has a share of {number(percent)}%: every share must be above 0%",
            f"у «{display_name(name, 'ru')}» доля {number(percent)}%: каждая доля должна быть больше 0%",
        )
    return MixProblem(
        "bad_share",
        name,
        f"'{name}' has a share of {percent:g}%, too small to show on a tile: leave it out or give it at least {number(minimum)}%",
        f"доля «{display_name(name, 'ru')}» {percent:g}% слишком мала, её не будет видно на плитке: "
        f"уберите этот цвет или дайте ему не меньше {number(minimum)}%",
    )


def share_too_large(name: str, percent: float) -> MixProblem:
    return MixProblem(
        "bad_share",
        name,
        f"'{name}' has a share of {percent:g}%: no share can exceed 100%",
        f"у «{display_name(name, 'ru')}» доля {percent:g}%: доля не может быть больше 100%",
    )


def bad_sum(total: float, tolerance: float) -> MixProblem:
    shown = number(round(total, 2))
    return MixProblem(
        "bad_sum",
        "",
        f"the shares add up to {shown}%, not 100%: adjust them so they sum to 100 (within {number(tolerance)})",
        f"доли в сумме дают {shown}%, а нужно 100%: исправьте их так, чтобы в сумме было 100 (±{number(tolerance)})",
    )


def not_canonical(text: str, name: str) -> MixProblem:
    return MixProblem(
        "unknown_colour",
        text,
        f"{text!r} is not one of the canonical names: write '{name}' (parse_mix reads other spellings)",
        f"«{text}» — не каноническое имя цвета: напишите '{name}'",
        (name,),
    )


def no_shares_in_prompt(prompt: str) -> MixProblem:
    return MixProblem(
        "unreadable",
        prompt,
        f"found no colour shares like '30% black' in the prompt: {prompt!r}",
        f"в тексте нет долей цветов вида «30% чёрный»: {prompt!r}",
    )


_NEEDED_BY_RU = {"the preview": "предпросмотру", "a prompt": "запросу к модели"}


def needs_a_mix(needed_by: str, reason: str) -> MixProblem:
    """`reason` is the refusal of the shares in a full prompt, already in the prompt's language."""
    who = _NEEDED_BY_RU.get(needed_by, needed_by)
    return MixProblem(
        "unreadable", "", f"{needed_by} needs colour shares: {reason}", f"{who} нужны доли цветов: {reason}"
    )


def ratio_mismatch(ratio: str, colors: str, count: int) -> MixProblem:
    return MixProblem(
        "unreadable",
        f"{ratio} {colors}".strip(),
        f"the ratio {ratio} gives {count} shares, but '{colors}' is not {count} colours: give one share per colour, "
        "like '60/40 red/white'",
        f"в соотношении {ratio} {russian_plural(count, 'доля', 'доли', 'долей')}, а «{colors}» — не "
        f"{russian_plural(count, 'цвет', 'цвета', 'цветов')}: укажите по доле на каждый цвет, например «60/40 красный/белый»",
    )


def ratio_without_colors(ratio: str, count: int) -> MixProblem:
    return MixProblem(
        "unreadable",
        ratio,
        f"the ratio {ratio} gives {count} shares but names no colours: add them, like '60/40 red/white'",
        f"в соотношении {ratio} не указаны цвета: добавьте их, например «60/40 красный/белый»",
    )


def ambiguous_split(words: str, readings: Sequence[Sequence[str]]) -> MixProblem:
    english = " or as ".join(" + ".join(reading) for reading in readings)
    russian = " или как ".join(" + ".join(display_name(name, "ru") for name in reading) for reading in readings)
    return MixProblem(
        "ambiguous_colour",
        words,
        f"'{words}' reads as {english}: separate the colours with / or commas",
        f"«{words}» можно прочитать как {russian}: разделите цвета знаком / или запятыми",
        tuple(dict.fromkeys(name for reading in readings for name in reading)),
    )

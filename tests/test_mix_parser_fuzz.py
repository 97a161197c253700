"""The mix parser under generated input: every text parses to a valid mix or raises MixError, nothing else.

The normal suite runs a few hundred derandomised examples per test (a few seconds). For the long run:

    FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest -q tests/test_mix_parser_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rubber_tile.colors.vocabulary import COLOR_NAMES, TILE_COLORS
from rubber_tile.mix import MAX_COLORS, MAX_PROMPT_CHARS, SUM_TOLERANCE_PP, ColorMix, MixError, parse_mix

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
LONG_RUN = "FUZZ_EXAMPLES" in os.environ

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,  # the normal suite must not turn red at random; the long run explores
    database=None,  # no .hypothesis folder in the project
    suppress_health_check=[HealthCheck.too_slow],
)

COLOR_SPELLINGS = sorted(
    {color.name for color in TILE_COLORS}
    | {color.code for color in TILE_COLORS}
    | {alias for color in TILE_COLORS for alias in color.aliases}
    | {"grey", "dark grey", "Dark-Green", "LIGHT GRAY", "perl", "reed", "blak", "purple", "green", "dark", "light"}
)
SEPARATORS = [", ", ",", "; ", " and ", " + ", "\n", " & ", " и ", ",,", " "]
NUMBERS = st.one_of(
    st.integers(min_value=-50, max_value=150).map(str),
    st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda x: f"{x:.{len(str(x)) % 4}f}"),
    st.sampled_from(["0", "00", "100", "33.3", "33.33", "1e2", "5O", "½", "٥٠", "99999999999999999999999", "-0", "+20", ".5"]),
)


@st.composite
def mix_like_items(draw) -> str:
    """One item that looks like `50% red`, `red 50%`, `50 % Dark-Green`, or a broken variant of them."""
    color = draw(st.one_of(st.sampled_from(COLOR_SPELLINGS), st.text(min_size=0, max_size=12)))
    number = draw(st.one_of(st.none(), NUMBERS))
    percent = draw(st.sampled_from(["%", " %", "", "%%", " percent"]))
    share = "" if number is None else f"{number}{percent}"
    pieces = [share, color] if draw(st.booleans()) else [color, share]
    return draw(st.sampled_from([" ", "", "  ", ": "])).join(piece for piece in pieces if piece)


@st.composite
def mix_like_texts(draw) -> str:
    items = draw(st.lists(mix_like_items(), min_size=0, max_size=MAX_COLORS + 2))
    separators = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(items), max_size=len(items)))
    text = "".join(item + separator for item, separator in zip(items, separators, strict=True))[: -1 or None]
    return draw(st.sampled_from([text, text.upper(), f"  {text}  ", text.replace(" ", "\t")]))


@st.composite
def valid_mixes(draw) -> tuple[list[tuple[str, int]], str]:
    """A mix that must parse: distinct colours, positive integer shares summing to 100, any spelling."""
    count = draw(st.integers(min_value=1, max_value=MAX_COLORS))
    colors = draw(st.lists(st.sampled_from(TILE_COLORS), min_size=count, max_size=count, unique_by=lambda c: c.name))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1, unique=True)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    spelled = [draw(st.sampled_from([c.name, c.code, c.name.upper(), *c.aliases])) for c in colors]
    order_share_first = draw(st.booleans())
    items = [f"{share}% {name}" if order_share_first else f"{name} {share}%" for name, share in zip(spelled, shares, strict=True)]
    separator = draw(st.sampled_from([", ", "; ", " + ", "\n"]))
    return [(c.name, share) for c, share in zip(colors, shares, strict=True)], separator.join(items)


@st.composite
def near_valid_mixes(draw) -> str:
    """A well-formed mix with one plausible mistake (or none): the parser's boundary cases."""
    expected, text = draw(valid_mixes())
    first_name, first_share = expected[0]
    mutation = draw(
        st.sampled_from(["none", "off by one", "off by 0.4", "thirds", "duplicate", "fifth colour", "zero", "typo"])
    )
    if mutation == "off by one":
        return text.replace(f"{first_share}%", f"{first_share + draw(st.sampled_from([-1, 1]))}%", 1)
    if mutation == "off by 0.4":
        return text.replace(f"{first_share}%", f"{first_share + 0.4}%", 1)
    if mutation == "thirds":
        return draw(st.sampled_from(["33.3% red, 33.3% black, 33.3% pearl", "33% red, 33% black, 33% pearl"]))
    if mutation == "duplicate":
        return f"{text}, {first_share}% {first_name}"
    if mutation == "fifth colour":
        return ", ".join([text] + [f"1% {name}" for name in COLOR_NAMES[:MAX_COLORS + 1 - len(expected)]])
    if mutation == "zero":
        return f"{text}, 0% {draw(st.sampled_from(COLOR_NAMES))}"
    if mutation == "typo":
        return text.replace(first_name, first_name[:-1] or "x", 1)
    return text


def check_parse_or_refusal(text: str) -> ColorMix | None:
    """Parse `text`; assert the result is a valid mix, or that the refusal is the parser's own MixError."""
    try:
        mix = parse_mix(text)
    except MixError as error:
        assert str(error), "a refusal must say what to fix"
        event("refused with MixError")
        return None
    event("parsed")
    assert_valid_mix(mix)
    return mix


def assert_valid_mix(mix: ColorMix) -> None:
    assert 1 <= len(mix) <= MAX_COLORS
    assert all(name in COLOR_NAMES for name in mix.colors)
    assert len(set(mix.colors)) == len(mix.colors)
    assert all(0 < share <= 100 for share in mix.values())
    assert abs(sum(mix.values()) - 100) <= SUM_TOLERANCE_PP
    assert abs(sum(mix.normalized.values()) - 100) < 1e-9
    again = parse_mix(mix.describe())  # the canonical form reads back as the same mix
    assert again.colors == mix.colors
    assert all(abs(again[name] - share) <= 0.005 for name, share in mix.items())


@fuzz_settings
@given(st.text(max_size=200))
def test_any_text_parses_to_a_valid_mix_or_raises_mix_error(text):
    check_parse_or_refusal(text)


@fuzz_settings
@given(st.one_of(mix_like_texts(), near_valid_mixes()))
def test_mix_like_text_parses_to_a_valid_mix_or_raises_mix_error(text):
    check_parse_or_refusal(text)


@fuzz_settings
@given(valid_mixes())
def test_every_well_formed_mix_parses_to_exactly_its_colors_and_shares(case):
    expected, text = case
    mix = parse_mix(text)
    assert list(mix.items()) == [(name, float(share)) for name, share in expected]
    assert_valid_mix(mix)


@settings(max_examples=max(20, FUZZ_EXAMPLES // 50), deadline=None, derandomize=not LONG_RUN, database=None)
@given(st.text(min_size=MAX_PROMPT_CHARS - 10, max_size=MAX_PROMPT_CHARS + 10), st.sampled_from(["", "50% red, 50% black"]))
def test_long_and_oversized_texts_are_refused_or_parsed_never_crash(filler, prefix):
    check_parse_or_refusal(prefix + filler)

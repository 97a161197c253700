"""The customer's mix -> the model's prompt: accepted spellings, refusals, the exact prompt."""

from __future__ import annotations

import pytest

from prompt_builder import (
    DEFAULT_NEGATIVE_PROMPT,
    MixError,
    PromptTooLongError,
    build_prompt,
    check_prompt_length,
    count_clip_tokens,
    mix_from_prompt,
    parse_mix,
)
from rubber_tile.colors.vocabulary import COLOR_NAMES, TILE_COLORS
from rubber_tile_dev.synthetic.tiny_sdxl import build_clip_tokenizer

ORIGINAL_PROMPT = (
    "ohwx_rubber_tile <s0><s1>, 50% red, 30% black, 20% pearl, "
    "photorealistic rubber tile, high quality, detailed texture"
)


def test_build_prompt_reproduces_the_original_internal_prompt():
    assert build_prompt("50% red, 30% black, 20% pearl") == ORIGINAL_PROMPT


@pytest.mark.parametrize(
    "text",
    [
        "50% red, 30% black, 20% pearl",
        "50 % RED; 30%black and 20% Pearl",
        "red 50%\nblack 30%\npearl 20%",
        "50% red + 30% black + 20% PEARL",
        "50%red,30%black,20%pearl",
        "red: 50%, black: 30%, pearl: 20%",
        "50% красный, 30% черный, 20% жемчужный",
        "50% RED, 30% BLACK, 20% PEARL",
        "50% красного, 30% чёрного, 20% жемчужного",  # genitive, as a Russian customer writes it
        "50% красная, 30% черная, 20% жемчужная",  # feminine, like плитка
        "50٪ red, 30％ black, 20 percent pearl",
        '"50% red, 30% black, 20% pearl."',
        "(red-50%, black-30%, pearl-20%)",
    ],
)
def test_accepted_spellings_of_one_mix(text):
    assert tuple(parse_mix(text).items()) == (("red", 50.0), ("black", 30.0), ("pearl", 20.0))


@pytest.mark.parametrize("spelling", ["dark green", "dark-green", "darkgreen", "Dark_Green", "DKGREEN", "тёмно-зелёный"])
def test_multi_word_color_spellings(spelling):
    assert tuple(parse_mix(f"40% {spelling}, 60% grey").items()) == (("dark green", 40.0), ("gray", 60.0))


def test_every_color_is_known_by_name_code_and_alias():
    for color in TILE_COLORS:
        for spelling in (color.name, color.code, *color.aliases):
            assert tuple(parse_mix(spelling).items()) == ((color.name, 100.0),), spelling
    assert len(COLOR_NAMES) == 29


@pytest.mark.parametrize(
    "spelling, name",
    [("тёмно-зелёная", "dark green"), ("светло-серого", "light gray"), ("небесно-голубая", "sky blue"), ("синяя", "blue"),
     ("dark–green", "dark green"), ("apple green", "green apple"), ("navy blue", "dark blue"), ("хаки", "khaki")],
)
def test_word_forms_and_other_spellings_name_the_same_color(spelling, name):
    assert tuple(parse_mix(spelling).items()) == ((name, 100.0),)


def test_decimals_and_rounded_sums_are_accepted_and_kept_as_written():
    assert tuple(parse_mix("33,3% red, 33,3% blue, 33,4% white").items()) == (("red", 33.3), ("blue", 33.3), ("white", 33.4))
    mix = parse_mix("33.3% red, 33.3% blue, 33.3% white")
    assert mix.describe() == "33.3% red, 33.3% blue, 33.3% white"
    assert sum(mix.normalized.values()) == pytest.approx(100.0)
    assert parse_mix("33% red, 33% blue, 34% white").describe() == "33% red, 33% blue, 34% white"


def test_user_order_is_kept():
    assert parse_mix("20% pearl, 80% red").colors == ("pearl", "red")


@pytest.mark.parametrize(
    "text, message",
    [
        ("50% perl, 50% red", r"unknown colour 'perl': did you mean 'pearl'\?"),
        ("50% terracota, 50% red", r"did you mean 'terracotta'\?"),
        ("100% green", r"'green' could be several tile colours: use one of grass green, dark green"),
        ("50% red, 40% black", r"add up to 90%, not 100%"),
        ("32% red, 33% blue, 33% white", r"add up to 98%, not 100%"),  # 99 would be a rounded 100
        ("0% red, 100% black", r"share of 0%: every share must be above 0%"),
        ("-10% red, 110% black", r"share of -10%"),
        ("150% red", r"share of 150%: no share can exceed 100%"),
        ("50% red, 50% RED", r"'red' is listed twice"),
        ("20% red, 20% black, 20% white, 20% blue, 20% pearl", r"5 colours; .* at most 4"),
        ("", r"empty"),
        ("  ,  ; ", r"empty"),
        ("red, black", r"no percentage given for 'red', 'black'"),
        ("50%", r"has a share but no colour"),
        ("50% 30% red", r"could not read"),
        ("99.999% red, 0.001% black", r"'black' has a share of 0.001%, too small to show on a tile"),
        ("100% gras", r"unknown colour 'gras': did you mean 'grass green'\?"),
        ("100% dark", r"'dark' could be several tile colours: use one of dark blue, dark gray, dark green"),
        ("100% grean", r"did you mean one of 'grass green', 'dark green'"),
        ("100% purple", r"'purple' could be several tile colours: use one of violet, lilac"),
        ("100% зелёная", r"«зелёная» может означать несколько цветов"),
        ("100% cream", r"'cream' could be several tile colours: use one of beige, pearl"),
        ("100% xyzzy", r"unknown colour 'xyzzy'. Known colours"),  # no far-fetched guess
    ],
)
def test_refusals_say_what_is_wrong(text, message):
    with pytest.raises(MixError, match=message):
        parse_mix(text)


def test_mix_errors_are_value_errors():
    assert issubclass(MixError, ValueError)


def test_control_characters_and_huge_prompts_are_refused():
    with pytest.raises(MixError, match="control character"):
        parse_mix("50% red,\x00 50% black")
    with pytest.raises(MixError, match="characters long"):
        parse_mix("red " * 10_000)


def test_full_prompt_with_trigger_passes_through_unchanged():
    prompt = "ohwx_rubber_tile <s0><s1>, 60% red, 40% white, close-up, studio light"
    assert build_prompt(prompt) == prompt
    assert build_prompt(prompt.upper()) == prompt.upper()  # CLIP lower-cases it: the same trigger word
    assert tuple(mix_from_prompt(prompt).items()) == (("red", 60.0), ("white", 40.0))


def test_prompt_uses_the_loaded_textual_inversion_tokens():
    prompt = build_prompt("100% beige", ti_tokens=("<s0>", "<s1>", "<s2>"))
    assert prompt.startswith("ohwx_rubber_tile <s0><s1><s2>, 100% beige, ")


def test_clip_length_check_refuses_a_prompt_that_would_be_cut():
    tokenizer = build_clip_tokenizer()
    check_prompt_length(ORIGINAL_PROMPT, tokenizer)
    check_prompt_length(DEFAULT_NEGATIVE_PROMPT, tokenizer)
    long_prompt = "ohwx_rubber_tile <s0><s1>, " + ", ".join(["high quality detailed texture"] * 30)
    assert count_clip_tokens(long_prompt, tokenizer) > 77
    with pytest.raises(PromptTooLongError, match=r"prompt is \d+ CLIP tokens; the text encoders read only 77"):
        check_prompt_length(long_prompt, tokenizer)

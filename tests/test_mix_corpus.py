"""The corpus of what customers type (tests/mix_corpus.py): every entry reads or is refused as expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from rubber_tile.colors.russian import is_cyrillic
from rubber_tile.mix import CODES, MixError, parse_mix
from tests.mix_corpus import CORPUS


def outcome(text: str) -> str:
    """The mix as the parser reads it, or `!code,code` for a refusal."""
    try:
        return parse_mix(text).describe()
    except MixError as error:
        return "!" + ",".join(problem.code for problem in error.problems)


def test_the_corpus_is_large_and_covers_every_refusal_code() -> None:
    assert len(CORPUS) >= 150
    refused = {code for _, _, expected in CORPUS if expected.startswith("!") for code in expected[1:].split(",")}
    assert refused == set(CODES)
    assert sum(is_cyrillic(text) for _, text, _ in CORPUS) >= 50


@pytest.mark.parametrize(("category", "text", "expected"), CORPUS, ids=[f"{c}: {t[:40]!r}" for c, t, _ in CORPUS])
def test_corpus_entry(category: str, text: str, expected: str) -> None:
    assert outcome(text) == expected


@pytest.mark.parametrize(("category", "text", "expected"), [entry for entry in CORPUS if entry[2].startswith("!")])
def test_every_refusal_speaks_the_customers_language(category: str, text: str, expected: str) -> None:
    with pytest.raises(MixError) as caught:
        parse_mix(text)
    error = caught.value
    assert error.language == ("ru" if is_cyrillic(text) else "en")
    message = str(error)
    if error.language == "ru":
        assert is_cyrillic(message.replace(text, "")), message
    assert "MixError" not in message and "Prediction failed" not in message
    document = error.to_dict()
    assert document["code"] == error.problems[0].code and document["message"] == message
    assert all(problem["message"] in message for problem in document["problems"])


def test_a_rounded_sum_is_scaled_to_100_and_said_so_in_the_log_and_metadata(caplog) -> None:
    from rubber_tile.generator import TileGenerator
    from rubber_tile.preview.backend import PreviewBackend
    from rubber_tile.request import make_request

    caplog.set_level("INFO")
    request = make_request("33% red, 33% blue, 33% white", seed=1, width=512, height=512)
    assert request.mix.total == 99.0 and sum(request.mix.normalized.values()) == pytest.approx(100.0)
    assert "the shares added up to 99%; scaled to 100%" in caplog.text
    tile = TileGenerator(PreviewBackend()).generate(request)
    assert tile.metadata["mix_note"] == "the shares added up to 99%; scaled to 100%"
    assert (
        "mix_note"
        not in TileGenerator(PreviewBackend())
        .generate(make_request("50% red, 50% blue", seed=1, width=512, height=512))
        .metadata
    )


def test_all_problems_of_one_text_are_reported_at_once() -> None:
    with pytest.raises(MixError) as caught:
        parse_mix("50% perl, 30% grean, 20% red, 20% red")
    assert [problem.code for problem in caught.value.problems] == [
        "unknown_colour",
        "unknown_colour",
        "duplicate_colour",
    ]
    assert [problem.fragment for problem in caught.value.problems][:2] == ["perl", "grean"]
    assert caught.value.problems[0].suggestions == ("pearl",)
    assert str(caught.value).count("Known colours") == 1


def test_russian_refusals_suggest_russian_names_and_list_known_colors_in_russian() -> None:
    with pytest.raises(MixError) as caught:
        parse_mix("50% бирюзавый, 50% белый")
    message = str(caught.value)
    assert "неизвестный цвет «бирюзавый»: возможно, «бирюзовый»?" in message
    assert "Доступные цвета: бежевый, бело-зелёный, белый," in message
    assert caught.value.to_dict("en")["message"].startswith("unknown colour 'бирюзавый': did you mean 'turquoise'?")


def test_a_text_that_does_not_read_lists_the_known_colors_in_its_language() -> None:
    for text, language, start in (("поровну", "ru", "Доступные цвета: бежевый"), ("????", "en", "Known colours: beige")):
        with pytest.raises(MixError) as caught:
            parse_mix(text)
        document = caught.value.to_dict()
        assert document["code"] == "unreadable" and document["language"] == language
        assert document["footer"].startswith(start) and document["message"].endswith(document["footer"])
    with pytest.raises(MixError) as caught:
        parse_mix("50% red, 40% white")  # a sum to fix: no list of colours
    assert caught.value.to_dict()["footer"] == ""


def test_ambiguous_words_list_every_candidate_and_never_pick_one() -> None:
    with pytest.raises(MixError) as caught:
        parse_mix("60% green, 40% white")
    problem = caught.value.problems[0]
    assert problem.code == "ambiguous_colour" and problem.fragment == "green"
    assert problem.suggestions == ("grass green", "dark green", "light green", "lime green", "green apple", "emerald")


def message_of(text: str, language: str | None = None) -> str:
    with pytest.raises(MixError) as caught:
        parse_mix(text)
    return caught.value.message(language or caught.value.language)


def test_refusals_quote_shares_and_words_as_written_with_russian_plurals() -> None:
    assert "'red' has a share of 100.001%" in message_of("100.001% red")
    assert "'dark green white black' is not 2 colours" in message_of("60/40 dark green white black")
    assert "не 5 цветов" in message_of("1/1/1/1/1 красный") and "5 долей" in message_of("1/1/1/1/1 красный")
    assert "2001 символ," in message_of("к" * 2001)
    assert "в смеси 5 цветов" in message_of("20% красный, 20% синий, 20% белый, 20% черный, 20% желтый")
    assert message_of("50% красный, 50% красного").startswith("цвет «красный» указан дважды")


def test_the_mix_inside_a_full_prompt_is_read_whole_or_refused() -> None:
    from rubber_tile.mix import mix_from_prompt

    assert mix_from_prompt("ohwx_rubber_tile <s0><s1> 50% red, 30% black, 20% pearl, photorealistic").describe() == (
        "50% red, 30% black, 20% pearl"
    )
    assert mix_from_prompt("ohwx_rubber_tile, black tile 60% red 40% white").describe() == "60% red, 40% white"
    with pytest.raises(MixError, match="unknown colour 'wite'"):
        mix_from_prompt("ohwx_rubber_tile <s0><s1>, 60% red, 40% wite, close-up")  # never part of the mix
    with pytest.raises(MixError, match="found no colour shares"):
        mix_from_prompt("ohwx_rubber_tile <s0><s1>, red and white")


def test_mixes_are_equal_only_in_the_same_order_and_hash_alike_when_equal() -> None:
    from rubber_tile.mix import ColorMix

    first, same, reordered = (
        ColorMix({"red": 60, "white": 40}),
        ColorMix({"red": 60, "white": 40}),
        ColorMix({"white": 40, "red": 60}),
    )
    assert first == same and hash(first) == hash(same) and len({first, same}) == 1
    assert first != reordered and len({first, reordered}) == 2
    assert first == {"white": 40.0, "red": 60.0}  # against a plain mapping: the mapping's comparison


# --- docs/mix_language.md: the corpus as a table -----------------------------------------------------
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "mix_language.md"
DOC_HEADER = """# What the mix field reads

Generated from the test corpus (tests/mix_corpus.py) by `python -m tests.test_mix_corpus`; a test fails
when this file is out of date. Every row is checked on every test run.

A refusal names its problem codes (`unknown_colour`, `ambiguous_colour`, `bad_sum`, `too_many_colours`,
`duplicate_colour`, `bad_share`, `empty`, `unreadable`, `too_long`) and says what to fix, in Russian when
the text is Cyrillic. Shares within 1 point of 100 are scaled to 100, and the image metadata says so.
"""


def _cell(text: str) -> str:
    shown = text if len(text) <= 70 else f"{text[:60]}… ({len(text)} characters)"
    return "`" + shown.encode("unicode_escape").decode("ascii") + "`" if not shown.isprintable() else f"`{shown}`"


def render_doc() -> str:
    lines = [DOC_HEADER]
    for category in dict.fromkeys(category for category, _, _ in CORPUS):
        lines += [f"\n## {category}\n", "| typed | read as |", "|---|---|"]
        for _, text, _ in (entry for entry in CORPUS if entry[0] == category):
            try:
                mix = parse_mix(text)
                result = mix.describe() + (f" ({mix.scaling_note()})" if mix.scaling_note() else "")
            except MixError as error:
                result = "refused: " + "; ".join(problem.text(error.language) for problem in error.problems)
            lines.append(f"| {_cell(text).replace('|', '/')} | {result.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def test_the_docs_table_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_doc(), "run: python -m tests.test_mix_corpus"


if __name__ == "__main__":
    DOC_PATH.write_text(render_doc(), encoding="utf-8")
    print(f"wrote {DOC_PATH}")

"""Fixes the page may offer for a typed mix it refused: each one a whole corrected text, checked with the
parser before it is offered, so that a click never leads to the same refusal again.

    fixes_for("50% перл, 50% белый", error, "ru")      # a colour name for each suggestion that reads
    fixes_for("50% red 50% красный", error, "ru")      # [{"label": "100% красный", ...}]: the repeat merged
"""

from __future__ import annotations

import re
from typing import Any

from ..colors.vocabulary import display_name
from ..mix import ColorMix, MixError, MixProblem, format_percent, merged_mix, parse_mix

__all__ = ["fixes_for", "mix_text"]

MAX_FIXES_PER_PROBLEM = 6
_REPLACEABLE = ("unknown_colour", "ambiguous_colour")


def mix_text(mix: ColorMix, language: str) -> str:
    """`50% красный, 50% белый`: a mix as the page shows it, colour names in the page's language."""
    return ", ".join(f"{format_percent(share)}% {display_name(name, language)}" for name, share in mix.items())


def _fragment_pattern(fragment: str) -> re.Pattern[str]:
    """The fragment as the customer typed it: any case, any spaces or hyphens between its words."""
    words = [re.escape(word) for word in re.split(r"[\s\-]+", fragment.strip()) if word]
    return re.compile(r"(?<![^\W\d_])" + r"[\s\-]+".join(words) + r"(?![^\W\d_])", re.IGNORECASE)


def _problems(text: str) -> tuple[MixProblem, ...]:
    try:
        parse_mix(text)
    except MixError as error:
        return error.problems
    return ()


def _fixes_it(candidate: str, problem: MixProblem, before: int) -> bool:
    """The candidate text has fewer problems than before and not this one again."""
    after = _problems(candidate)
    again = any(p.code == problem.code and p.fragment == problem.fragment for p in after)
    return len(after) < before and not again


def _replacements(text: str, problem: MixProblem, language: str, before: int) -> list[dict[str, str]]:
    pattern = _fragment_pattern(problem.fragment)
    if not problem.fragment or not pattern.search(text):
        return []
    fixes = []
    for name in problem.suggestions:
        label = display_name(name, language)
        candidate = pattern.sub(label, text, count=1)
        if candidate != text and _fixes_it(candidate, problem, before):
            fixes.append({"label": label, "text": candidate})
        if len(fixes) == MAX_FIXES_PER_PROBLEM:
            break
    return fixes


def fixes_for(text: str, error: MixError, language: str) -> list[list[dict[str, str]]]:
    """Per problem of `error` (in its order), the fixes that were checked to read better: `label` to
    show on the button and `text`, the whole corrected mix."""
    before = len(error.problems)
    fixes: list[list[dict[str, str]]] = []
    for problem in error.problems:
        if problem.code in _REPLACEABLE:
            fixes.append(_replacements(text, problem, language, before))
        elif problem.code == "duplicate_colour" and (merged := merged_mix(text)) is not None:
            corrected = mix_text(merged, language)
            fixes.append([{"label": corrected, "text": corrected}])
        else:
            fixes.append([])
    return fixes


def with_fixes(details: dict[str, Any], text: str, error: MixError, language: str) -> dict[str, Any]:
    """The refusal's JSON with `fixes` added to each problem."""
    problems = [
        problem | {"fixes": fixes}
        for problem, fixes in zip(details["problems"], fixes_for(text, error, language), strict=True)
    ]
    return details | {"problems": problems}

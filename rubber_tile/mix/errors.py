"""The one error of every mix a customer has to fix: each problem with a stable code, in English and Russian.

    try:
        parse_mix("50% перл, 60% белого")
    except MixError as error:
        error.to_dict()   # {"code": "unknown_colour", "fragment": "перл", "suggestions": [...], "message": "...", ...}
        str(error)        # the message in the customer's language (Russian here: the input is Cyrillic)

All problems of one input are reported at once. Problem texts are written in messages.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError

LANGUAGES = ("en", "ru")
# Every code a problem can have; the web page and API clients may switch on them.
CODES = (
    "unknown_colour",
    "ambiguous_colour",
    "bad_sum",
    "too_many_colours",
    "duplicate_colour",
    "bad_share",
    "empty",
    "unreadable",
    "too_long",
)


@dataclass(frozen=True)
class MixProblem:
    """One thing wrong with a mix: what (code), where (fragment), what may fix it (suggestions, canonical names)."""

    code: str
    fragment: str
    english: str
    russian: str
    suggestions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown mix problem code {self.code!r}; one of {', '.join(CODES)}")

    def text(self, language: str) -> str:
        return self.russian if language == "ru" else self.english

    def to_dict(self, language: str) -> dict[str, object]:
        return {
            "code": self.code,
            "fragment": self.fragment,
            "suggestions": list(self.suggestions),
            "message": self.text(language),
        }


class MixError(InputError):
    """A colour mix the customer has to fix. `problems` lists every problem found, `language` is the
    customer's ("ru" when the input was Cyrillic), and str() is the whole message in that language."""

    def __init__(self, problems: Sequence[MixProblem], language: str = "en", *, footer: dict[str, str] | None = None):
        if not problems:
            raise ValueError("a MixError needs at least one problem")
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
        self.problems = tuple(problems)
        self.language = language
        self.footer = dict(footer or {})  # per language: what to add once after the problems (the known colours)
        super().__init__(self.message(language))

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def fragment(self) -> str:
        return self.problems[0].fragment

    @property
    def suggestions(self) -> tuple[str, ...]:
        return self.problems[0].suggestions

    def message(self, language: str) -> str:
        """Every problem, in `language`, as one text: `unknown colour 'perl': did you mean 'pearl'?; ...`."""
        text = "; ".join(problem.text(language) for problem in self.problems)
        footer = self.footer.get(language, "")
        if not footer:
            return text
        return f"{text} {footer}" if text.endswith(("?", ".", "!")) else f"{text}. {footer}"

    def to_dict(self, language: str | None = None) -> dict[str, object]:
        """What a web page needs to show the error next to the field, as JSON-ready data."""
        language = language or self.language
        first = self.problems[0].to_dict(language)
        return first | {
            "message": self.message(language),
            "language": language,
            "footer": self.footer.get(language, ""),
            "problems": [problem.to_dict(language) for problem in self.problems],
        }

"""Errors a caller can fix, raised where they are detected; each message says what to change.

`InputError` is any input of a tile request that is out of bounds or of the wrong kind; the mix
has its own subclass, `MixError` (rubber_tile/mix/errors.py). Errors of the deployment (missing
weights, a wrong backend setting) are not input errors: see sdxl/weight_files.py and backend.py.
"""

from __future__ import annotations

import unicodedata

__all__ = ["InputError", "PromptTooLongError", "check_plain_text", "first_control_character"]


class InputError(ValueError):
    """An input value the caller has to fix; the message names the input and the allowed values."""


class PromptTooLongError(InputError):
    """A prompt the CLIP text encoders would cut short."""


def check_plain_text(
    text: object, what: str, max_chars: int, *, hint: str = "", error: type[InputError] = InputError
) -> str:
    """`text` if it is a string of at most `max_chars` without control characters, else `error`.

    `hint` ends the message for a missing or non-text value (what to send instead).
    """
    tail = f": {hint}" if hint else ""
    if text is None:
        raise error(f"{what} is missing{tail}")
    if not isinstance(text, str):
        raise error(f"{what} must be text, got {type(text).__name__}{tail}")
    if len(text) > max_chars:
        raise error(f"{what} is {len(text)} characters long; the limit is {max_chars}")
    if (char := first_control_character(text)) is not None:
        raise error(f"{what} contains a control character ({ascii(char)}); remove it and send plain text")
    return text


def first_control_character(text: str) -> str | None:
    """The first control or format character other than new lines and tabs, or None."""
    return next((c for c in text if c not in "\n\r\t" and unicodedata.category(c) in ("Cc", "Cf")), None)

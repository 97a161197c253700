"""The colour mix: customer text -> `ColorMix` (parser.py over tokens.py), the value itself (value.py),
and the one structured error of every mix problem (errors.py, texts in messages.py)."""

from . import messages
from .errors import CODES, MixError, MixProblem
from .messages import MIX_EXAMPLE
from .parser import MAX_PROMPT_CHARS, check_mix_text, merged_mix, mix_from_prompt, parse_color_list, parse_mix
from .value import MAX_COLORS, MIN_SHARE_PERCENT, SUM_TOLERANCE_PP, ColorMix, format_percent

__all__ = [
    "CODES",
    "MAX_COLORS",
    "MAX_PROMPT_CHARS",
    "MIN_SHARE_PERCENT",
    "MIX_EXAMPLE",
    "SUM_TOLERANCE_PP",
    "ColorMix",
    "MixError",
    "MixProblem",
    "check_mix_text",
    "format_percent",
    "merged_mix",
    "messages",
    "mix_from_prompt",
    "parse_color_list",
    "parse_mix",
]

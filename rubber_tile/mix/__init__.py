"""The colour mix: customer text -> `ColorMix` (parser.py), the value itself (value.py), its error."""

from .errors import MixError
from .parser import MAX_PROMPT_CHARS, MIX_EXAMPLE, check_mix_text, mix_from_prompt, parse_color_list, parse_mix
from .value import MAX_COLORS, MIN_SHARE_PERCENT, SUM_TOLERANCE_PP, ColorMix, format_percent

__all__ = [
    "MAX_COLORS",
    "MAX_PROMPT_CHARS",
    "MIN_SHARE_PERCENT",
    "MIX_EXAMPLE",
    "SUM_TOLERANCE_PP",
    "ColorMix",
    "MixError",
    "check_mix_text",
    "format_percent",
    "mix_from_prompt",
    "parse_color_list",
    "parse_mix",
]

"""From a customer's colour mix to the prompt the model was trained on (the owner's entry point).

    >>> build_prompt("50% red, 30% black, 20% pearl")
    'ohwx_rubber_tile <s0><s1>, 50% red, 30% black, 20% pearl, photorealistic rubber tile, high quality, detailed texture'

The work is in the rubber_tile package: the mix in rubber_tile/mix/, the prompt in rubber_tile/prompt.py.
"""

from rubber_tile.errors import PromptTooLongError
from rubber_tile.mix import ColorMix, MixError, mix_from_prompt, parse_mix
from rubber_tile.prompt import (
    DEFAULT_NEGATIVE_PROMPT,
    PROMPT_SUFFIX,
    TRIGGER_WORD,
    build_prompt,
    check_prompt_length,
    count_clip_tokens,
    is_full_prompt,
    prompt_for_mix,
)

__all__ = [
    "DEFAULT_NEGATIVE_PROMPT",
    "PROMPT_SUFFIX",
    "TRIGGER_WORD",
    "ColorMix",
    "MixError",
    "PromptTooLongError",
    "build_prompt",
    "check_prompt_length",
    "count_clip_tokens",
    "is_full_prompt",
    "mix_from_prompt",
    "parse_mix",
    "prompt_for_mix",
]

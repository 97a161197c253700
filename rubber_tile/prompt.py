"""From a colour mix to the prompt the model was trained on.

`prompt_for_mix(parse_mix("50% red, 30% black, 20% pearl"))` ->
`ohwx_rubber_tile <s0><s1>, 50% red, 30% black, 20% pearl, photorealistic rubber tile, high quality,
detailed texture`, the training captions' form. A text that already holds the trigger word is a
full prompt and goes to the model unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .errors import PromptTooLongError
from .mix import ColorMix, check_mix_text, parse_mix

TRIGGER_WORD = "ohwx_rubber_tile"
DEFAULT_TI_TOKENS: tuple[str, ...] = ("<s0>", "<s1>")
PROMPT_SUFFIX = "photorealistic rubber tile, high quality, detailed texture"
DEFAULT_NEGATIVE_PROMPT = (
    "blurry, worst quality, low quality, deformed, watermark, 3d render, cartoon, abstract, "
    "painting, drawing, text, sketch, low resolution"
)
CLIP_MAX_TOKENS = 77  # including the start and end tokens


class Tokenizer(Protocol):
    def __call__(self, text: str) -> object: ...


def is_full_prompt(text: str) -> bool:
    """Prompts that already hold the trigger word are passed to the model unchanged."""
    return TRIGGER_WORD in text.lower()  # CLIP lower-cases its input, so OHWX_RUBBER_TILE is the same word


def trigger_phrase(ti_tokens: Sequence[str] = DEFAULT_TI_TOKENS) -> str:
    return f"{TRIGGER_WORD} {''.join(ti_tokens)}"


def prompt_for_mix(mix: ColorMix, ti_tokens: Sequence[str] = DEFAULT_TI_TOKENS) -> str:
    """The internal prompt for a mix, exactly as the model was prompted in training.

    `ti_tokens` are the textual-inversion tokens actually loaded (`<s0>`, `<s1>` for a 2-row file).
    """
    return f"{trigger_phrase(ti_tokens)}, {mix.describe()}, {PROMPT_SUFFIX}"


def build_prompt(text: str, ti_tokens: Sequence[str] = DEFAULT_TI_TOKENS) -> str:
    """The internal prompt for a customer's text: a full prompt as it is, else its mix expanded."""
    text = check_mix_text(text)
    if is_full_prompt(text):
        return text
    return prompt_for_mix(parse_mix(text), ti_tokens)


def count_clip_tokens(prompt: str, tokenizer: Tokenizer) -> int:
    """Tokens CLIP would read, start and end tokens included."""
    encoded = tokenizer(prompt)
    input_ids = encoded["input_ids"]  # type: ignore[index]
    return len(input_ids)


def check_prompt_length(prompt: str, tokenizer: Tokenizer, what: str = "prompt") -> None:
    """Refuse a prompt CLIP would silently cut at 77 tokens."""
    count = count_clip_tokens(prompt, tokenizer)
    if count > CLIP_MAX_TOKENS:
        raise PromptTooLongError(
            f"{what} is {count} CLIP tokens; the text encoders read only {CLIP_MAX_TOKENS} "
            f"(start and end included) and would ignore the rest. Shorten it: {prompt[:120]!r}"
        )

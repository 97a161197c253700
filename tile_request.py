"""The inputs of one tile prediction: bounds declared once, every value checked.

Cog validates inputs only when a schema file is present, so these checks run in every path
(Cog, the command line, tests) and turn mistakes into `InputError` messages people can act on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from prompt_builder import DEFAULT_NEGATIVE_PROMPT, MixError, check_text

DEFAULT_STEPS = 20
STEPS_MIN, STEPS_MAX = 1, 100
DEFAULT_GUIDANCE = 7.0
GUIDANCE_MIN, GUIDANCE_MAX = 0.0, 20.0
DEFAULT_SIZE = 1024
SIZE_MIN, SIZE_MAX = 512, 2048
SIZE_MULTIPLE = 8
OUTPUT_FORMATS = ("png", "webp", "jpg")
DEFAULT_OUTPUT_FORMAT = "png"
SEED_MAX = 2**32 - 1
RANDOM_SEED = -1


class InputError(MixError):
    """An input value the caller has to fix; the message names the input and the allowed values."""


@dataclass(frozen=True)
class TileRequest:
    prompt: str  # as the customer sent it: a colour mix, or a full prompt with the trigger word
    negative_prompt: str
    seed: int
    num_inference_steps: int = DEFAULT_STEPS
    guidance_scale: float = DEFAULT_GUIDANCE
    width: int = DEFAULT_SIZE
    height: int = DEFAULT_SIZE
    output_format: str = DEFAULT_OUTPUT_FORMAT
    preview: bool = False
    match_colors: bool = True


def make_request(
    prompt: object,
    negative_prompt: object = None,
    seed: object = None,
    num_inference_steps: object = DEFAULT_STEPS,
    guidance_scale: object = DEFAULT_GUIDANCE,
    width: object = DEFAULT_SIZE,
    height: object = DEFAULT_SIZE,
    output_format: object = DEFAULT_OUTPUT_FORMAT,
    preview: object = False,
    match_colors: object = True,
) -> TileRequest:
    """Check every input and fill the defaults: empty negative prompt -> the original's list,
    no seed or -1 -> a random 32-bit seed."""
    prompt_text = check_text(prompt, "prompt").strip()
    if not prompt_text:
        raise InputError("prompt is empty: send a colour mix such as '50% red, 30% black, 20% pearl'")
    negative_text = check_text(negative_prompt if negative_prompt is not None else "", "negative_prompt").strip()
    return TileRequest(
        prompt=prompt_text,
        negative_prompt=negative_text or DEFAULT_NEGATIVE_PROMPT,
        seed=_seed(seed),
        num_inference_steps=_integer("num_inference_steps", num_inference_steps, STEPS_MIN, STEPS_MAX),
        guidance_scale=_number("guidance_scale", guidance_scale, GUIDANCE_MIN, GUIDANCE_MAX),
        width=_size("width", width),
        height=_size("height", height),
        output_format=_output_format(output_format),
        preview=_boolean("preview", preview),
        match_colors=_boolean("match_colors", match_colors),
    )


def _integer(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{name} must be from {low} to {high}, got {value}")
    return value


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
    if not low <= value <= high:  # also refuses NaN
        raise InputError(f"{name} must be from {low:g} to {high:g}, got {value}")
    return float(value)


def _size(name: str, value: object) -> int:
    size = _integer(name, value, SIZE_MIN, SIZE_MAX)
    if size % SIZE_MULTIPLE:
        lower = size - size % SIZE_MULTIPLE
        raise InputError(f"{name} must be a multiple of {SIZE_MULTIPLE}, got {size}: use {lower} or {lower + SIZE_MULTIPLE}")
    return size


def _seed(value: object) -> int:
    if value is None or value == "":
        return random.randint(0, SEED_MAX)
    seed = _integer("seed", value, RANDOM_SEED, SEED_MAX)
    return random.randint(0, SEED_MAX) if seed == RANDOM_SEED else seed


def _output_format(value: object) -> str:
    text = value.lower().strip() if isinstance(value, str) else value
    if text == "jpeg":
        text = "jpg"
    if text not in OUTPUT_FORMATS:
        raise InputError(f"output_format must be one of {', '.join(OUTPUT_FORMATS)}, got {value!r}")
    return str(text)


def _boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{name} must be true or false, got {value!r}")
    return value

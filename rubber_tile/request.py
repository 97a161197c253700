"""The inputs of one tile prediction: bounds declared once, every value checked, the mix read once.

Cog validates inputs only when a schema file is present, so these checks run in every path
(Cog, the command line, tests) and turn mistakes into InputError (or MixError) messages people can
act on. `make_request` is the one place a prediction's inputs are checked.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from .errors import InputError, check_plain_text
from .mix import MAX_PROMPT_CHARS, ColorMix, MixError, check_mix_text, messages, mix_from_prompt, parse_mix
from .preview.settings import FRAMINGS as PREVIEW_FRAMINGS
from .preview.settings import GRADES as PREVIEW_GRADES
from .prompt import DEFAULT_NEGATIVE_PROMPT, is_full_prompt

log = logging.getLogger(__name__)

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
# The crumb grade (sieve sizes in mm), the framing (preview/settings.py) and the view.
GRADES = tuple(PREVIEW_GRADES)
DEFAULT_GRADE = "standard"
FRAMINGS = PREVIEW_FRAMINGS
DEFAULT_FRAMING = "full_frame"
VIEWS = ("top", "installed")
DEFAULT_VIEW = "top"


@dataclass(frozen=True)
class TileRequest:
    """One checked prediction.

    prompt: as the customer sent it (stripped): a colour mix, or a full prompt with the trigger word.
    mix: the mix read from it; for a full prompt, the shares written inside it, or None where it
    has none that read (`mix_unread` then says why: the preview and the colour lock need a mix).
    """

    prompt: str
    mix: ColorMix | None
    negative_prompt: str
    seed: int
    full_prompt: bool = False
    mix_unread: str = ""
    num_inference_steps: int = DEFAULT_STEPS
    guidance_scale: float = DEFAULT_GUIDANCE
    width: int = DEFAULT_SIZE
    height: int = DEFAULT_SIZE
    output_format: str = DEFAULT_OUTPUT_FORMAT
    preview: bool = False
    color_lock: bool = True
    grade: str = DEFAULT_GRADE
    framing: str = DEFAULT_FRAMING
    view: str = DEFAULT_VIEW

    def require_mix(self, needed_by: str) -> ColorMix:
        """The mix, or MixError saying why `needed_by` cannot run without one."""
        if self.mix is None:
            raise MixError([messages.needs_a_mix(needed_by, self.mix_unread)])
        return self.mix


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
    color_lock: object = True,
    grade: object = DEFAULT_GRADE,
    framing: object = DEFAULT_FRAMING,
    view: object = DEFAULT_VIEW,
) -> TileRequest:
    """Check every input and fill the defaults: empty negative prompt -> the original's list,
    no seed or -1 -> a random 32-bit seed. A mix that does not read raises MixError here."""
    prompt_text = check_mix_text(prompt, "prompt").strip()
    if not prompt_text:
        raise MixError([messages.empty("prompt")])
    negative_text = check_plain_text(
        negative_prompt if negative_prompt is not None else "", "negative_prompt", MAX_PROMPT_CHARS
    ).strip()
    mix, full_prompt, mix_unread = read_prompt_mix(prompt_text)
    if mix is not None and (note := mix.scaling_note()):
        log.info("mix %s: %s", mix.describe(), note)
    return TileRequest(
        prompt=prompt_text,
        mix=mix,
        negative_prompt=negative_text or DEFAULT_NEGATIVE_PROMPT,
        seed=_seed(seed),
        full_prompt=full_prompt,
        mix_unread=mix_unread,
        num_inference_steps=_integer("num_inference_steps", num_inference_steps, STEPS_MIN, STEPS_MAX),
        guidance_scale=_number("guidance_scale", guidance_scale, GUIDANCE_MIN, GUIDANCE_MAX),
        width=_size("width", width),
        height=_size("height", height),
        output_format=_output_format(output_format),
        preview=_boolean("preview", preview),
        color_lock=_boolean("color_lock", color_lock),
        grade=_choice("grade", grade, GRADES),
        framing=_choice("framing", framing, FRAMINGS),
        view=_choice("view", view, VIEWS),
    )


def read_prompt_mix(prompt: str) -> tuple[ColorMix | None, bool, str]:
    """(mix, full_prompt, mix_unread) for a prompt: a mix must read (MixError); a full prompt goes to
    the model as written, so the shares in it are optional, and `mix_unread` says why there are none."""
    if not is_full_prompt(prompt):
        return parse_mix(prompt), False, ""
    try:
        return mix_from_prompt(prompt), True, ""
    except MixError as error:
        return None, True, str(error)
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


def _choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return str(text)

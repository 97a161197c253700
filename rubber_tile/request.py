"""The inputs of one tile prediction: declared once, as TileRequest's fields, every value checked, the mix read once.

Each input is a field of `TileRequest` with its default, description, bounds or choices
(`InputSpec` in the field's metadata). That one table feeds `make_request` (the one place a
prediction's inputs are checked), the command line (scripts/generate.py) and the web app;
predict.py repeats it as literal Input() values, because `cog build` reads those without running
the code, and tests/test_openapi_schema.py fails when the two differ. Cog validates inputs only
when a schema file is present, so these checks run in every path (Cog, the command line, tests)
and turn mistakes into InputError (or MixError) messages people can act on.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from .errors import InputError, check_plain_text
from .mix import MAX_PROMPT_CHARS, ColorMix, MixError, check_mix_text, messages, mix_from_prompt, parse_mix
from .prompt import DEFAULT_NEGATIVE_PROMPT, is_full_prompt

log = logging.getLogger(__name__)

SEED_MAX = 2**32 - 1
RANDOM_SEED = -1
SIZE_MIN, SIZE_MAX = 512, 2048
OUTPUT_FORMATS = ("png", "webp", "jpg")
FRAMINGS = ("full_frame", "product_photo")
VIEWS = ("top", "installed")


@dataclass(frozen=True)
class GranuleGrade:
    """A crumb grade: granules pass a sieve between min_mm and max_mm."""

    name: str
    min_mm: float
    max_mm: float


GRADES: Mapping[str, GranuleGrade] = MappingProxyType(
    {
        "fine": GranuleGrade("fine", 1.0, 3.0),
        "standard": GranuleGrade("standard", 2.0, 4.0),
        "coarse": GranuleGrade("coarse", 3.0, 5.0),
    }
)


@dataclass(frozen=True)
class InputSpec:
    """How a TileRequest field is given as an input (Cog's Input(), a command-line option, a web field)."""

    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    multiple_of: int | None = None
    # The input's default where it is not the field's own: "" for the negative prompt (the field
    # then holds the original's list). None: the field's default.
    given_default: Any = None


def _input(default: Any, description: str, **spec: Any) -> Any:
    return field(default=default, metadata={"input": InputSpec(description, **spec)})


@dataclass(frozen=True, kw_only=True)
class TileRequest:
    """One checked prediction. The fields down to `view` are the inputs, in the order Cog shows them.

    prompt: as the customer sent it (stripped): a colour mix, or a full prompt with the trigger word.
    mix: the mix read from it; for a full prompt, the shares written inside it, or None where it
    has none that read (`mix_unread` then says why: the preview and the colour lock need a mix).
    """

    prompt: str = field(
        metadata={
            "input": InputSpec(
                "Colour mix, e.g. '50% red, 30% black, 20% pearl' (up to 4 of the 29 tile colours, shares summing "
                "to 100). A full prompt containing 'ohwx_rubber_tile' is used as it is."
            )
        }
    )
    negative_prompt: str = _input(
        DEFAULT_NEGATIVE_PROMPT, "What to avoid; empty uses the model's default list.", given_default=""
    )
    seed: int = _input(
        RANDOM_SEED,
        "Seed 0..4294967295; -1 (or leaving it out) picks a random one, logged and stored in the image.",
        minimum=RANDOM_SEED,
        maximum=SEED_MAX,
    )
    num_inference_steps: int = _input(20, "Denoising steps.", minimum=1, maximum=100)
    guidance_scale: float = _input(7.0, "Classifier-free guidance.", minimum=0.0, maximum=20.0)
    width: int = _input(1024, "Width in pixels, a multiple of 8.", minimum=SIZE_MIN, maximum=SIZE_MAX, multiple_of=8)
    height: int = _input(1024, "Height in pixels, a multiple of 8.", minimum=SIZE_MIN, maximum=SIZE_MAX, multiple_of=8)
    output_format: str = _input("png", "Image file format.", choices=OUTPUT_FORMATS)
    preview: bool = _input(
        False, "Return the instant procedural preview (exact proportions) instead of the SDXL image."
    )
    color_lock: bool = _input(
        True,
        "Colour lock: recolour whole granules so the image shows the asked shares (the model alone misses by "
        "about 20 points per colour). No effect on the preview.",
    )
    grade: str = _input(
        "standard",
        "Crumb grade of the preview: fine (1-3 mm), standard (2-4 mm), coarse (3-5 mm). The SDXL model was "
        "trained on one grade and ignores it.",
        choices=tuple(GRADES),
    )
    framing: str = _input(
        "full_frame",
        "Preview framing: full_frame (a close-up, like the SDXL image) or product_photo (the whole tile on "
        "white). SDXL always draws a full frame.",
        choices=FRAMINGS,
    )
    view: str = _input(
        "top",
        "top: the tile seen from above; installed: a floor laid with these tiles, in perspective (built from "
        "the top view of either backend).",
        choices=VIEWS,
    )
    # Read from the prompt by make_request, not inputs.
    mix: ColorMix | None = None
    full_prompt: bool = False
    mix_unread: str = ""

    def require_mix(self, needed_by: str) -> ColorMix:
        """The mix, or MixError saying why `needed_by` cannot run without one."""
        if self.mix is None:
            raise MixError([messages.needs_a_mix(needed_by, self.mix_unread)])
        return self.mix


@dataclass(frozen=True)
class RequestInput:
    """One input of the table: its name, Python type, default as given, and its spec."""

    name: str
    kind: type
    default: Any  # dataclasses.MISSING for the required prompt
    spec: InputSpec

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING


@cache
def request_inputs() -> tuple[RequestInput, ...]:
    """The inputs, in order: TileRequest's fields that carry an InputSpec."""
    hints = typing.get_type_hints(TileRequest)
    inputs = []
    for item in dataclasses.fields(TileRequest):
        spec = item.metadata.get("input")
        if spec is not None:
            given = spec.given_default if spec.given_default is not None else item.default
            inputs.append(RequestInput(item.name, hints[item.name], given, spec))
    return tuple(inputs)


def input_names() -> tuple[str, ...]:
    return tuple(item.name for item in request_inputs())


def input_default(name: str) -> Any:
    """The value a request holds when this input was left out (the negative prompt: the original's list)."""
    item = next(item for item in dataclasses.fields(TileRequest) if item.name == name)
    return item.default


def make_request(prompt: object, **inputs: object) -> TileRequest:
    """Check every input and fill the defaults: empty negative prompt -> the original's list,
    no seed or -1 -> a random 32-bit seed. A mix that does not read raises MixError here; an
    unknown input name, InputError naming the inputs there are."""
    table = {item.name: item for item in request_inputs()}
    if unknown := [name for name in inputs if name not in table or name == "prompt"]:
        raise InputError(f"unknown input {', '.join(map(repr, unknown))}; the inputs are: {', '.join(table)}")
    prompt_text = check_mix_text(prompt, "prompt").strip()
    if not prompt_text:
        raise MixError([messages.empty("prompt")])
    mix, full_prompt, mix_unread = read_prompt_mix(prompt_text)
    if mix is not None and (note := mix.scaling_note()):
        log.info("mix %s: %s", mix.describe(), note)
    values = {
        name: check_input(item, inputs.get(name, item.default)) for name, item in table.items() if name != "prompt"
    }
    return TileRequest(prompt=prompt_text, mix=mix, full_prompt=full_prompt, mix_unread=mix_unread, **values)


def check_input(item: RequestInput, value: object) -> Any:
    """The checked value of one input (InputError saying what is wrong and what is allowed)."""
    if item.name in _SPECIAL_CHECKS:
        return _SPECIAL_CHECKS[item.name](value)
    spec = item.spec
    if item.kind is bool:
        return _boolean(item.name, value)
    if item.kind is int:
        number = _integer(item.name, value, int(spec.minimum), int(spec.maximum))
        return _multiple_of(item.name, number, spec.multiple_of) if spec.multiple_of else number
    if item.kind is float:
        return _number(item.name, value, float(spec.minimum), float(spec.maximum))
    return _choice(item.name, value, spec.choices or ())


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


def _multiple_of(name: str, value: int, step: int) -> int:
    if value % step:
        lower = value - value % step
        raise InputError(f"{name} must be a multiple of {step}, got {value}: use {lower} or {lower + step}")
    return value


def _negative_prompt(value: object) -> str:
    text = check_plain_text(value if value is not None else "", "negative_prompt", MAX_PROMPT_CHARS).strip()
    return text or DEFAULT_NEGATIVE_PROMPT


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


# Inputs whose check is more than their type and bounds.
_SPECIAL_CHECKS = {"negative_prompt": _negative_prompt, "seed": _seed, "output_format": _output_format}

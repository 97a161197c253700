"""Where a load's time goes: timers wrapped around the steps of assemble_pipeline and the library calls
inside them, their summary over several loads, and its table."""

from __future__ import annotations

import functools
import inspect
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .report import markdown_table


@dataclass(frozen=True)
class Phase:
    label: str
    depth: int
    seconds: float


@dataclass(frozen=True)
class PhaseSummary:
    label: str
    depth: int
    calls: int
    median_s: float


class PhaseRecorder:
    """Times calls of chosen functions and methods, nested, in the order they start."""

    def __init__(self) -> None:
        self._entries: list[list[Any]] = []
        self._depth = 0

    def patch(self, owner: Any, name: str, label: str) -> None:
        static = inspect.getattr_static(owner, name)
        if isinstance(static, (classmethod, staticmethod)):
            setattr(owner, name, type(static)(self._timed(static.__func__, label)))
        else:
            setattr(owner, name, self._timed(getattr(owner, name), label))

    def _timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            entry = [label, self._depth, 0.0]
            self._entries.append(entry)
            self._depth += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                entry[2] = time.perf_counter() - start
                self._depth -= 1

        return timed

    def phases(self) -> tuple[Phase, ...]:
        return tuple(Phase(label, depth, seconds) for label, depth, seconds in self._entries)


def install_phase_timers(recorder: PhaseRecorder) -> None:
    """Time the steps of assemble_pipeline and the library calls inside them.

    Each step is patched where its caller looks it up: pipeline.py's own names (some imported there from
    lora.py, textual_inversion.py and weight_files.py), lora.py's helpers, and both modules' `load_file`.
    """
    import peft
    import transformers
    from diffusers import StableDiffusionXLPipeline
    from diffusers.loaders.peft import PeftAdapterMixin

    from rubber_tile.sdxl import lora, pipeline, textual_inversion

    for owner, name, label in (
        (pipeline, "load_base_pipeline", "base `from_pretrained` (with file checks)"),
        (pipeline, "load_baked_pipeline", "baked `from_pretrained` (with file checks, token check)"),
        (pipeline, "check_pipeline_folder", "check weight files"),
        (pipeline, "fuse_lora_file", "LoRA: `fuse_lora_file`"),
        (lora, "load_file", "read safetensors file"),
        (textual_inversion, "load_file", "read safetensors file"),
        (StableDiffusionXLPipeline, "load_lora_weights", "`load_lora_weights`"),
        (StableDiffusionXLPipeline, "lora_state_dict", "kohya -> diffusers key conversion"),
        (StableDiffusionXLPipeline, "load_lora_into_unet", "`load_lora_into_unet`"),
        (peft, "inject_adapter_in_model", "PEFT: inject LoRA layers"),
        (peft, "set_peft_model_state_dict", "PEFT: load LoRA weights"),
        (lora, "_adapted_modules", "count adapted layers"),
        (lora, "_copy_adapted_weights_out_of_their_files", "copy the fused layers' weights out of the files"),
        (StableDiffusionXLPipeline, "fuse_lora", "`fuse_lora`"),
        (StableDiffusionXLPipeline, "unload_lora_weights", "`unload_lora_weights`"),
        (PeftAdapterMixin, "unload_lora", "UNet `unload_lora`"),
        (pipeline, "load_textual_inversion", "textual inversion: `load_textual_inversion`"),
        (transformers.PreTrainedModel, "resize_token_embeddings", "`resize_token_embeddings`"),
        (transformers.PreTrainedModel, "_init_added_embeddings_weights_with_mean", "new rows from mean and covariance"),
        (pipeline, "configure_sampler", "sampler, VAE slicing and tiling"),
        (StableDiffusionXLPipeline, "to", "`pipe.to(device)`"),
    ):
        if hasattr(owner, name):  # a step that a later version renamed or dropped lands in "other"
            recorder.patch(owner, name, label)


def summarize_phases(loads: Sequence[Sequence[Phase]]) -> list[PhaseSummary]:
    """Per (label, depth): calls per load and the median over loads of the summed seconds, in first-call order."""
    order: list[tuple[str, int]] = []
    per_load: list[dict[tuple[str, int], tuple[int, float]]] = []
    for phases in loads:
        totals: dict[tuple[str, int], tuple[int, float]] = {}
        for phase in phases:
            key = (phase.label, phase.depth)
            if key not in order:
                order.append(key)
            calls, seconds = totals.get(key, (0, 0.0))
            totals[key] = (calls + 1, seconds + phase.seconds)
        per_load.append(totals)
    return [
        PhaseSummary(
            label=label,
            depth=depth,
            calls=max(totals.get((label, depth), (0, 0.0))[0] for totals in per_load),
            median_s=statistics.median(totals.get((label, depth), (0, 0.0))[1] for totals in per_load),
        )
        for label, depth in order
    ]


def phase_table(phases: Sequence[PhaseSummary], total_s: float, other_s: float) -> str:
    rows = [
        [
            ("&nbsp;&nbsp;" * phase.depth) + phase.label,
            str(phase.calls),
            f"{phase.median_s:.2f}",
            f"{100 * phase.median_s / total_s:.0f}%",
        ]
        for phase in phases
    ]
    rows.append(["other (outside the timed calls)", "", f"{other_s:.2f}", f"{100 * other_s / total_s:.0f}%"])
    return markdown_table(["step", "calls", "median s", "of load"], rows)

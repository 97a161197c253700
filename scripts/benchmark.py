"""Benchmarks: cold start, the preview/analyzer/lock components, GPU sampling. Prints and writes BENCHMARKS.md.

    python scripts/benchmark.py                  # every section (the GPU one records "no GPU" without CUDA)
    python scripts/benchmark.py --cold-start     # only the sections named by flags
    python scripts/benchmark.py --components --sizes 512 1024
    python scripts/benchmark.py --gpu --gpu-repeats 10

Cold start uses the full-size SDXL 1.0 architecture with random weights, written once in fp16 to
--cache-dir (about 7 GB, plus a baked copy of the same size made by scripts/bake_weights.py), with a
full-size r=32 Eden-format LoRA and a two-row textual inversion. Each load runs in a fresh process,
after the same warm-up read of its files, in fp16 on the CPU. Sections not run this time keep their
earlier text in BENCHMARKS.md. No test asserts on these numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import importlib
import importlib.util
import inspect
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
for _path in (PROJECT_DIR, PROJECT_DIR / "tests"):  # tests/ holds the tokenizer and LoRA-file helpers
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

DEFAULT_OUT = PROJECT_DIR / "BENCHMARKS.md"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "rubber-tile-bench"
SECTION_KEYS = ("cold-start", "components", "gpu")
LOAD_KINDS = ("bare", "runtime", "baked")
LOAD_RESULT_PREFIX = "BENCHMARK_LOAD_RESULT "
BENCH_MIX = "50% red, 30% black, 20% pearl"
LORA_RANK = 32
TI_ROWS = 2
CLIP_VOCAB_SIZE = 49408  # the real SDXL tokenizers' size, so adding the TI tokens grows the embeddings as in production
GIB = 1024**3

LOAD_LABELS = {
    "bare": "bare `StableDiffusionXLPipeline.from_pretrained`",
    "runtime": "`assemble_pipeline`, runtime LoRA fuse + TI",
    "baked": "`assemble_pipeline`, baked folder",
}
LOAD_TARGETS = {"runtime": 1.15, "baked": 1.05}  # load time / bare load time
GPU_TARGET_SECONDS = 0.8  # per image, H100, 20 steps at 1024x1024
GPU_TARGET_PEAK_GB = 10.0
COMPILED_LABEL = "torch.compile"


# ---------------------------------------------------------------- results and the markdown file


@dataclass(frozen=True)
class Section:
    """One block of BENCHMARKS.md; `key` names it between the markers that delimit it."""

    key: str
    body: str


@dataclass(frozen=True)
class Phase:
    label: str
    depth: int
    seconds: float


@dataclass(frozen=True)
class LoadRun:
    kind: str
    load_s: float  # inside the fresh process: from the load call to a ready pipeline
    load_cpu_s: float  # CPU time of the load call, all threads; less sensitive than wall time to other processes
    read_s: float  # after the load: reading every weight once, as the first image (or pipe.to("cuda")) would
    process_s: float  # the whole process: interpreter start, imports, load, reading, exit
    peak_rss_gib: float
    load_average: float  # the machine's 1-minute load average just before the process started
    phases: tuple[Phase, ...]


@dataclass(frozen=True)
class WarmRead:
    kind: str
    gib: float
    seconds: float


@dataclass(frozen=True)
class Timing:
    """Repeated wall-clock measurements of one thing."""

    label: str
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class Stamp:
    command: str
    machine: str
    date: str

    def markdown(self) -> str:
        return f"Command: `{self.command}`  \nMachine: {self.machine}  \nDate: {self.date}\n"


BEGIN_MARK = "<!-- benchmark:{key} -->"
END_MARK = "<!-- /benchmark:{key} -->"
FILE_HEADER = (
    "# Benchmarks\n\n"
    "Written by `scripts/benchmark.py`. Each section says the command, machine and date it was measured with; "
    "running the script with one section's flag rewrites only that section. Timings are wall-clock medians.\n"
)


def section_blocks(text: str) -> dict[str, str]:
    """The bodies of the sections in an existing BENCHMARKS.md, by key."""
    blocks = {}
    for key in SECTION_KEYS:
        pattern = re.escape(BEGIN_MARK.format(key=key)) + r"\n(.*?)" + re.escape(END_MARK.format(key=key))
        match = re.search(pattern, text, flags=re.DOTALL)
        if match is not None:
            blocks[key] = match.group(1)
    return blocks


def merge_report(existing: str, sections: Sequence[Section]) -> str:
    """The new file: sections run now replace their old text; the others are kept as they were."""
    blocks = section_blocks(existing) | {section.key: section.body.rstrip("\n") + "\n" for section in sections}
    parts = [FILE_HEADER]
    for key in SECTION_KEYS:
        if key in blocks:
            parts.append(f"{BEGIN_MARK.format(key=key)}\n{blocks[key]}{END_MARK.format(key=key)}\n")
    return "\n".join(parts)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _seconds_list(values: Sequence[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


# ---------------------------------------------------------------- machine description


def describe_machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.MULTILINE)
        cpu = names[0].strip() if names else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [f"{cpu}, {cores} cores usable, {torch.get_num_threads()} torch threads"]
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), flags=re.MULTILINE)
        if total is not None:
            parts.append(f"{int(total.group(1)) / 1024**2:.0f} GiB RAM")
    if torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name(0)}")
    else:
        parts.append("no GPU")
    parts.append(f"load average {os.getloadavg()[0]:.1f} at start")
    versions = ", ".join(f"{name} {_version(name)}" for name in ("torch", "diffusers", "transformers", "peft"))
    return f"{'; '.join(parts)}; Python {platform.python_version()}, {versions}; {platform.platform()}"


def _version(package: str) -> str:
    return importlib.import_module(package).__version__


# ---------------------------------------------------------------- full-size random SDXL


@contextlib.contextmanager
def default_dtype(dtype: Any) -> Iterator[None]:
    """Build modules directly in `dtype`, so fp16 SDXL never exists in fp32 (half the memory)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def padded_clip_tokenizer():
    """tests/tiny_sdxl's CLIP tokenizer, its vocabulary padded to the real 49408 with the start and end
    tokens last, as in the real one. Padding entries are never produced by its merges."""
    from transformers import CLIPTokenizer

    from tiny_sdxl import build_clip_tokenizer

    small = build_clip_tokenizer()
    model = json.loads(small._tokenizer.to_str())["model"]
    specials = ("<|startoftext|>", "<|endoftext|>")
    words = [token for token in sorted(model["vocab"], key=model["vocab"].get) if token not in specials]
    padding = [f"<|bench_pad_{i}|>" for i in range(CLIP_VOCAB_SIZE - len(words) - len(specials))]
    vocab = {token: index for index, token in enumerate(words + padding + list(specials))}
    merges = [tuple(merge) for merge in model["merges"]]
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def build_component(name: str, device: Any, dtype: Any, fp16_fix_vae: bool = False):
    """One full-size SDXL model component with random weights, built directly on `device` in `dtype`."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from sdxl_architecture import CLIP_G_CONFIG, CLIP_L_CONFIG, SDXL_UNET_CONFIG, SDXL_VAE_CONFIG

    builders: dict[str, Callable[[], torch.nn.Module]] = {
        "unet": lambda: UNet2DConditionModel(**SDXL_UNET_CONFIG),
        # The fp16-fix VAE that production loads when present needs no fp32 upcast for decoding.
        "vae": lambda: AutoencoderKL(**(SDXL_VAE_CONFIG | ({"force_upcast": False} if fp16_fix_vae else {}))),
        "text_encoder": lambda: CLIPTextModel(CLIPTextConfig(**CLIP_L_CONFIG)),
        "text_encoder_2": lambda: CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_G_CONFIG)),
    }
    with default_dtype(dtype), torch.device(device):
        module = builders[name]()
    return module.eval()


def sdxl_scheduler():
    from diffusers import EulerDiscreteScheduler

    from sdxl_architecture import SDXL_SCHEDULER_CONFIG

    return EulerDiscreteScheduler(**SDXL_SCHEDULER_CONFIG)


def model_index() -> dict[str, Any]:
    import diffusers

    return {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": diffusers.__version__,
        "force_zeros_for_empty_prompt": True,
        "add_watermarker": None,
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }


def random_ti_rows(seed: int = 3) -> dict[str, Any]:
    """A two-row, two-encoder textual inversion in bf16, shaped like the owner's file."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return {
        "clip_l": (torch.randn(TI_ROWS, 768, generator=generator) * 0.02).bfloat16(),
        "clip_g": (torch.randn(TI_ROWS, 1280, generator=generator) * 0.02).bfloat16(),
    }


# ---------------------------------------------------------------- cold-start files in the cache


@dataclass(frozen=True)
class BenchAssets:
    base: Path
    lora: Path
    embeddings: Path
    baked: Path

    @classmethod
    def under(cls, cache_dir: Path) -> BenchAssets:
        return cls(
            base=cache_dir / "sdxl-base",
            lora=cache_dir / f"eden-lora-r{LORA_RANK}.safetensors",
            embeddings=cache_dir / "embeddings-2x768-2x1280-bf16.safetensors",
            baked=cache_dir / "sdxl-baked",
        )

    def files(self, kind: str) -> list[Path]:
        """Every file a load of this kind reads."""
        if kind == "bare":
            return _files_under(self.base)
        if kind == "runtime":
            return _files_under(self.base) + [self.lora, self.embeddings]
        if kind == "baked":
            return _files_under(self.baked)
        raise ValueError(f"unknown load kind {kind!r}; one of {LOAD_KINDS}")


def _files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _gib(paths: Sequence[Path]) -> float:
    return sum(path.stat().st_size for path in paths) / GIB


def _base_is_complete(folder: Path) -> bool:
    return (folder / "model_index.json").is_file()  # written last, after every component


def write_random_base(folder: Path) -> None:
    """The full-size SDXL base with random fp16 weights as a diffusers folder (fp16 variant files),
    one component at a time so that at most the UNet (about 5 GB) is in memory."""
    import gc

    import torch

    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("tokenizer", "tokenizer_2"):
        padded_clip_tokenizer().save_pretrained(staging / name)
    sdxl_scheduler().save_pretrained(staging / "scheduler")
    for name in ("vae", "text_encoder", "text_encoder_2", "unet"):
        start = time.perf_counter()
        module = build_component(name, "cpu", torch.float16)
        module.save_pretrained(staging / name, variant="fp16")
        del module
        gc.collect()
        print(f"  {name}: built and saved in {time.perf_counter() - start:.0f} s", flush=True)
    (staging / "model_index.json").write_text(json.dumps(model_index(), indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def write_full_size_lora(base: Path, path: Path) -> None:
    """An r=32 Eden/kohya-format LoRA for the full-size UNet, written by tests/lora_files like the owner's trainer."""
    import gc

    import torch
    from diffusers import UNet2DConditionModel

    from lora_files import LoraSpec, write_lora

    unet = UNet2DConditionModel.from_pretrained(base / "unet", variant="fp16", dtype=torch.float16)
    staging = path.with_name(path.name + ".partial")
    write_lora(unet, staging, LoraSpec(rank=LORA_RANK, alpha=LORA_RANK))
    del unet
    gc.collect()
    staging.rename(path)


def write_ti_file(path: Path) -> None:
    from safetensors.torch import save_file

    staging = path.with_name(path.name + ".partial")
    save_file(random_ti_rows(), staging)
    staging.rename(path)


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_gib: float


def run_child(args: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run a command to its end; its own peak RSS comes from wait4, its output from temporary files."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(args), stdout=out, stderr=err, env=env, cwd=PROJECT_DIR)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(process.returncode, out.read(), err.read(), seconds, usage.ru_maxrss * 1024 / GIB)


def _checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed with exit status {run.returncode}:\n{run.stderr[-4000:]}")
    return run


def bake_assets(assets: BenchAssets) -> ChildRun:
    """scripts/bake_weights.py on the cached files, fp16 stored and fused in fp16 (fp32 would need about 14 GB)."""
    env = os.environ | {
        "TILE_MODEL_DIR": str(assets.base.parent),
        "TILE_BASE_MODEL": str(assets.base),
        "TILE_LORA": str(assets.lora),
        "TILE_EMBEDDINGS": str(assets.embeddings),
        "TILE_VAE": "",
    }
    command = [sys.executable, str(PROJECT_DIR / "scripts" / "bake_weights.py"), "--out", str(assets.baked)]
    command += ["--dtype", "fp16", "--fuse-dtype", "fp16"]
    return _checked(run_child(command, env), "scripts/bake_weights.py")


def ensure_assets(cache_dir: Path) -> tuple[BenchAssets, tuple[str, ...]]:
    """Build what is missing in the cache (new base, LoRA or TI files invalidate the bake); say how each was made.

    How each file was made is kept in build-notes.json beside them, so a later run that reuses them still says it.
    """
    from sdxl_pipeline import BAKE_RECORD_NAME

    assets = BenchAssets.under(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    notes_file = cache_dir / "build-notes.json"
    notes: dict[str, str] = json.loads(notes_file.read_text()) if notes_file.is_file() else {}
    today = datetime.date.today().isoformat()
    if not _base_is_complete(assets.base):
        print(f"cold start: writing the full-size random SDXL base to {assets.base} (once)", flush=True)
        start = time.perf_counter()
        shutil.rmtree(assets.baked, ignore_errors=True)
        write_random_base(assets.base)
        notes["base"] = f"base written {today} in {time.perf_counter() - start:.0f} s"
    if not assets.lora.is_file():
        print(f"cold start: writing the r={LORA_RANK} Eden LoRA to {assets.lora}", flush=True)
        shutil.rmtree(assets.baked, ignore_errors=True)
        write_full_size_lora(assets.base, assets.lora)
    if not assets.embeddings.is_file():
        shutil.rmtree(assets.baked, ignore_errors=True)
        write_ti_file(assets.embeddings)
    if not (assets.baked / BAKE_RECORD_NAME).is_file():
        print(f"cold start: baking {assets.baked} with scripts/bake_weights.py", flush=True)
        run = bake_assets(assets)
        notes["bake"] = (
            f"baked {today} by `scripts/bake_weights.py --dtype fp16 --fuse-dtype fp16` in {run.seconds:.0f} s, "
            f"peak RSS {run.peak_rss_gib:.1f} GiB ({run.stdout.strip()})"
        )
    notes_file.write_text(json.dumps(notes, indent=2) + "\n")
    return assets, tuple(notes.values())


# ---------------------------------------------------------------- one timed load (runs in a fresh process)


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
    """Where cold-start time can go: the steps of assemble_pipeline and the library calls inside them."""
    import peft
    import transformers
    from diffusers import StableDiffusionXLPipeline
    from diffusers.loaders.peft import PeftAdapterMixin

    import sdxl_pipeline

    for owner, name, label in (
        (sdxl_pipeline, "load_base_pipeline", "base `from_pretrained` (with file checks)"),
        (sdxl_pipeline, "load_baked_pipeline", "baked `from_pretrained` (with file checks, token check)"),
        (sdxl_pipeline, "check_diffusers_folder", "check weight files"),
        (sdxl_pipeline, "fuse_lora_file", "LoRA: `fuse_lora_file`"),
        (sdxl_pipeline, "load_file", "read safetensors file"),
        (StableDiffusionXLPipeline, "load_lora_weights", "`load_lora_weights`"),
        (StableDiffusionXLPipeline, "lora_state_dict", "kohya -> diffusers key conversion"),
        (StableDiffusionXLPipeline, "load_lora_into_unet", "`load_lora_into_unet`"),
        (peft, "inject_adapter_in_model", "PEFT: inject LoRA layers"),
        (peft, "set_peft_model_state_dict", "PEFT: load LoRA weights"),
        (sdxl_pipeline, "_adapted_modules", "count adapted layers"),
        (sdxl_pipeline, "_copy_adapted_weights_out_of_their_files", "copy the fused layers' weights out of the files"),
        (StableDiffusionXLPipeline, "fuse_lora", "`fuse_lora`"),
        (StableDiffusionXLPipeline, "unload_lora_weights", "`unload_lora_weights`"),
        (PeftAdapterMixin, "unload_lora", "UNet `unload_lora`"),
        (sdxl_pipeline, "load_textual_inversion", "textual inversion: `load_textual_inversion`"),
        (transformers.PreTrainedModel, "resize_token_embeddings", "`resize_token_embeddings`"),
        (transformers.PreTrainedModel, "_init_added_embeddings_weights_with_mean", "new rows from mean and covariance"),
        (sdxl_pipeline, "configure_sampler", "sampler, VAE slicing and tiling"),
        (StableDiffusionXLPipeline, "to", "`pipe.to(device)`"),
    ):
        if hasattr(owner, name):  # a step that a later version renamed or dropped lands in "other"
            recorder.patch(owner, name, label)


PAGE_BYTES = 4096


def read_every_weight(pipe: Any) -> None:
    """Touch every memory page of every weight once. from_pretrained maps the safetensors files lazily, so a
    fresh load has read almost nothing yet; the first image, or a move to the GPU, pays for that."""
    import torch

    for name in ("unet", "vae", "text_encoder", "text_encoder_2"):
        module = getattr(pipe, name)
        for tensor in [*module.parameters(), *module.buffers()]:
            flat = tensor.detach().reshape(-1)
            flat[:: max(1, PAGE_BYTES // flat.element_size())].to(torch.float32).sum()


def load_once(kind: str, assets: BenchAssets) -> dict[str, Any]:
    """One load of `kind`, in fp16 on the CPU, as it would start in a fresh process; imports done before timing."""
    import torch
    from diffusers import StableDiffusionXLPipeline

    from sdxl_pipeline import SdxlWeights, assemble_pipeline

    recorder = PhaseRecorder()
    install_phase_timers(recorder)
    cpu, dtype = torch.device("cpu"), torch.float16
    start, cpu_start = time.perf_counter(), time.process_time()
    if kind == "bare":
        pipe = StableDiffusionXLPipeline.from_pretrained(
            assets.base, dtype=dtype, variant="fp16", use_safetensors=True, local_files_only=True
        )
    elif kind == "runtime":
        pipe, _ = assemble_pipeline(SdxlWeights(base=assets.base, lora=assets.lora, embeddings=assets.embeddings), cpu, dtype)
    elif kind == "baked":
        weights = SdxlWeights(base=assets.base, lora=None, embeddings=None, baked=assets.baked)
        pipe, _ = assemble_pipeline(weights, cpu, dtype)
    else:
        raise ValueError(f"unknown load kind {kind!r}; one of {LOAD_KINDS}")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if pipe.unet.dtype != dtype:
        raise RuntimeError(f"{kind} load gave a {pipe.unet.dtype} UNet, expected {dtype}")
    phases = [[phase.label, phase.depth, phase.seconds] for phase in recorder.phases()]
    read_start = time.perf_counter()
    read_every_weight(pipe)
    read_seconds = time.perf_counter() - read_start
    return {"kind": kind, "load_s": seconds, "load_cpu_s": cpu_seconds, "read_s": read_seconds, "phases": phases}


# ---------------------------------------------------------------- cold-start section


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (root only), so that every warm-up read fills it the same way.

    Files just written sit in the cache differently from files read back: on this machine mapped loads of a
    freshly baked folder read 10-25% slower than the same load of the older base folder until the cache was dropped.
    """
    try:
        os.sync()
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def warm_page_cache(kind: str, paths: Sequence[Path]) -> WarmRead:
    """Read every file once so that all loads start from the same, warm, page cache."""
    buffer = bytearray(64 * 1024 * 1024)
    view = memoryview(buffer)
    start = time.perf_counter()
    total = 0
    for path in paths:
        with path.open("rb", buffering=0) as handle:
            while read := handle.readinto(view):
                total += read
    return WarmRead(kind, total / GIB, time.perf_counter() - start)


def timed_load_in_fresh_process(kind: str, cache_dir: Path) -> LoadRun:
    command = [sys.executable, str(Path(__file__).resolve()), "--load-once", kind, "--cache-dir", str(cache_dir)]
    load_average = os.getloadavg()[0]
    run = _checked(run_child(command), f"the {kind} load")
    lines = [line for line in run.stdout.splitlines() if line.startswith(LOAD_RESULT_PREFIX)]
    if len(lines) != 1:
        raise RuntimeError(f"the {kind} load printed {len(lines)} result lines; output:\n{run.stdout[-2000:]}")
    result = json.loads(lines[0].removeprefix(LOAD_RESULT_PREFIX))
    phases = tuple(Phase(label, depth, seconds) for label, depth, seconds in result["phases"])
    return LoadRun(
        kind, result["load_s"], result["load_cpu_s"], result["read_s"], run.seconds, run.peak_rss_gib, load_average, phases
    )


def measure_cold_start(
    cache_dir: Path, repeats: int
) -> tuple[list[LoadRun], list[WarmRead], BenchAssets, tuple[str, ...]]:
    assets, notes = ensure_assets(cache_dir)
    runs: list[LoadRun] = []
    reads: list[WarmRead] = []
    dropped: list[bool] = []
    for repeat in range(repeats):
        shift = repeat % len(LOAD_KINDS)  # rotate the order so that no kind always comes first
        for kind in LOAD_KINDS[shift:] + LOAD_KINDS[:shift]:
            dropped.append(drop_page_cache())
            reads.append(warm_page_cache(kind, assets.files(kind)))
            run = timed_load_in_fresh_process(kind, cache_dir)
            runs.append(run)
            print(
                f"cold start {repeat + 1}/{repeats} {kind:>7}: load {run.load_s:6.2f} s (CPU {run.load_cpu_s:6.2f} s), "
                f"then reading every weight {run.read_s:5.2f} s, "
                f"process {run.process_s:6.2f} s, load average {run.load_average:.1f}, peak RSS {run.peak_rss_gib:.1f} GiB "
                f"(warm-up read {reads[-1].gib:.1f} GiB in {reads[-1].seconds:.1f} s)",
                flush=True,
            )
    cache_note = (
        "the page cache was dropped before every warm-up read"
        if all(dropped)
        else "the page cache could not be dropped (needs root), so files keep the cache state they were left in"
    )
    return runs, reads, assets, (*notes, cache_note)


@dataclass(frozen=True)
class PhaseSummary:
    label: str
    depth: int
    calls: int
    median_s: float


def summarize_phases(runs: Sequence[LoadRun]) -> list[PhaseSummary]:
    """Per (label, depth): calls per load and the median over loads of the summed seconds, in first-call order."""
    order: list[tuple[str, int]] = []
    per_run: list[dict[tuple[str, int], tuple[int, float]]] = []
    for run in runs:
        totals: dict[tuple[str, int], tuple[int, float]] = {}
        for phase in run.phases:
            key = (phase.label, phase.depth)
            if key not in order:
                order.append(key)
            calls, seconds = totals.get(key, (0, 0.0))
            totals[key] = (calls + 1, seconds + phase.seconds)
        per_run.append(totals)
    return [
        PhaseSummary(
            label=label,
            depth=depth,
            calls=max(totals.get((label, depth), (0, 0.0))[0] for totals in per_run),
            median_s=statistics.median(totals.get((label, depth), (0, 0.0))[1] for totals in per_run),
        )
        for label, depth in order
    ]


def cold_start_markdown(
    stamp: Stamp, runs: Sequence[LoadRun], reads: Sequence[WarmRead], sizes_gib: dict[str, float], notes: Sequence[str]
) -> str:
    by_kind = {kind: [run for run in runs if run.kind == kind] for kind in LOAD_KINDS}

    def median_of(kind: str, field: str) -> float:
        return statistics.median(getattr(run, field) for run in by_kind[kind])

    def median_ready(kind: str) -> float:
        return statistics.median(run.load_s + run.read_s for run in by_kind[kind])

    target_rows, context_rows = [], []
    for kind, kind_runs in by_kind.items():
        ratio = median_of(kind, "load_s") / median_of("bare", "load_s")
        target = LOAD_TARGETS.get(kind)
        target_rows.append(
            [
                LOAD_LABELS[kind],
                f"{median_of(kind, 'load_s'):.2f}",
                _seconds_list([run.load_s for run in kind_runs]),
                f"{median_of(kind, 'load_cpu_s'):.2f}",
                f"{median_of(kind, 'load_average'):.1f}",
                f"{ratio:.2f}x",
                f"<= {target:.2f}x" if target else "-",
                ("met" if ratio <= target else "MISSED") if target else "-",
            ]
        )
        context_rows.append(
            [
                LOAD_LABELS[kind],
                f"{sizes_gib[kind]:.2f}",
                f"{median_of(kind, 'read_s'):.2f}",
                f"{median_ready(kind):.2f}",
                f"{median_ready(kind) / median_ready('bare'):.2f}x",
                f"{median_of(kind, 'process_s'):.2f}",
                f"{median_of(kind, 'process_s') / median_of('bare', 'process_s'):.2f}x",
                f"{max(run.peak_rss_gib for run in kind_runs):.1f}",
            ]
        )
    target_header = ["Load (fp16, CPU, fresh process)", "load s", "runs s", "load CPU s", "load avg", "vs bare"]
    target_header += ["target", "result"]
    context_header = ["Load", "files GiB", "then read every weight s", "load + read s", "vs bare", "process s"]
    context_header += ["vs bare", "peak RSS GiB"]
    text = [
        "## Cold start: full-size SDXL architecture, random fp16 weights, on the CPU\n",
        stamp.markdown(),
        markdown_table(target_header, target_rows),
        f"`load s`: wall time inside a fresh process from the load call to a ready pipeline (the imports, the same for "
        f"all three, come before it), median of {len(by_kind['bare'])} runs; the targets are judged on it. `load CPU s`: "
        f"CPU time of that call over all threads. `load avg`: the machine's 1-minute load average as each process "
        f"started; other people's jobs share these 2 cores, so wall times carry their noise and CPU times are the "
        f"steadier figure.\n",
        markdown_table(context_header, context_rows),
        f"`from_pretrained` maps the safetensors files lazily: a fresh bare or baked load has read almost none of the "
        f"weights, and the first image (or the move to the GPU) pays for that. `then read every weight s` touches every "
        f"page of every weight once after the load; `load + read s` is the sum, per run. The runtime path has already "
        f"written the 1.08 B weights it fused, so it reads less afterwards. `process s`: the whole process, interpreter "
        f"start, imports, load and read. Peak RSS is after the read (file pages included).\n",
        f"Every load ran {len(by_kind['bare'])} times, the order rotated, each after a warm-up read of its own files "
        f"({_warm_read_summary(reads)}). Files: {'; '.join(notes)}. The LoRA is r={LORA_RANK} Eden/kohya format "
        f"(tests/lora_files.py), fused at 0.7; the textual inversion has {TI_ROWS} bf16 rows per encoder; the tokenizers "
        f"have the real 49408-token vocabulary size.\n",
    ]
    for kind in ("runtime", "baked"):
        text.append(
            f"\nWhere the {kind} load's time goes (median per load; nested calls indented, included in their parent):\n\n"
        )
        text.append(phase_table(summarize_phases(by_kind[kind]), median_of(kind, "load_s"), untimed_seconds(by_kind[kind])))
    return "\n".join(text)


def _warm_read_summary(reads: Sequence[WarmRead]) -> str:
    rates = [read.gib / read.seconds for read in reads if read.seconds > 0]
    return f"{min(rates):.1f} to {max(rates):.1f} GiB/s" if rates else "no reads"


def untimed_seconds(runs: Sequence[LoadRun]) -> float:
    """Median over loads of the load time outside the timed top-level calls."""
    return statistics.median(run.load_s - sum(p.seconds for p in run.phases if p.depth == 0) for run in runs)


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


def run_cold_start(stamp: Stamp, cache_dir: Path, repeats: int) -> Section:
    runs, reads, assets, notes = measure_cold_start(cache_dir, repeats)
    sizes = {kind: _gib(assets.files(kind)) for kind in LOAD_KINDS}
    return Section("cold-start", cold_start_markdown(stamp, runs, reads, sizes, notes))


# ---------------------------------------------------------------- components section


@dataclass(frozen=True)
class SizeTiming:
    size: int
    wall_s: float  # median
    cpu_s: float  # median; what the call costs when other processes share the cores
    repeats: int
    note: str = ""


@dataclass(frozen=True)
class ComponentResult:
    name: str  # "preview renderer"
    function: str  # "preview_renderer.render_tile"
    timed_by: str  # which timing helper, on which input
    timings: tuple[SizeTiming, ...]
    missing: str  # why it was not timed; empty when it was


HELPER_SCRIPTS = ("bench_preview.py", "bench_analyzer.py", "bench_color_lock.py")
PREVIEW_SHARES = {"red": 50.0, "black": 30.0, "pearl": 20.0}


def optional_module(name: str) -> Any | None:
    """A project module or script that other work may not have added yet; None when absent."""
    return importlib.import_module(name) if importlib.util.find_spec(name) is not None else None


def time_calls(call: Callable[[], Any], repeats: int) -> SizeTiming:
    """Median wall and CPU seconds of `repeats` calls after one untimed warm-up call; size filled in by the caller."""
    call()
    walls, cpus = [], []
    for _ in range(repeats):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall_start)
        cpus.append(time.process_time() - cpu_start)
    return SizeTiming(0, statistics.median(walls), statistics.median(cpus), repeats)


def time_preview(sizes: Sequence[int], repeats: int) -> ComponentResult:
    name, function = "preview renderer", "preview_renderer.render_tile"
    renderer = optional_module("preview_renderer")
    if renderer is None:
        return ComponentResult(name, function, "", (), "preview_renderer.py is not present")
    helper = optional_module("bench_preview")
    if helper is None:
        timings = tuple(
            replace(
                time_calls(lambda: renderer.render_tile(PREVIEW_SHARES, size=size, seed=1), repeats), size=size
            )
            for size in sizes
        )
        return ComponentResult(name, function, "this script (scripts/bench_preview.py absent)", timings, "")
    timings = []
    for size in sizes:  # its own warm-up, a new seed per render, full_frame
        timing = helper.time_size(size, repeats, "full_frame")
        timings.append(SizeTiming(size, timing.render_wall_ms / 1000, timing.render_cpu_ms / 1000, timing.repeats))
    mix = ", ".join(f"{share:g}% {color}" for color, share in helper.BENCH_MIX.items())
    return ComponentResult(name, function, f"`scripts/bench_preview.py` `time_size`, {mix}, full frame", tuple(timings), "")


def time_analyzer(sizes: Sequence[int], repeats: int) -> ComponentResult:
    name, function = "analyzer", "color_analyzer.measure_shares"
    analyzer = optional_module("color_analyzer")
    if analyzer is None or not hasattr(analyzer, "measure_shares"):
        return ComponentResult(name, function, "", (), "color_analyzer.measure_shares is not present")
    helper = optional_module("bench_analyzer")
    if helper is None:
        return ComponentResult(name, function, "", (), "scripts/bench_analyzer.py (its test tile) is not present")
    timings = []
    for size in sizes:
        image = helper.synthetic_tile(size)
        analyzer.measure_shares(image, helper.BENCH_COLORS)  # warm-up: lookup tables, palette file
        walls_ms, cpus_ms = helper.time_calls(image, helper.BENCH_COLORS, repeats)
        timings.append(SizeTiming(size, statistics.median(walls_ms) / 1000, statistics.median(cpus_ms) / 1000, repeats))
    colors = ", ".join(helper.BENCH_COLORS)
    timed_by = f"`scripts/bench_analyzer.py` `time_calls` on its synthetic tile ({colors}, on a white border)"
    return ComponentResult(name, function, timed_by, tuple(timings), "")


def time_lock(sizes: Sequence[int], repeats: int) -> list[ComponentResult]:
    """The proportion lock on scripts/bench_color_lock.py's images: a preview tile drawn 85/15 red/white, and the
    owner's 60/40 output (it came out almost all red) where ../shared/data has it; both locked to 60/40."""
    name, function = "proportion lock", "color_lock.match_colors"
    lock = optional_module("color_lock")
    if lock is None or not hasattr(lock, "match_colors"):
        return [ComponentResult(name, function, "", (), "color_lock.match_colors is not present")]
    helper = optional_module("bench_color_lock")
    renderer = optional_module("preview_renderer")
    if helper is None or renderer is None:
        return [ComponentResult(name, function, "", (), "scripts/bench_color_lock.py or preview_renderer.py is not present")]
    import numpy as np
    from PIL import Image

    drawn = {"red": 85.0, "white": 15.0}
    sources: dict[str, Callable[[int], Any]] = {
        "preview tile drawn 85/15": lambda side: np.asarray(renderer.render_tile(drawn, size=side, seed=1))
    }
    real = helper.DEFAULT_DATA_DIR / helper.REAL_OUTPUT
    if real.is_file():
        original = Image.open(real).convert("RGB")
        sources["owner's 60/40 output, resized"] = lambda side: np.asarray(original.resize((side, side), Image.LANCZOS))
    results = []
    for label, make in sources.items():
        timings = []
        for size in sizes:
            wall_ms, cpu_ms, matched = helper.time_lock(make(size), repeats)
            timings.append(SizeTiming(size, wall_ms / 1000, cpu_ms / 1000, repeats, "" if matched else "not matched"))
        mix = "/".join(f"{share:g}" for share in helper.MIX.values())
        timed_by = f"`scripts/bench_color_lock.py` `time_lock`, {label}, locked to {mix} {'/'.join(helper.MIX)}"
        results.append(ComponentResult(f"{name} ({label})", function, timed_by, tuple(timings), ""))
    if not real.is_file():
        results.append(ComponentResult(f"{name} (owner's output)", function, "", (), f"{real} is not present"))
    return results


def measure_components(sizes: Sequence[int], repeats: int) -> list[ComponentResult]:
    scripts_dir = str(PROJECT_DIR / "scripts")
    if scripts_dir not in sys.path:
        sys.path.insert(0, scripts_dir)  # the other benchmark scripts, for their helpers
    results = [time_preview(sizes, repeats), time_analyzer(sizes, repeats), *time_lock(sizes, repeats)]
    for result in results:
        if result.missing:
            print(f"components: {result.name} not timed: {result.missing}", flush=True)
        for timing in result.timings:
            print(
                f"components: {result.name} {timing.size} px: {timing.wall_s:.3f} s wall, {timing.cpu_s:.3f} s CPU"
                f"{' (' + timing.note + ')' if timing.note else ''}",
                flush=True,
            )
    return results


def components_markdown(stamp: Stamp, results: Sequence[ComponentResult], sizes: Sequence[int], repeats: int) -> str:
    header = ["component", "function"] + [f"{size} px s (CPU s)" for size in sizes] + ["timed by, input"]
    rows = []
    for result in results:
        if result.missing:
            rows.append([result.name, f"`{result.function}`"] + ["-"] * len(sizes) + [f"not timed: {result.missing}"])
            continue
        cells = [
            f"{timing.wall_s:.3f} ({timing.cpu_s:.3f}){' ' + timing.note if timing.note else ''}" for timing in result.timings
        ]
        rows.append([result.name, f"`{result.function}`"] + cells + [result.timed_by])
    present = [name for name in HELPER_SCRIPTS if (PROJECT_DIR / "scripts" / name).is_file()]
    absent = [name for name in HELPER_SCRIPTS if name not in present]
    return "\n".join(
        [
            "## Components: preview renderer, analyzer, proportion lock\n",
            stamp.markdown(),
            markdown_table(header, rows),
            f"Median wall seconds of {repeats} calls per size after an untimed warm-up call, median CPU seconds of this "
            f"process in brackets (the figure to trust when the load average is above the core count). The timing "
            f"helpers and inputs are the other benchmark scripts' own. Helper scripts present: "
            f"{', '.join(present) or 'none'}; absent: {', '.join(absent) or 'none'}.\n",
        ]
    )


def run_components(stamp: Stamp, sizes: Sequence[int], repeats: int) -> Section:
    results = measure_components(sizes, repeats)
    return Section("components", components_markdown(stamp, results, sizes, repeats))


# ---------------------------------------------------------------- GPU section


@dataclass(frozen=True)
class GpuResult:
    label: str
    warmup_s: tuple[float, ...]
    timing: Timing
    peak_gib: float
    reserved_gib: float


def build_gpu_pipeline(device: Any, dtype: Any):
    """The full-size SDXL with random weights made on the GPU (no disk), sampler and TI tokens as in production."""
    from diffusers import StableDiffusionXLPipeline
    from safetensors.torch import save_file

    from sdxl_pipeline import configure_sampler, load_textual_inversion

    names = ("unet", "vae", "text_encoder", "text_encoder_2")
    components = {name: build_component(name, device, dtype, fp16_fix_vae=True) for name in names}
    pipe = StableDiffusionXLPipeline(
        **components, tokenizer=padded_clip_tokenizer(), tokenizer_2=padded_clip_tokenizer(), scheduler=sdxl_scheduler()
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "embeddings.safetensors"
        save_file(random_ti_rows(), path)
        tokens = load_textual_inversion(pipe, path)
    configure_sampler(pipe)
    pipe.set_progress_bar_config(disable=True)
    return pipe, tokens


def time_generation(pipe: Any, tokens: tuple[str, ...], label: str, steps: int, size: int, warmups: int, repeats: int) -> GpuResult:
    """Images through SdxlTileGenerator (a fresh one each time, so the prompt is encoded every time), no colour lock."""
    import torch

    from prompt_builder import DEFAULT_NEGATIVE_PROMPT
    from sdxl_pipeline import MODEL_NAME
    from tile_generator import SdxlTileGenerator
    from tile_request import DEFAULT_GUIDANCE, TileRequest

    def one_image(seed: int) -> float:
        request = TileRequest(
            prompt=BENCH_MIX,
            negative_prompt=DEFAULT_NEGATIVE_PROMPT,
            seed=seed,
            num_inference_steps=steps,
            guidance_scale=DEFAULT_GUIDANCE,
            width=size,
            height=size,
            match_colors=False,  # the colour lock is CPU work, timed with the components
        )
        torch.cuda.synchronize()
        start = time.perf_counter()
        SdxlTileGenerator(pipe, tokens, MODEL_NAME).generate(request)
        torch.cuda.synchronize()
        return time.perf_counter() - start

    warmup = tuple(one_image(seed) for seed in range(warmups))
    torch.cuda.reset_peak_memory_stats()
    seconds = tuple(one_image(100 + seed) for seed in range(repeats))
    result = GpuResult(
        label=label,
        warmup_s=warmup,
        timing=Timing(label, seconds),
        peak_gib=torch.cuda.max_memory_allocated() / GIB,
        reserved_gib=torch.cuda.max_memory_reserved() / GIB,
    )
    print(
        f"gpu {label}: {result.timing.median:.3f} s per image (runs {_seconds_list(seconds)}), peak allocated "
        f"{result.peak_gib:.2f} GiB, warm-up {_seconds_list(warmup)} s",
        flush=True,
    )
    return result


def gpu_markdown(
    stamp: Stamp, results: Sequence[GpuResult], steps: int, size: int, device_name: str, compile_error: str = ""
) -> str:
    rows = []
    for result in results:
        peak_gb = result.peak_gib * GIB / 1e9
        rows.append(
            [
                result.label,
                f"{result.timing.median:.3f}",
                _seconds_list(result.timing.seconds),
                _seconds_list(result.warmup_s),
                f"{peak_gb:.2f}",
                f"{result.reserved_gib * GIB / 1e9:.2f}",
                "met" if result.timing.median <= GPU_TARGET_SECONDS else "MISSED",
                "met" if peak_gb <= GPU_TARGET_PEAK_GB else "MISSED",
            ]
        )
    header = ["UNet", "s per image (median)", "runs s", "warm-up s", "peak allocated GB", "peak reserved GB"]
    header += [f"<= {GPU_TARGET_SECONDS} s", f"<= {GPU_TARGET_PEAK_GB:g} GB"]
    target_note = "" if "H100" in device_name else " The targets are for an H100; this GPU is not one."
    compile_note = (
        " `torch.compile`: `pipe.unet = torch.compile(pipe.unet)` as with TILE_TORCH_COMPILE=1; its first warm-up "
        "includes compiling."
        if any(result.label == COMPILED_LABEL for result in results)
        else ""
    )
    if compile_error:
        compile_note += f" `torch.compile` failed, so there is no compiled row: {compile_error}"
    return "\n".join(
        [
            f"## GPU: {steps} steps at {size}x{size}, full-size SDXL architecture in fp16\n",
            stamp.markdown(),
            markdown_table(header, rows),
            f"{device_name}. Random fp16 weights built on the GPU; DPM++ 2M Karras through `SdxlTileGenerator` "
            f"(prompt encoded each time, guidance on, VAE decode and PNG-ready image included), two TI tokens, fp16 VAE "
            f"without upcast as with the fp16-fix VAE. Peak memory is `torch.cuda.max_memory_allocated` over the timed "
            f"runs, weights included.{compile_note}{target_note}\n",
        ]
    )


def no_gpu_markdown(stamp: Stamp) -> str:
    return "\n".join(
        [
            "## GPU: 20 steps at 1024x1024, full-size SDXL architecture in fp16\n",
            stamp.markdown(),
            "no GPU: `torch.cuda.is_available()` is False on this machine, so nothing was measured. "
            f"On a CUDA machine, `python scripts/benchmark.py --gpu` measures seconds per image and peak GPU memory, "
            f"plain and with `torch.compile(pipe.unet)`; targets on an H100: <= {GPU_TARGET_SECONDS} s per image, "
            f"peak <= {GPU_TARGET_PEAK_GB:g} GB.\n",
        ]
    )


def run_gpu(stamp: Stamp, steps: int, size: int, repeats: int, compile_unet: bool) -> Section:
    import torch

    if not torch.cuda.is_available():
        print("gpu: no GPU (torch.cuda.is_available() is False); nothing measured", flush=True)
        return Section("gpu", no_gpu_markdown(stamp))
    device = torch.device("cuda")
    pipe, tokens = build_gpu_pipeline(device, torch.float16)
    results = [time_generation(pipe, tokens, "plain", steps, size, warmups=1, repeats=repeats)]
    compile_error = ""
    if compile_unet:
        pipe.unet = torch.compile(pipe.unet)
        try:
            results.append(time_generation(pipe, tokens, COMPILED_LABEL, steps, size, warmups=2, repeats=repeats))
        except Exception as error:  # reported in BENCHMARKS.md and on stderr; the plain numbers still count
            traceback.print_exc()
            compile_error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    device_name = torch.cuda.get_device_name(device)
    return Section("gpu", gpu_markdown(stamp, results, steps, size, device_name, compile_error))


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold-start", action="store_true", help="bare from_pretrained vs runtime fuse vs baked (CPU)")
    parser.add_argument("--components", action="store_true", help="preview renderer, analyzer, proportion lock")
    parser.add_argument("--gpu", action="store_true", help="20-step 1024 px images on CUDA, plain and compiled")
    parser.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help=f"random SDXL files (default {DEFAULT_CACHE_DIR})"
    )
    parser.add_argument("--repeats", type=int, default=3, help="cold-start loads of each kind (default 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048], help="component sizes in px")
    parser.add_argument("--component-repeats", type=int, default=3, help="timed calls per component and size (default 3)")
    parser.add_argument("--gpu-repeats", type=int, default=5, help="timed images per GPU variant (default 5)")
    parser.add_argument("--gpu-steps", type=int, default=20)
    parser.add_argument("--gpu-size", type=int, default=1024)
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile GPU variant")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the markdown file (default BENCHMARKS.md)")
    parser.add_argument("--load-once", choices=LOAD_KINDS, help=argparse.SUPPRESS)  # one timed load; used by --cold-start
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.load_once:
        result = load_once(args.load_once, BenchAssets.under(args.cache_dir))
        print(LOAD_RESULT_PREFIX + json.dumps(result), flush=True)
        return 0
    chosen = [key for key in SECTION_KEYS if getattr(args, key.replace("-", "_"))] or list(SECTION_KEYS)
    shown_args = list(sys.argv[1:] if argv is None else argv)
    stamp = Stamp(
        command=shlex.join(["python", "scripts/benchmark.py", *shown_args]),
        machine=describe_machine(),
        date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    )
    print(f"machine: {stamp.machine}", flush=True)
    sections = []
    for key in chosen:
        if key == "cold-start":
            sections.append(run_cold_start(stamp, args.cache_dir, args.repeats))
        elif key == "components":
            sections.append(run_components(stamp, args.sizes, args.component_repeats))
        else:
            sections.append(run_gpu(stamp, args.gpu_steps, args.gpu_size, args.gpu_repeats, not args.no_compile))
        print("\n" + sections[-1].body, flush=True)
    existing = args.out.read_text() if args.out.is_file() else ""
    args.out.write_text(merge_report(existing, sections))
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

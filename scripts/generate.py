"""Make one tile image from a colour mix, through the same Predictor that Cog serves.

    python scripts/generate.py "50% red, 30% black, 20% pearl" --seed 42 --out outputs/tile.png

Uses SDXL when its weights are in model_files/ (see README), otherwise the preview renderer.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from tqdm import tqdm

from rubber_tile.backend import BackendError
from rubber_tile.errors import InputError
from rubber_tile.request import OUTPUT_FORMATS, RequestInput, request_inputs
from rubber_tile.sdxl.weight_files import WeightsError

DEFAULT_OUT = Path("outputs") / "tile.png"
# Shorter names the command has always taken, beside the inputs' own (--num-inference-steps ...).
SHORT_OPTIONS = {"num_inference_steps": "--steps", "guidance_scale": "--guidance", "output_format": "--format"}


def add_input_option(parser: argparse.ArgumentParser, item: RequestInput) -> None:
    """One option per prediction input, from TileRequest's table: type, default, bounds and choices."""
    names = [f"--{item.name.replace('_', '-')}", *([SHORT_OPTIONS[item.name]] if item.name in SHORT_OPTIONS else [])]
    spec = item.spec
    help_text = spec.description.replace("%", "%%")
    if item.kind is bool:
        parser.add_argument(*names, action=argparse.BooleanOptionalAction, default=item.default, help=help_text)
        return
    if item.name == "output_format":  # taken from --out's suffix unless given
        parser.add_argument(*names, choices=OUTPUT_FORMATS, default=None, help="default: from --out's suffix, which must agree")
        return
    default = None if item.name == "seed" else item.default  # make_request draws a random seed
    if spec.minimum is not None and item.name != "seed":  # the seed's description gives its range
        help_text += f" ({spec.minimum}..{spec.maximum})"
    parser.add_argument(*names, type=item.kind, choices=spec.choices, default=default, help=help_text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prompt", help="colour mix, e.g. '50%% red, 30%% black, 20%% pearl'")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default {DEFAULT_OUT})")
    for item in request_inputs():
        if item.name != "prompt":
            add_input_option(parser, item)
    return parser.parse_args(argv)


class StepBar:
    """The SDXL steps as a tqdm bar on a terminal; elsewhere (logs, CI) one line when they are done."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if total <= 1:
            return  # the preview draws in one step
        if self.bar is None:
            self.bar = tqdm(total=total, unit="step", desc="sampling", disable=not sys.stderr.isatty(), leave=False)
        self.bar.update(done - self.bar.n)
        if done == total:
            self.bar.close()
            print(f"{total} steps in {time.perf_counter() - self.started:.1f} s", file=sys.stderr)


def output_format_for(out: Path, requested: str | None) -> str:
    """The file format for --out, checked before any generation: a bad path must not cost a render."""
    suffix = out.suffix.lower().lstrip(".").replace("jpeg", "jpg")
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder: give a file name, e.g. {out / 'tile.png'}")
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"--out {out}: the name must end in {', '.join('.' + f for f in OUTPUT_FORMATS)}")
    if requested is not None and requested != suffix:
        raise ValueError(f"--out {out} ends in .{suffix} but --format is {requested}: make them agree")
    existing = next((parent for parent in out.parents if parent.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is a file, not a folder")
    return suffix


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        output_format = output_format_for(args.out, args.output_format)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    from predict import Predictor

    predictor = Predictor()
    try:
        predictor.setup()
        predictor.on_step = StepBar()
        inputs = {item.name: getattr(args, item.name) for item in request_inputs()}
        output = predictor.run(**(inputs | {"output_format": output_format}))
    except (InputError, WeightsError, BackendError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(output), args.out)
        if not any(Path(output).parent.iterdir()):
            Path(output).parent.rmdir()  # the predictor's folder for this prediction, now empty
    except OSError as error:
        print(f"error: cannot write {args.out} ({error}); the image is in {output}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write a ready pipeline folder: LoRA fused, textual-inversion tokens added, sampler set, fp16-fix VAE in.

    python scripts/bake_weights.py            # model_files/* -> model_files/sdxl-baked (fp16)

`setup()` prefers this folder when it exists, so a cold start is a single `from_pretrained`. Then the
files it was made from move to model_files/unbaked/ (--keep-sources leaves them), which .dockerignore
leaves out: the image carries the baked folder alone (check with `make deploy-check`).
The LoRA is fused in fp32 (about 14 GB of RAM for SDXL; `--fuse-dtype fp16` needs about half) and the
result stored in the chosen dtype.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from rubber_tile.sdxl.bake import bake, move_sources_aside
from rubber_tile.sdxl.paths import baked_folder, model_folder, weights_from_env
from rubber_tile.sdxl.weight_files import WeightsError

DTYPES = ("fp16", "fp32")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: where setup() looks (TILE_BAKED, or sdxl-baked in the model folder)",
    )
    parser.add_argument("--dtype", choices=DTYPES, default="fp16", help="stored precision (default fp16, for GPUs)")
    parser.add_argument(
        "--fuse-dtype",
        choices=DTYPES,
        default="fp32",
        help="precision the LoRA is fused in (default fp32; fp16 halves the RAM)",
    )
    parser.add_argument("--keep-sources", action="store_true", help="leave the unbaked files in model_files/")
    args = parser.parse_args(argv)
    args.out = args.out or baked_folder()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    import torch

    dtypes = {"fp16": torch.float16, "fp32": torch.float32}
    start = time.perf_counter()
    # The bake reads the unbaked files whatever TILE_BAKED says (it is where the result goes).
    weights = weights_from_env({name: value for name, value in os.environ.items() if name != "TILE_BAKED"})
    try:
        record = bake(weights, args.out, dtypes[args.dtype], dtypes[args.fuse_dtype])
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(
        f"baked {args.out} ({size / 1e9:.2f} GB, {args.dtype}): {record.lora_modules} LoRA modules fused at "
        f"{record.lora_scale}, tokens {''.join(record.tokens)}, in {time.perf_counter() - start:.1f} s"
    )
    if args.keep_sources:
        return 0
    if args.out.parent.resolve() != model_folder().resolve():
        print(f"the unbaked files stay where they are: {args.out} is not in the model folder {model_folder()}")
        return 0
    for source, target in move_sources_aside(weights, model_folder()):
        print(f"moved {source} -> {target} (not in the image; setup() reads only {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

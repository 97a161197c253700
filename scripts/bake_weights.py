"""Write a ready pipeline folder: LoRA fused, textual-inversion tokens added, sampler set, fp16-fix VAE in.

    python scripts/bake_weights.py            # model_files/* -> model_files/sdxl-baked (fp16)

`setup()` prefers this folder when it exists, so a cold start is a single `from_pretrained`.
The LoRA is fused in fp32 (about 14 GB of RAM for SDXL; `--fuse-dtype fp16` needs about half) and the
result stored in the chosen dtype.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from sdxl_pipeline import (  # noqa: E402
    BAKE_RECORD_NAME,
    BAKED_DIR_NAME,
    DEFAULT_MODEL_DIR,
    BakeRecord,
    SdxlWeights,
    assemble_pipeline,
    weights_from_env,
)
from weight_files import WeightsError  # noqa: E402

DTYPES = {"fp16": torch.float16, "fp32": torch.float32}


def bake(
    weights: SdxlWeights, out_dir: Path, dtype: torch.dtype, fuse_dtype: torch.dtype = torch.float32
) -> BakeRecord:
    """Assemble from the separate files (never from an older bake) and save the result to `out_dir`.

    The base is loaded and the LoRA fused in `fuse_dtype`, then the pipeline is stored in `dtype`.
    """
    weights = dataclasses.replace(weights, baked=None)
    pipe, report = assemble_pipeline(weights, torch.device("cpu"), fuse_dtype)
    pipe.to(dtype=dtype)
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    variant = "fp16" if dtype == torch.float16 else None
    pipe.save_pretrained(staging, safe_serialization=True, variant=variant)
    record = BakeRecord(
        base=str(weights.base),
        lora=str(weights.lora),
        lora_scale=weights.lora_scale,
        lora_modules=report.lora_modules,
        tokens=report.tokens,
        vae=str(weights.vae) if weights.vae else "base model's VAE",
    )
    record.write(staging / BAKE_RECORD_NAME)
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)  # setup() never sees a half-written folder
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR / BAKED_DIR_NAME)
    parser.add_argument("--dtype", choices=DTYPES, default="fp16", help="stored precision (default fp16, for GPUs)")
    parser.add_argument(
        "--fuse-dtype", choices=DTYPES, default="fp32", help="precision the LoRA is fused in (default fp32; fp16 halves the RAM)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    try:
        record = bake(weights_from_env(), args.out, DTYPES[args.dtype], DTYPES[args.fuse_dtype])
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(
        f"baked {args.out} ({size / 1e9:.2f} GB, {args.dtype}): {record.lora_modules} LoRA modules fused at "
        f"{record.lora_scale}, tokens {''.join(record.tokens)}, in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

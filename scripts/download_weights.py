"""Fetch the SDXL base (fp16 safetensors only) and the fp16-fix VAE into model_files/.

    python scripts/download_weights.py                 # base + VAE, resumable
    python scripts/download_weights.py --configs-only  # configs and tokenizers, for a single-file base
    python scripts/download_weights.py --plan          # what it would fetch, and where; no network

This is the only code in the project that reaches the network. `cog build` then bakes
model_files/ into the image, so `setup()` never downloads anything. The trained LoRA and
textual inversion are not public: copy them into model_files/ yourself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rubber_tile.sdxl.downloads import SDXL_REPO, Download, download_plan
from rubber_tile.sdxl.paths import DEFAULT_MODEL_DIR
from rubber_tile.sdxl.weight_files import WeightsError, check_diffusers_folder, check_model_folder


def fetch(download: Download) -> None:
    """Download (resuming partial files) and print what is on disk."""
    from huggingface_hub import snapshot_download

    snapshot_download(
        repo_id=download.repo_id, local_dir=download.local_dir, allow_patterns=list(download.allow_patterns)
    )
    files = sorted(p for p in download.local_dir.rglob("*") if p.is_file() and ".cache" not in p.parts)
    for path in files:
        print(f"  {path.stat().st_size / 1e6:10.1f} MB  {path.relative_to(download.local_dir)}")
    print(f"  {sum(p.stat().st_size for p in files) / 1e9:.2f} GB in {download.local_dir}")


def verify(download: Download, configs_only: bool) -> None:
    """Every downloaded weight file must be a complete safetensors file."""
    fix = "Run this script again; it resumes where it stopped."
    if configs_only:
        return
    if download.repo_id == SDXL_REPO:
        check_diffusers_folder(download.local_dir, download.what, fix, variant="fp16")
    else:
        check_model_folder(download.local_dir, download.what, fix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--configs-only", action="store_true", help="only configs and tokenizers (a few MB)")
    parser.add_argument("--plan", action="store_true", help="print what would be fetched and exit")
    args = parser.parse_args(argv)
    plan = download_plan(args.model_dir, args.configs_only)
    for download in plan:
        print(f"{download.what}: {download.repo_id} -> {download.local_dir}")
        for pattern in download.allow_patterns:
            print(f"  {pattern}")
    if args.plan:
        return 0
    try:
        for download in plan:
            fetch(download)
            verify(download, args.configs_only)
    except WeightsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("verified: all weight files are complete safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())

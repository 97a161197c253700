"""The two-encoder textual inversion: tokens <s0>..<sN-1>, one per file row, in both tokenizers and encoders."""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import StableDiffusionXLPipeline
from safetensors.torch import load_file

from .weight_files import OWNER_FILE_HINT, WeightsError, check_safetensors_file

# Row i of each matrix is the vector of token <s{i}>; other trainers name the rows text_encoders_0/1.
EMBEDDING_KEYS = {
    "text_encoder": ("clip_l", "text_encoders_0"),
    "text_encoder_2": ("clip_g", "text_encoders_1"),
}


def load_textual_inversion(pipe: StableDiffusionXLPipeline, path: Path) -> tuple[str, ...]:
    """Register the tokens <s0>..<sN-1> in both tokenizers and text encoders, one per file row."""
    check_safetensors_file(path, "the textual inversion", OWNER_FILE_HINT.format(env="TILE_EMBEDDINGS"))
    state_dict = load_file(path)
    rows_by_encoder: dict[str, torch.Tensor] = {}
    for encoder_name, keys in EMBEDDING_KEYS.items():
        key = next((k for k in keys if k in state_dict), None)
        if key is None:
            raise WeightsError(
                f"the textual inversion {path} has no {' or '.join(keys)} matrix (keys: {sorted(state_dict)}); "
                "it must hold one matrix for each SDXL text encoder"
            )
        rows = state_dict[key]
        width = getattr(pipe, encoder_name).get_input_embeddings().weight.shape[1]
        if rows.ndim != 2 or rows.shape[1] != width:
            raise WeightsError(
                f"the textual inversion {path}: {key} has shape {tuple(rows.shape)}, but {encoder_name} takes "
                f"vectors of width {width}. It was made for another base model"
            )
        rows_by_encoder[encoder_name] = rows
    counts = {name: rows.shape[0] for name, rows in rows_by_encoder.items()}
    if len(set(counts.values())) != 1:
        raise WeightsError(f"the textual inversion {path} has different token counts per encoder: {counts}")
    tokens = tuple(f"<s{i}>" for i in range(next(iter(counts.values()))))
    for encoder_name, rows in rows_by_encoder.items():
        tokenizer_name = encoder_name.replace("text_encoder", "tokenizer")
        # Grow the embeddings without transformers' default mean/covariance start for the new rows (about 3 s on
        # a CPU for the two 49408-row matrices); the file's rows replace them, and diffusers' resize is then a no-op.
        getattr(pipe, encoder_name).resize_token_embeddings(
            len(getattr(pipe, tokenizer_name)) + len(tokens), mean_resizing=False
        )
        pipe.load_textual_inversion(
            rows,
            token=list(tokens),
            text_encoder=getattr(pipe, encoder_name),
            tokenizer=getattr(pipe, tokenizer_name),
        )
    return tokens

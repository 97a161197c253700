"""Tiny SDXL pipelines built from the real diffusers/transformers classes with random weights.

The architecture is the real one (two CLIP text encoders, a text-time conditioned UNet, an
AutoencoderKL), only narrow and shallow, so the loading code is exercised exactly as with the
full-size model. The tokenizers are real CLIP BPE tokenizers over a small vocabulary built from the words of
our prompts (most become one or a few tokens, so prompts fit in CLIP's 77 like the real ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from rubber_tile.colors.vocabulary import TILE_COLORS
from rubber_tile.prompt import DEFAULT_NEGATIVE_PROMPT, PROMPT_SUFFIX, TRIGGER_WORD

_EXTRA_WORDS = "a of the and with tile photo top view granules crumb epdm"


@dataclass(frozen=True)
class TinySdxlSpec:
    text_widths: tuple[int, int] = (32, 32)  # the real model: (768, 1280)
    text_layers: int = 2
    vocab_words: str = ""


def _bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible byte -> printable character table."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {byte: chr(code) for byte, code in zip(printable, codes, strict=True)}


def _prompt_words(extra: str) -> list[str]:
    text = " ".join(
        [TRIGGER_WORD, PROMPT_SUFFIX, DEFAULT_NEGATIVE_PROMPT, _EXTRA_WORDS, extra]
        + [f"{color.name} {color.code}" for color in TILE_COLORS]
    )
    return sorted({word for word in re.findall(r"[a-z]+", text.lower()) if len(word) > 1})


def build_clip_tokenizer(extra_words: str = "") -> CLIPTokenizer:
    """A real CLIP BPE tokenizer with merges that shorten the words of our prompts."""
    byte_chars = list(_bytes_to_unicode().values())
    vocab_list = byte_chars + [char + "</w>" for char in byte_chars]
    merges: list[tuple[str, str]] = []
    for word in _prompt_words(extra_words):
        symbols = list(word[:-1]) + [word[-1] + "</w>"]
        merged = symbols[0]
        for symbol in symbols[1:]:
            merges.append((merged, symbol))
            merged += symbol
            vocab_list.append(merged)
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab: dict[str, int] = {}
    for token in vocab_list:
        vocab.setdefault(token, len(vocab))
    merges = list(dict.fromkeys(merges))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def _text_config(width: int, layers: int, vocab_size: int) -> CLIPTextConfig:
    return CLIPTextConfig(
        bos_token_id=vocab_size - 2,
        eos_token_id=vocab_size - 1,
        pad_token_id=vocab_size - 1,
        hidden_size=width,
        intermediate_size=2 * width,
        num_attention_heads=4,
        num_hidden_layers=layers,
        vocab_size=vocab_size,
        projection_dim=32,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )


def build_tiny_sdxl_pipeline(spec: TinySdxlSpec = TinySdxlSpec(), seed: int = 0) -> StableDiffusionXLPipeline:
    torch.manual_seed(seed)
    tokenizer = build_clip_tokenizer(spec.vocab_words)
    tokenizer_2 = build_clip_tokenizer(spec.vocab_words)
    vocab_size = len(tokenizer)
    width_1, width_2 = spec.text_widths
    text_encoder = CLIPTextModel(_text_config(width_1, spec.text_layers, vocab_size))
    text_encoder_2 = CLIPTextModelWithProjection(_text_config(width_2, spec.text_layers, vocab_size))
    time_embed_dim = 8
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_embed_dim,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * time_embed_dim + text_encoder_2.config.projection_dim,
        cross_attention_dim=width_1 + width_2,
        norm_num_groups=1,
    )
    # Four blocks, so the VAE scales by 8 like SDXL's and a 64 px image is an 8x8 latent.
    vae = AutoencoderKL(
        block_out_channels=[16, 16, 32, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        layers_per_block=1,
        sample_size=128,
        norm_num_groups=16,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        timestep_spacing="leading",
        steps_offset=1,
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=scheduler,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe

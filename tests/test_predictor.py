"""The Predictor and the generator behind it, on the tiny SDXL with real LoRA and TI files."""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from predict import Predictor
from rubber_tile.errors import InputError, PromptTooLongError
from rubber_tile.generator import load_generator
from rubber_tile.mix import MixError
from rubber_tile.output import read_tile_metadata, save_tile
from rubber_tile.prompt import DEFAULT_NEGATIVE_PROMPT, build_prompt
from rubber_tile.request import TileRequest, make_request
from rubber_tile.sdxl.backend import GpuMemoryError, SdxlBackend
from rubber_tile.sdxl.pipeline import MODEL_NAME
from rubber_tile.sdxl.weight_files import WeightsError
from tests.support.requests import tiny_request

MIX = "50% red, 30% black, 20% pearl"


def cog_defaults() -> dict[str, object]:
    """The defaults Cog fills in from the Input table, read the way Cog reads them."""
    parameters = inspect.signature(Predictor.run).parameters
    return {name: p.default.default for name, p in parameters.items() if name != "self"}


class RecordingPipe:
    """Stands in for the pipeline's __call__ only: records what the generator asks for."""

    def __init__(self, pipe) -> None:
        self._pipe = pipe
        self.calls: list[dict] = []
        self.encoded: list[dict] = []

    def __getattr__(self, name):
        return getattr(self._pipe, name)

    def encode_prompt(self, **kwargs):
        self.encoded.append(kwargs)
        return self._pipe.encode_prompt(**kwargs)

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(images=[Image.new("RGB", (kwargs["width"], kwargs["height"]))])


@pytest.fixture()
def sdxl_predictor(monkeypatch, tiny_weights_env) -> Predictor:
    for name, value in tiny_weights_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TILE_BACKEND", "sdxl")
    predictor = Predictor()
    predictor.setup()
    return predictor


@pytest.fixture(scope="module")
def tiny_generator(assembled_pipe) -> SdxlBackend:
    pipe, report = assembled_pipe
    return SdxlBackend(pipe, report.tokens, MODEL_NAME)


def small_request(seed: int = 42, **overrides) -> TileRequest:
    """Requests below the public 512 px minimum, which only the tiny model can afford."""
    fields: dict[str, object] = dict(
        seed=seed, num_inference_steps=3,
        color_lock=False,  # these tests look at the model's own pixels; the lock has tests of its own
    )
    fields.update(overrides)
    return tiny_request(str(fields.pop("prompt", MIX)), **fields)


def test_cog_defaults_reach_the_pipeline_as_the_original_used_them(sdxl_predictor):
    recorder = RecordingPipe(sdxl_predictor.generator.chosen.pipe)
    sdxl_predictor.generator.chosen.pipe = recorder
    inputs = cog_defaults() | {"prompt": MIX, "seed": 7}
    output = sdxl_predictor.run(**inputs)

    (call,) = recorder.calls
    assert (call["width"], call["height"]) == (1024, 1024)
    assert call["num_inference_steps"] == 20 and call["guidance_scale"] == 7.0
    (encoded,) = recorder.encoded
    assert encoded["prompt"] == build_prompt(MIX) and encoded["do_classifier_free_guidance"] is True
    assert encoded["negative_prompt"] == DEFAULT_NEGATIVE_PROMPT
    assert call["prompt_embeds"].shape[:2] == (1, 77)
    assert call["generator"].device.type == "cpu" and call["generator"].initial_seed() == 7
    assert Path(output).suffix == ".png"
    with Image.open(output) as image:
        assert image.size == (1024, 1024)


def test_predict_end_to_end_on_the_tiny_model_at_the_smallest_public_size(sdxl_predictor):
    inputs = cog_defaults() | {"prompt": MIX, "seed": 5, "width": 512, "height": 576, "num_inference_steps": 2}
    output = Path(sdxl_predictor.run(**inputs))
    with Image.open(output) as image:
        assert image.format == "PNG" and image.size == (512, 576)
    metadata = read_tile_metadata(output)
    assert metadata["prompt"] == build_prompt(MIX) and metadata["seed"] == "5"
    assert metadata["steps"] == "2" and metadata["guidance_scale"] == "7" and metadata["model"] == MODEL_NAME


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tiny_generator, tmp_path):
    paths = [
        save_tile(tiny_generator.top_view(small_request(seed)), tmp_path / f"{i}.png", "png")
        for i, seed in enumerate((11, 11, 12))
    ]
    first, again, other = (path.read_bytes() for path in paths)
    assert first == again
    assert first != other


def test_progress_is_reported_for_every_step(tiny_generator):
    steps: list[tuple[int, int]] = []
    tiny_generator.top_view(small_request(num_inference_steps=4), on_step=lambda done, total: steps.append((done, total)))
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize("output_format, pil_format", [("png", "PNG"), ("jpg", "JPEG"), ("webp", "WEBP")])
def test_output_formats_carry_the_metadata(tiny_generator, tmp_path, output_format, pil_format):
    tile = tiny_generator.top_view(small_request(width=64, height=128))
    path = save_tile(tile, tmp_path / f"tile.{output_format}", output_format)
    with Image.open(path) as image:
        assert image.format == pil_format and image.size == (64, 128)
    metadata = read_tile_metadata(path)
    for key in ("prompt", "seed", "steps", "guidance_scale", "model", "negative_prompt"):
        assert metadata[key] == tile.metadata[key]


def test_a_prompt_clip_would_cut_is_refused_before_sampling(tiny_generator):
    long_prompt = "ohwx_rubber_tile <s0><s1>, " + ", ".join(["high quality detailed texture"] * 30)
    with pytest.raises(PromptTooLongError):
        tiny_generator.top_view(small_request(prompt=long_prompt))


def test_random_seed_is_chosen_and_recorded_when_absent_or_minus_one():
    seeds = {make_request(MIX, seed=None).seed for _ in range(5)} | {make_request(MIX, seed=-1).seed for _ in range(5)}
    assert len(seeds) > 1 and all(0 <= seed < 2**32 for seed in seeds)
    assert make_request(MIX, seed=123).seed == 123


def test_empty_negative_prompt_means_the_default_list():
    assert make_request(MIX, negative_prompt="").negative_prompt == DEFAULT_NEGATIVE_PROMPT
    assert make_request(MIX, negative_prompt="  text  ").negative_prompt == "text"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"prompt": None}, r"prompt is missing"),
        ({"prompt": "   "}, r"prompt is empty"),
        ({"prompt": 42}, r"prompt must be text"),
        ({"seed": "abc"}, r"seed must be a whole number"),
        ({"seed": 2**32}, r"seed must be from -1 to 4294967295"),
        ({"seed": -5}, r"seed must be from -1"),
        ({"num_inference_steps": 0}, r"num_inference_steps must be from 1 to 100"),
        ({"num_inference_steps": 2.5}, r"num_inference_steps must be a whole number"),
        ({"guidance_scale": float("nan")}, r"guidance_scale must be from 0 to 20"),
        ({"guidance_scale": "7"}, r"guidance_scale must be a number"),
        ({"width": 1001}, r"width must be a multiple of 8, got 1001: use 1000 or 1008"),
        ({"height": 256}, r"height must be from 512 to 2048"),
        ({"width": True}, r"width must be a whole number"),
        ({"output_format": "gif"}, r"output_format must be one of png, webp, jpg"),
        ({"preview": "yes"}, r"preview must be true or false"),
        ({"negative_prompt": "a\x07b"}, r"negative_prompt contains a control character"),
        ({"steps": 20}, r"unknown input 'steps'; the inputs are: prompt, negative_prompt, seed, num_inference_steps"),
    ],
)
def test_every_bad_input_gets_a_message_naming_it(overrides, message):
    inputs = {"prompt": MIX} | overrides
    with pytest.raises(InputError, match=message):
        make_request(**inputs)


def test_only_mix_problems_are_mix_errors():
    with pytest.raises(MixError):
        make_request("50% red, 40% black")
    with pytest.raises(InputError) as caught:
        make_request(MIX, width=1001)
    assert not isinstance(caught.value, MixError)


def test_bad_mix_fails_the_prediction_with_the_parser_message(sdxl_predictor):
    with pytest.raises(ValueError, match=r"did you mean 'pearl'"):
        sdxl_predictor.run(**(cog_defaults() | {"prompt": "50% red, 50% perl"}))


def test_sdxl_backend_without_weights_fails_setup_naming_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("TILE_BACKEND", "sdxl")
    monkeypatch.setenv("TILE_MODEL_DIR", str(tmp_path))
    with pytest.raises(WeightsError, match=rf"not found at {tmp_path}.*download_weights.py"):
        load_generator()


class PassThroughPipe(RecordingPipe):
    """Records the calls and runs the real pipeline."""

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return self._pipe(**kwargs)


class OutOfMemoryOnce(RecordingPipe):
    """Raises CUDA's out-of-memory error on the first call, then runs the real pipeline."""

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if len(self.calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self._pipe(**kwargs)


def test_out_of_memory_fails_that_prediction_clearly_and_the_next_one_runs(tiny_generator):
    real_pipe = tiny_generator.pipe
    tiny_generator.pipe = OutOfMemoryOnce(real_pipe)
    try:
        with pytest.raises(GpuMemoryError, match=r"ran out of memory generating 64x64; memory was freed"):
            tiny_generator.top_view(small_request())
        tile = tiny_generator.top_view(small_request())
    finally:
        tiny_generator.pipe = real_pipe
    assert tile.image.size == (64, 64)



def test_a_failed_fp16_decode_puts_the_vae_back_in_fp16_and_the_next_prediction_runs():
    from rubber_tile.sdxl.pipeline import configure_sampler
    from rubber_tile_dev.synthetic.tiny_sdxl import build_tiny_sdxl_pipeline

    pipe = build_tiny_sdxl_pipeline().to(dtype=torch.float16)
    configure_sampler(pipe)
    assert pipe.vae.config.force_upcast  # like the stock SDXL VAE: diffusers decodes it in fp32
    generator = SdxlBackend(pipe, ("<s0>", "<s1>"), "tiny")
    real_forward = pipe.vae.decoder.forward
    decode_dtypes = []

    def out_of_memory_on_the_first_decode(*args, **kwargs):
        decode_dtypes.append(pipe.vae.dtype)
        if len(decode_dtypes) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory (injected in the VAE decoder)")
        return real_forward(*args, **kwargs)

    pipe.vae.decoder.forward = out_of_memory_on_the_first_decode
    request = small_request(num_inference_steps=2, color_lock=False)
    with pytest.raises(GpuMemoryError, match="memory was freed"):
        generator.top_view(request)
    assert pipe.vae.dtype == torch.float16
    tile = generator.top_view(request)
    assert decode_dtypes == [torch.float32, torch.float32] and pipe.vae.dtype == torch.float16
    assert tile.image.size == (64, 64)


def test_prompt_embeddings_are_cached_and_match_the_uncached_pipeline(tiny_generator):
    real_pipe = tiny_generator.pipe
    passthrough = PassThroughPipe(real_pipe)
    tiny_generator.pipe = passthrough
    mix = "45% sand, 55% khaki"  # asked by no other test: encoded here for the first time
    try:
        first = np.asarray(tiny_generator.top_view(small_request(seed=9, guidance_scale=5.0, prompt=mix)).image)
        again = np.asarray(tiny_generator.top_view(small_request(seed=9, guidance_scale=5.0, prompt=mix)).image)
    finally:
        tiny_generator.pipe = real_pipe
    assert len(passthrough.encoded) == 1 and len(passthrough.calls) == 2
    np.testing.assert_array_equal(first, again)
    reference = real_pipe(
        prompt=build_prompt(mix, tiny_generator.ti_tokens),
        negative_prompt=DEFAULT_NEGATIVE_PROMPT,
        num_inference_steps=3,
        guidance_scale=5.0,
        width=64,
        height=64,
        generator=torch.Generator("cpu").manual_seed(9),
    ).images[0]
    np.testing.assert_allclose(first.astype(int), np.asarray(reference).astype(int), atol=1)


def test_color_lock_makes_the_model_image_show_the_asked_mix(tiny_generator):
    """The model draws 90/10 where 60/40 was asked; the predictor's image shows 60/40."""
    from rubber_tile.analyzer import measure_shares
    from rubber_tile_dev.synthetic.granules import granule_image

    drawn, _ = granule_image({"red": 0.9, "white": 0.1}, side=256)
    real_pipe = tiny_generator.pipe
    tiny_generator.pipe = FixedImagePipe(real_pipe, Image.fromarray(drawn))
    try:
        locked = tiny_generator.top_view(small_request(prompt="60% red, 40% white", color_lock=True))
        raw = tiny_generator.top_view(small_request(prompt="60% red, 40% white", color_lock=False))
    finally:
        tiny_generator.pipe = real_pipe
    assert np.array_equal(np.asarray(raw.image), drawn) and "color_lock" not in raw.metadata
    measured = measure_shares(locked.image, ["red", "white"]).shares
    assert abs(measured["red"] - 60) < 2 and abs(measured["white"] - 40) < 2
    assert locked.metadata["color_lock"] == "matched"
    assert float(locked.metadata["shares_before"].split("%")[0]) > 80


def test_color_lock_is_skipped_and_says_so_for_a_prompt_without_shares(tiny_generator, caplog):
    from rubber_tile_dev.synthetic.granules import granule_image

    drawn, _ = granule_image({"red": 0.5, "white": 0.5}, side=128)
    real_pipe = tiny_generator.pipe
    tiny_generator.pipe = FixedImagePipe(real_pipe, Image.fromarray(drawn))
    try:
        tile = tiny_generator.top_view(small_request(prompt="ohwx_rubber_tile <s0><s1>, red and white", color_lock=True))
    finally:
        tiny_generator.pipe = real_pipe
    assert tile.metadata["color_lock"].startswith("skipped: found no colour shares like '30% black'")
    assert "colour lock skipped" in caplog.text
    assert np.array_equal(np.asarray(tile.image), drawn)


class FixedImagePipe(RecordingPipe):
    """Answers every call with one given image, as if the model had drawn it."""

    def __init__(self, pipe, image: Image.Image) -> None:
        super().__init__(pipe)
        self.image = image

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(images=[self.image])

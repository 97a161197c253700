"""The bundled schema (.cog/openapi_schema.json) states exactly what run() and TileRequest's table accept."""

from __future__ import annotations

import inspect
import json

import pytest

from predict import Predictor
from rubber_tile import request as tile_request
from rubber_tile_dev import cog_schema as schema_writer
from tests.support.scripts import load_script


@pytest.fixture(scope="module")
def committed_schema() -> dict:
    path = schema_writer.SCHEMA_PATH
    assert path.is_file(), f"{path} is missing: run python scripts/write_openapi_schema.py"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def input_properties(committed_schema) -> dict:
    return committed_schema["components"]["schemas"]["Input"]["properties"]


def test_committed_schema_means_what_run_declares_today(committed_schema):
    differences = schema_writer.schema_differences(committed_schema, schema_writer.generate_schema())
    assert differences == [], "stale schema: run python scripts/write_openapi_schema.py"


def cog_build_rewrite(schema: dict) -> str:
    """The file as `cog build` leaves it: compact JSON, its own version string, whole floats as integers."""
    def whole(value):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {key: whole(item) for key, item in value.items()}
        if isinstance(value, list):
            return [whole(item) for item in value]
        return value

    rewritten = whole(schema) | {"info": {"title": "Cog", "version": "0.23.1"}}
    return json.dumps(rewritten, separators=(",", ":"))


def test_a_schema_rewritten_by_cog_build_is_still_up_to_date_but_a_changed_default_is_not(tmp_path, capsys):
    script = load_script("write_openapi_schema.py")
    rewritten = tmp_path / "openapi_schema.json"
    rewritten.write_text(cog_build_rewrite(schema_writer.generate_schema()))
    assert "7.0" not in rewritten.read_text() and '"default":7' in rewritten.read_text()
    assert script.main(["--check", "--out", str(rewritten)]) == 0
    changed = json.loads(rewritten.read_text())
    changed["components"]["schemas"]["Input"]["properties"]["guidance_scale"]["default"] = 7.5
    rewritten.write_text(json.dumps(changed))
    assert script.main(["--check", "--out", str(rewritten)]) == 1
    assert "input 'guidance_scale': default 7.5 -> 7.0" in capsys.readouterr().err


def test_inspecting_the_runner_raises_no_deprecation_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        schema_writer.inspect_inputs()


def test_schema_inputs_are_the_run_parameters_in_order(input_properties):
    parameters = [name for name in inspect.signature(Predictor.run).parameters if name != "self"]
    assert list(input_properties) == parameters
    assert [input_properties[name]["x-order"] for name in parameters] == list(range(len(parameters)))


def test_only_the_prompt_is_required_and_seed_may_be_left_out(committed_schema, input_properties):
    assert committed_schema["components"]["schemas"]["Input"]["required"] == ["prompt"]
    # A plain int with default -1: coglet refuses null for a nullable integer, and Cog 0.16 has no Optional inputs.
    assert input_properties["seed"]["default"] == tile_request.RANDOM_SEED and "nullable" not in input_properties["seed"]


def test_run_annotations_are_real_types():
    # Cog's inspector reads inspect.signature() without evaluating string annotations (from __future__ import annotations).
    parameters = inspect.signature(Predictor.run).parameters
    assert parameters["prompt"].annotation is str and parameters["seed"].annotation is int


def test_every_input_states_what_the_request_table_states(committed_schema, input_properties):
    # predict.py repeats TileRequest's table as literals (cog build reads them statically): nothing may drift.
    schemas = committed_schema["components"]["schemas"]
    table = tile_request.request_inputs()
    assert list(input_properties) == [item.name for item in table]
    for item in table:
        prop = input_properties[item.name]
        assert prop["description"] == item.spec.description, item.name
        assert ("default" not in prop) if item.required else (prop["default"] == item.default), item.name
        assert (prop.get("minimum"), prop.get("maximum")) == (item.spec.minimum, item.spec.maximum), item.name
        choices = schemas[item.name]["enum"] if item.spec.choices else None
        assert choices == (list(item.spec.choices) if item.spec.choices else None), item.name
    assert input_properties["output_format"]["default"] == "png" and input_properties["preview"]["default"] is False


def test_types_follow_the_annotations(input_properties, committed_schema):
    json_types = {int: "integer", float: "number", bool: "boolean", str: "string"}
    types = {name: prop.get("type") for name, prop in input_properties.items()}
    # An input with choices is an allOf reference to its enumeration, with no type of its own.
    assert types == {
        item.name: None if item.spec.choices else json_types[item.kind] for item in tile_request.request_inputs()
    }
    assert types["seed"] == "integer" and types["guidance_scale"] == "number" and types["grade"] is None
    assert committed_schema["components"]["schemas"]["Output"] == {"title": "Output", "type": "string", "format": "uri"}


PREDICTOR_TEMPLATE = '''
from cog import BaseRunner, Input, Path
from rubber_tile.request import OUTPUT_FORMATS, SEED_MAX

class Predictor(BaseRunner):
    def run(self, prompt: str = Input(description="p"), value: int = {value}) -> Path:
        ...
'''


@pytest.mark.parametrize(
    "value, message",
    [
        ("Input(default=SEED_MAX)", r"not a literal"),
        ("Input(default=20, ge=SEED_MAX)", r"not a literal"),
        ('Input(description="one " "two")', r"one plain string literal"),
        ('Input(description="tab\\there")', r"one plain string literal"),
        ('Input(description=f"{SEED_MAX}")', r"not a literal"),
        ("Input(default=1, choices=list(OUTPUT_FORMATS))", r"not a literal"),
        ("Input(default=1, choices=(1, 2))", r"list literal"),
        ('Input(default=1, ge="1")', r"number literal"),
    ],
)
def test_inputs_cog_build_would_misread_are_refused(value, message):
    with pytest.raises(schema_writer.SchemaError, match=message):
        schema_writer.check_static_inputs(PREDICTOR_TEMPLATE.format(value=value))


def test_plain_literals_pass_the_static_check():
    source = PREDICTOR_TEMPLATE.format(value='Input(description="n", default=-1, ge=-1, le=10, choices=[-1, 10])')
    assert schema_writer.check_static_inputs(source) == ["prompt", "value"]


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "openapi_schema.json"
    stale.write_text("{}\n")
    assert load_script("write_openapi_schema.py").main(["--check", "--out", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err


def test_cog_yaml_runs_the_runner_with_the_sdk_the_tests_run():
    import importlib.metadata
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "cog.yaml").read_text()
    assert re.search(r'^run: "predict.py:Predictor"$', text, flags=re.MULTILINE)
    assert not re.search(r"^predict:", text, flags=re.MULTILINE)  # deprecated since Cog 0.20
    sdk = re.search(r'^\s+sdk_version: "([^"]+)"', text, flags=re.MULTILINE)
    assert sdk and sdk.group(1) == importlib.metadata.version("cog") == importlib.metadata.version("coglet")

"""The Cog input schema: `.cog/openapi_schema.json`, which `cog build` bundles and coglet validates inputs with.

The inputs come from Cog's own inspector (`cog._inspector`, what the worker uses to read
`run()`); the document around them is laid out as Cog's generator lays it out
(pkg/schema/openapi.go in Cog 0.23). `cog build` does not run predict.py: it reads the Input()
calls from the source. So this script also refuses a predict.py whose Input() arguments that
static reader would drop or misread, instead of writing a schema the real build would not.

scripts/write_openapi_schema.py writes it (`--check`: exit 1 if missing or stale).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent  # predict.py sits beside the package
PREDICTOR_FILE = PROJECT_DIR / "predict.py"
PREDICTOR_CLASS = "Predictor"
SCHEMA_PATH = PROJECT_DIR / ".cog" / "openapi_schema.json"

# Input() keywords and the literal forms Cog's static reader accepts for each.
_NUMBER_KEYWORDS = ("ge", "le", "min_length", "max_length")
_STRING_KEYWORDS = ("description", "regex")
_LITERAL_KEYWORDS = ("default", "choices", "deprecated")


class SchemaError(RuntimeError):
    """predict.py declares something the schema (or `cog build`'s reading of it) cannot carry."""


@dataclass(frozen=True)
class InputSpec:
    """One input as the schema states it."""

    name: str
    order: int
    json_type: dict[str, Any]
    nullable: bool
    has_default: bool
    default: Any
    description: str | None
    minimum: float | None
    maximum: float | None
    choices: list[Any] | None


def _go_string_literal(source_text: str) -> str | None:
    """The string Cog's static reader takes from a literal's source text (it strips the quotes only)."""
    for quote in ('"""', "'''"):
        if source_text.startswith(quote) and len(source_text) >= 6:
            return source_text[3:-3]
    if source_text[:1] in ('"', "'") and len(source_text) >= 2:
        return source_text[1:-1]
    if source_text[:2] in ('r"', "r'") and len(source_text) >= 3:
        return source_text[2:-1]
    return None


def _check_keyword_is_static(param: str, keyword: ast.keyword, source: str) -> None:
    """Fail unless Cog's static reader gets exactly the value Python gets from this Input() keyword."""
    text = ast.get_source_segment(source, keyword.value) or ""
    where = f"predict.py: Input({keyword.arg}=...) of '{param}'"
    try:
        value = ast.literal_eval(keyword.value)
    except ValueError as error:
        raise SchemaError(
            f"{where} is `{text}`, not a literal. `cog build` reads Input() from the source without running it "
            "and drops or misreads names and expressions: write the value itself"
        ) from error
    if keyword.arg in _NUMBER_KEYWORDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise SchemaError(f"{where} must be a number literal, got `{text}`")
    if isinstance(value, str) and _go_string_literal(text) != value:
        raise SchemaError(
            f"{where} is a string `cog build` would read as {_go_string_literal(text)!r}: use one plain "
            "string literal, not joined pieces or escape sequences"
        )
    if keyword.arg == "choices" and not isinstance(keyword.value, ast.List):
        raise SchemaError(f"{where} must be a list literal such as [\"png\", \"jpg\"], got `{text}`")


def check_static_inputs(source: str, class_name: str = PREDICTOR_CLASS) -> list[str]:
    """The run() parameters, after checking `cog build` reads every Input() argument as Python does."""
    tree = ast.parse(source)
    predictor = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    if predictor is None:
        raise SchemaError(f"predict.py has no class {class_name}")
    method = next((n for n in predictor.body if isinstance(n, ast.FunctionDef) and n.name == "run"), None)
    if method is None:
        raise SchemaError(f"{class_name} has no run() method")
    params = method.args.args[1:]
    defaults = [None] * (len(params) - len(method.args.defaults)) + list(method.args.defaults)
    for param, default in zip(params, defaults, strict=True):
        if param.annotation is None:
            raise SchemaError(f"predict.py: parameter '{param.arg}' has no type annotation")
        if not (isinstance(default, ast.Call) and getattr(default.func, "id", None) == "Input"):
            continue
        for keyword in default.keywords:
            if keyword.arg in _NUMBER_KEYWORDS + _STRING_KEYWORDS + _LITERAL_KEYWORDS:
                _check_keyword_is_static(param.arg, keyword, source)
    return [param.arg for param in params]


def _read_predictor(module_name: str, class_name: str):
    from cog import _inspector

    return _inspector.create_predictor(module_name, class_name)


def inspect_inputs(module_name: str = "predict", class_name: str = PREDICTOR_CLASS) -> list[InputSpec]:
    """The inputs as Cog's inspector reads them from the imported predictor."""
    from cog import _adt

    info = _read_predictor(module_name, class_name)
    specs = []
    for name, field in info.inputs.items():
        nullable = field.type.repetition in (_adt.Repetition.OPTIONAL, _adt.Repetition.OPTIONAL_REPEATED)
        # As Cog: a default of None on a non-nullable input is no default; the input is required.
        has_default = field.default is not None or nullable
        specs.append(
            InputSpec(
                name=name,
                order=field.order,
                json_type=field.type.json_type(),
                nullable=nullable,
                has_default=has_default,
                default=field.default,
                description=field.description,
                minimum=field.ge,
                maximum=field.le,
                choices=list(field.choices) if field.choices is not None else None,
            )
        )
    return specs


def inspect_output(module_name: str = "predict", class_name: str = PREDICTOR_CLASS) -> dict[str, Any]:
    return _read_predictor(module_name, class_name).output.json_type()


def title_case(name: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in name.split("_") if word)


def _json_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def input_property(spec: InputSpec) -> dict[str, Any]:
    prop: dict[str, Any] = {"x-order": spec.order}
    if spec.choices is not None:
        prop["allOf"] = [{"$ref": f"#/components/schemas/{spec.name}"}]
    else:
        prop["title"] = title_case(spec.name)
        prop.update(spec.json_type)
    if spec.has_default:
        prop["default"] = spec.default
    if spec.nullable:
        prop["nullable"] = True
    if spec.description is not None:
        prop["description"] = spec.description
    if spec.minimum is not None:
        prop["minimum"] = _json_number(spec.minimum)
    if spec.maximum is not None:
        prop["maximum"] = _json_number(spec.maximum)
    return dict(sorted(prop.items()))  # Cog's generator writes property keys in alphabetical order


def build_schema(inputs: list[InputSpec], output: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0.2 document, component by component as Cog 0.23's generator writes it."""
    properties = {spec.name: input_property(spec) for spec in inputs}
    required = [spec.name for spec in inputs if not spec.has_default]
    input_schema: dict[str, Any] = {"title": "Input", "type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    components: dict[str, Any] = {"Input": input_schema, "Output": output}
    for spec in inputs:
        if spec.choices is not None:
            components[spec.name] = {
                "title": spec.name,
                "description": "An enumeration.",
                "enum": spec.choices,
                "type": spec.json_type["type"],
            }
    components.update(_envelope_components())
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": _paths(),
        "components": {"schemas": components},
    }


def _envelope_components() -> dict[str, Any]:
    def text(title: str, **extra: str) -> dict[str, str]:
        return {"title": title, "type": "string", **extra}

    return {
        "PredictionRequest": {
            "title": "PredictionRequest",
            "type": "object",
            "properties": {"id": text("Id"), "input": {"$ref": "#/components/schemas/Input"}},
        },
        "PredictionResponse": {
            "title": "PredictionResponse",
            "type": "object",
            "properties": {
                "input": {"$ref": "#/components/schemas/Input"},
                "output": {"$ref": "#/components/schemas/Output"},
                "id": text("Id"),
                "version": text("Version"),
                "created_at": text("Created At", format="date-time"),
                "started_at": text("Started At", format="date-time"),
                "completed_at": text("Completed At", format="date-time"),
                "status": text("Status"),
                "error": text("Error"),
                "logs": text("Logs"),
                "metrics": {"title": "Metrics", "type": "object"},
            },
        },
        "Status": {
            "title": "Status",
            "description": "An enumeration.",
            "enum": ["starting", "processing", "succeeded", "canceled", "failed"],
            "type": "string",
        },
        "HTTPValidationError": {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {
                "detail": {"title": "Detail", "type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}
            },
        },
        "ValidationError": {
            "title": "ValidationError",
            "required": ["loc", "msg", "type"],
            "type": "object",
            "properties": {
                "loc": {"title": "Location", "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"},
            },
        },
    }


def _paths() -> dict[str, Any]:
    any_json = {"description": "Successful Response", "content": {"application/json": {"schema": {}}}}
    invalid = {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
    }
    return {
        "/": {"get": {"summary": "Root", "operationId": "root__get", "responses": {"200": any_json}}},
        "/health-check": {
            "get": {"summary": "Healthcheck", "operationId": "healthcheck_health_check_get", "responses": {"200": any_json}}
        },
        "/predictions": {
            "post": {
                "summary": "Predict",
                "description": "Run a single prediction on the model",
                "operationId": "predict_predictions_post",
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionRequest"}}}
                },
                "responses": {
                    "200": {
                        "description": "Successful Response",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionResponse"}}},
                    },
                    "422": invalid,
                },
            }
        },
        "/predictions/{prediction_id}/cancel": {
            "post": {
                "summary": "Cancel",
                "operationId": "cancel_predictions__prediction_id__cancel_post",
                "parameters": [
                    {"required": True, "schema": {"title": "Prediction Id", "type": "string"}, "name": "prediction_id", "in": "path"}
                ],
                "responses": {"200": any_json, "422": invalid},
            }
        },
    }


def generate_schema() -> dict[str, Any]:
    """The schema for predict.py, after the static-reading check."""
    static_names = check_static_inputs(PREDICTOR_FILE.read_text())
    inputs = inspect_inputs()
    if [spec.name for spec in inputs] != static_names:
        raise SchemaError(f"inspector inputs {[s.name for s in inputs]} differ from the source's {static_names}")
    return build_schema(inputs, inspect_output())


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_meaning(document: dict[str, Any]) -> dict[str, Any]:
    """What a schema says, without its layout: `cog build` rewrites the file as compact JSON with its own
    version string and `7` for `7.0`, which must not count as a change. Per input: order, type, format,
    default, bounds, choices, nullable, required, description; and the output's type."""
    schemas = document["components"]["schemas"]
    input_schema = schemas["Input"]
    required = set(input_schema.get("required", []))
    inputs = {}
    for name, prop in input_schema["properties"].items():
        choices, json_type = prop.get("enum"), prop.get("type")
        if "allOf" in prop:
            enumeration = schemas[prop["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
            choices, json_type = enumeration.get("enum"), enumeration.get("type")
        inputs[name] = {
            "order": prop.get("x-order"),
            "type": json_type,
            "format": prop.get("format"),
            "default": prop.get("default"),
            "minimum": prop.get("minimum"),
            "maximum": prop.get("maximum"),
            "choices": choices,
            "nullable": bool(prop.get("nullable")),
            "required": name in required,
            "description": prop.get("description"),
        }
    output = {key: schemas["Output"].get(key) for key in ("type", "format", "items")}
    return {"inputs": inputs, "output": output}


def schema_differences(committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """What differs in meaning between two schemas, one line per input or field ([] when they agree)."""
    old, new = schema_meaning(committed), schema_meaning(fresh)
    lines = [f"input {name!r} {'removed' if name in old['inputs'] else 'added'}"
             for name in sorted(old["inputs"].keys() ^ new["inputs"].keys())]
    for name in old["inputs"].keys() & new["inputs"].keys():
        for field, value in old["inputs"][name].items():
            if new["inputs"][name][field] != value:
                lines.append(f"input {name!r}: {field} {value!r} -> {new['inputs'][name][field]!r}")
    if old["output"] != new["output"]:
        lines.append(f"output: {old['output']!r} -> {new['output']!r}")
    return sorted(lines)

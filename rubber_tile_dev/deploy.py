"""What `cog build` would put in the image and what setup() would load, checked before a push.

`check_deploy(project_dir)` lists the files of the build context (the project folder minus
.dockerignore and `.cog/`, as Cog's BuildKit build sends it), the weights setup() reads with the
environment cog.yaml sets, and the versions in play; it finds what would break or bloat the
deployment: a missing weight, a weight the image leaves out, the unbaked base or LoRA riding
along beside a baked folder, the same large file twice, large files setup() never reads, a stale
schema, an old Cog CLI. scripts/check_deploy.py prints it (`make deploy-check`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rubber_tile.sdxl.paths import (
    BAKE_RECORD_NAME,
    UNBAKED_DIR_NAME,
    BakeRecord,
    files_setup_reads,
    missing_weights,
    weights_from_env,
)
from rubber_tile.sdxl.weight_files import (
    BAKED_FIX,
    BASE_MODEL_FIX,
    WeightsError,
    check_pipeline_folder,
    check_safetensors_file,
)

MIN_COG_CLI = (0, 23, 0)  # CUDA 13 base images need replicate/cog#3160, merged after v0.22.0
COG_INSTALL = "sh <(curl -fsSL https://cog.run/install.sh)"
WEIGHT_FILE_BYTES = 10 * 1024**2  # `cog push --separate-weights` treats non-code files this large as weights
DEVELOPMENT_PACKAGE = "rubber_tile_dev"
RUNTIME_DATA_DIR = "rubber_tile/data"  # the palette and the preview's granule library
_NOT_PROJECT_FILES = (".git", ".venv", ".cog", ".pytest_cache", ".ruff_cache", ".hypothesis")
_CODE_SUFFIXES = (".py", ".txt", ".yaml", ".yml", ".json", ".md", ".toml", ".sh", ".cfg", ".ini")


@dataclass(frozen=True)
class ContextFile:
    path: str  # relative to the project folder
    size: int


@dataclass(frozen=True)
class DeployReport:
    image_files: tuple[ContextFile, ...]
    setup_reads: tuple[str, ...]
    versions: dict[str, str]
    problems: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())
    left_out: tuple[tuple[str, int], ...] = field(default=())  # (folder or file, files) the image leaves out
    runtime_data: tuple[ContextFile, ...] = field(default=())  # the data files a prediction reads, in the image

    @property
    def image_bytes(self) -> int:
        return sum(file.size for file in self.image_files)


def build_context(project_dir: Path) -> list[ContextFile]:
    """The files `cog build` copies into the image: .dockerignore applied (Docker's rules, via docker-py),
    `.cog/` left out as Cog's build leaves it out."""
    from docker.utils.build import exclude_paths

    ignore = project_dir / ".dockerignore"
    lines = ignore.read_text().splitlines() if ignore.is_file() else []
    patterns = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    included = exclude_paths(str(project_dir), patterns)
    files = []
    for relative in sorted(included):
        path = project_dir / relative
        if path.is_file() and not path.is_symlink() and Path(relative).parts[0] != ".cog":
            files.append(ContextFile(relative, path.stat().st_size))
    return files


def read_cog_yaml(project_dir: Path) -> dict:
    return yaml.safe_load((project_dir / "cog.yaml").read_text()) or {}


def setup_environment(cog_config: Mapping, project_dir: Path) -> dict[str, str]:
    """The TILE_* variables setup() sees in the image: cog.yaml's `environment`, weights under model_files/."""
    env = {"TILE_MODEL_DIR": str(project_dir / "model_files")}
    for entry in cog_config.get("environment") or []:
        name, _, value = str(entry).partition("=")
        env[name.strip()] = value.strip()
    return env


def check_deploy(project_dir: Path, separate_weights: bool = False) -> DeployReport:
    project_dir = project_dir.resolve()
    cog_config = read_cog_yaml(project_dir)
    env = setup_environment(cog_config, project_dir)
    weights = weights_from_env(env)
    context = build_context(project_dir)
    in_context = {file.path for file in context}
    reads = [_relative(path, project_dir) for path in files_setup_reads(weights)]
    problems: list[str] = []
    problems += _weight_problems(weights, reads, in_context, env, project_dir)
    problems += _baked_problems(weights, context, project_dir)
    problems += _duplicate_problems(context, project_dir)
    problems += _version_problems(cog_config, project_dir)
    problems += _development_import_problems(context, project_dir)
    problems += _runtime_data_problems(in_context, project_dir)
    notes = _unread_large_files(context, set(reads))
    if separate_weights:
        problems += _separate_weights_problems(project_dir, set(reads))
    return DeployReport(
        tuple(context),
        tuple(reads),
        _versions(cog_config, project_dir),
        tuple(problems),
        tuple(notes),
        left_out_of_image(project_dir, context),
        tuple(file for file in context if file.path.startswith(RUNTIME_DATA_DIR + "/")),
    )


def _runtime_data_problems(in_context: set[str], project_dir: Path) -> list[str]:
    """The runtime's data files (palette, granule library) that the project has but the image would not carry."""
    folder = project_dir / RUNTIME_DATA_DIR
    present = sorted(path.relative_to(project_dir).as_posix() for path in folder.glob("*") if path.is_file()) if folder.is_dir() else []
    return [
        f"{path} is runtime data (the preview or the palette reads it) but .dockerignore leaves it out of the image"
        for path in present
        if path not in in_context
    ]


def left_out_of_image(project_dir: Path, context: list[ContextFile]) -> tuple[tuple[str, int], ...]:
    """(folder or file, files in it) that .dockerignore leaves out, each folder named at the shallowest
    level that the image holds nothing of (`rubber_tile_dev`, `scripts/bench`); .git and .venv not counted."""
    included_dirs = {str(parent) for file in context for parent in Path(file.path).parents}
    included = {file.path for file in context}
    counts: dict[str, int] = {}
    for path in project_dir.rglob("*"):
        relative = path.relative_to(project_dir)
        if relative.parts[0] in _NOT_PROJECT_FILES or "__pycache__" in relative.parts or not path.is_file():
            continue
        if str(relative) in included:
            continue
        folders = ("/".join(relative.parts[:depth]) for depth in range(1, len(relative.parts)))
        group = next((folder for folder in folders if folder not in included_dirs), str(relative))
        counts[group] = counts.get(group, 0) + 1
    return tuple(sorted(counts.items()))


def _development_import_problems(context: list[ContextFile], project_dir: Path) -> list[str]:
    """Code in the image that imports the development package, which the image leaves out."""
    in_image = {Path(file.path).parts[0] for file in context}
    if DEVELOPMENT_PACKAGE in in_image:
        return [f"{DEVELOPMENT_PACKAGE}/ is in the image: .dockerignore must leave out development tooling"]
    pattern = re.compile(rf"^\s*(from|import)\s+{DEVELOPMENT_PACKAGE}\b", re.MULTILINE)
    return [
        f"{file.path} imports {DEVELOPMENT_PACKAGE}, which the image leaves out: move it out of the image or the import out of it"
        for file in context
        if file.path.endswith(".py") and pattern.search((project_dir / file.path).read_text(errors="replace"))
    ]


def _relative(path: Path, project_dir: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_dir))
    except ValueError:
        return str(path)


def _weight_problems(
    weights, reads: list[str], in_context: set[str], env: Mapping[str, str], project_dir: Path
) -> list[str]:
    if env.get("TILE_BACKEND", "auto") == "preview":
        return []
    missing = [_relative(path, project_dir) for path in missing_weights(weights)]
    problems = [
        f"missing weight: {path} (setup() fails with TILE_BACKEND=sdxl; see model_files/README.md)" for path in missing
    ]
    present = [path for path in reads if path not in missing]
    problems += [
        f"setup() reads {path}, outside the project: the image will not have it"
        for path in present
        if Path(path).is_absolute()
    ]
    problems += [
        f"setup() reads {path}, which .dockerignore leaves out of the image"
        for path in present
        if not Path(path).is_absolute() and path not in in_context
    ]
    for path in (project_dir / p for p in present if p.endswith(".safetensors") and not Path(p).is_absolute()):
        try:
            check_safetensors_file(path, path.name, "Copy or download it again.")
        except WeightsError as error:
            problems.append(str(error).replace(str(project_dir) + "/", ""))
    problems += [problem.replace(str(project_dir) + "/", "") for problem in _folder_problems(weights)]
    return problems


def _folder_problems(weights) -> list[str]:
    """setup()'s own checks of the pipeline folder it loads: the bake record, every component's weights."""
    if weights.baked is not None:  # set only where the folder holds a bake record
        return _weights_errors(BakeRecord.read, weights.baked / BAKE_RECORD_NAME) + _weights_errors(
            check_pipeline_folder, weights.baked, "the baked pipeline", BAKED_FIX
        )
    if weights.base.is_dir():
        return _weights_errors(check_pipeline_folder, weights.base, "the SDXL base model", BASE_MODEL_FIX)
    return []


def _weights_errors(check, *arguments) -> list[str]:
    """[the message] if check(*arguments) raises WeightsError, else []."""
    try:
        check(*arguments)
    except WeightsError as error:
        return [str(error)]
    return []


def _baked_problems(weights, context: list[ContextFile], project_dir: Path) -> list[str]:
    if weights.baked is None:
        return []
    sources = [weights.base, weights.vae, weights.lora, weights.embeddings]
    problems = []
    for source in (path for path in sources if path is not None and path.exists()):
        prefix = _relative(source, project_dir)
        riding = [file for file in context if file.path == prefix or file.path.startswith(prefix + "/")]
        if riding:
            gigabytes = sum(file.size for file in riding) / 1e9
            problems.append(
                f"{prefix} ({gigabytes:.2f} GB) rides along although setup() reads only the baked folder: run "
                f"scripts/bake_weights.py again, or move it to model_files/{UNBAKED_DIR_NAME}/ (left out by .dockerignore)"
            )
    return problems


def _duplicate_problems(context: list[ContextFile], project_dir: Path) -> list[str]:
    by_size: dict[int, list[ContextFile]] = {}
    for file in context:
        if file.size >= WEIGHT_FILE_BYTES:
            by_size.setdefault(file.size, []).append(file)
    problems = []
    for same_size in (files for files in by_size.values() if len(files) > 1):
        by_digest: dict[str, list[str]] = {}
        for file in same_size:
            by_digest.setdefault(_digest(project_dir / file.path), []).append(file.path)
        problems += [
            f"the same {same_size[0].size / 1e6:.0f} MB file twice: {', '.join(paths)}"
            for paths in by_digest.values()
            if len(paths) > 1
        ]
    return problems


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def _unread_large_files(context: list[ContextFile], reads: set[str]) -> list[str]:
    return [
        f"{file.path} ({file.size / 1e6:.0f} MB) is in the image but setup() never reads it"
        for file in context
        if file.size >= WEIGHT_FILE_BYTES and file.path not in reads
    ]


def _separate_weights_problems(project_dir: Path, reads: set[str]) -> list[str]:
    """`--separate-weights` ignores .dockerignore: every large non-code file in the project is pushed."""
    problems = []
    for path in sorted(project_dir.rglob("*")):
        relative = _relative(path, project_dir)
        if any(part in (".git", ".venv", ".cog") for part in Path(relative).parts) or not path.is_file():
            continue
        if path.stat().st_size >= WEIGHT_FILE_BYTES and path.suffix not in _CODE_SUFFIXES and relative not in reads:
            problems.append(
                f"--separate-weights would push {relative} ({path.stat().st_size / 1e9:.2f} GB) although "
                "setup() never reads it: it ignores .dockerignore; move the file out of the project"
            )
    return problems


def cog_cli_version() -> tuple[int, ...] | None:
    """The installed Cog CLI's version, or None where there is no `cog` on PATH."""
    if shutil.which("cog") is None:
        return None
    output = subprocess.run(["cog", "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", output)
    return tuple(int(part) for part in match.groups()) if match else None


def _version_problems(cog_config: Mapping, project_dir: Path) -> list[str]:
    from .cog_schema import SCHEMA_PATH, generate_schema, schema_differences

    problems = []
    build = cog_config.get("build") or {}
    sdk, installed = str(build.get("sdk_version", "")), importlib.metadata.version("cog")
    if sdk != installed:
        problems.append(
            f"cog.yaml build.sdk_version is {sdk or 'unset'}; the tests run cog {installed}: pin {installed}"
        )
    if "predict" in cog_config or "run" not in cog_config:
        problems.append('cog.yaml needs `run: "predict.py:Predictor"` (`predict:` is deprecated since Cog 0.20)')
    cli = cog_cli_version()
    if cli is not None and cli < MIN_COG_CLI:
        wanted = ".".join(map(str, MIN_COG_CLI))
        problems.append(
            f"Cog CLI {'.'.join(map(str, cli))} cannot build CUDA 13 images: upgrade to {wanted}+ with {COG_INSTALL}"
        )
    schema_path = project_dir / SCHEMA_PATH.relative_to(SCHEMA_PATH.parents[1])
    if schema_path.is_file():
        import json

        differences = schema_differences(json.loads(schema_path.read_text()), generate_schema())
        problems += [
            f"stale .cog/openapi_schema.json: {line} (run scripts/write_openapi_schema.py)" for line in differences
        ]
    return problems


def _versions(cog_config: Mapping, project_dir: Path) -> dict[str, str]:
    build = cog_config.get("build") or {}
    requirements = (
        (project_dir / "requirements.txt").read_text() if (project_dir / "requirements.txt").is_file() else ""
    )
    torch_pin = re.search(r"^torch==(\S+)", requirements, flags=re.MULTILINE)
    cli = cog_cli_version()
    return {
        "Cog CLI": ".".join(map(str, cli))
        if cli
        else f"not on PATH here (needs {'.'.join(map(str, MIN_COG_CLI))}+: {COG_INSTALL})",
        "cog SDK in the image": str(build.get("sdk_version", "newest on PyPI at build time")),
        "cog SDK the tests run": importlib.metadata.version("cog"),
        "CUDA": str(build.get("cuda", "none")),
        "Python": str(build.get("python_version", "?")),
        "torch": (torch_pin.group(1) if torch_pin else "unpinned")
        + " (past Cog's table, which stops at 2.11: the PyPI CUDA 13.0 wheel, NVIDIA driver 580+)",
    }

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_DIR.parent / "shared"

if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The owner's photos and model outputs; tests that need them skip where they are absent."""
    data_dir = SHARED_DIR / "data"
    if not (data_dir / "manifest.csv").is_file():
        pytest.skip(f"owner's data not found at {data_dir} (it is never committed; run beside ../shared)")
    return data_dir


@pytest.fixture(scope="session")
def real_embeddings_path() -> Path:
    """The real textual-inversion file; tests that need it skip where it is absent."""
    path = SHARED_DIR / "model_files" / "rubber-tile-lora-v4_sdxl_embeddings.safetensors"
    if not path.is_file():
        pytest.skip(f"real textual-inversion file not found at {path}")
    return path

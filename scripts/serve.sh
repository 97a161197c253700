#!/usr/bin/env bash
# The real Cog HTTP server (Rust coglet, as in the Replicate image) from the project folder, without Docker.
#   scripts/serve.sh                   # 127.0.0.1:5000, predict.py:Predictor, TILE_* settings from the environment
#   PORT=5001 TILE_BACKEND=preview scripts/serve.sh
# It refuses to start with a stale .cog/openapi_schema.json: coglet validates inputs with that file.
set -euo pipefail
cd "$(dirname "$0")/.."

# coglet starts its worker as plain `python` from PATH, so the venv's must come first.
export PATH="$PWD/.venv/bin:$PATH"
export COG_PREDICT_TYPE_STUB="${COG_PREDICT_TYPE_STUB:-predict.py:Predictor}"
export PORT="${PORT:-5000}"

if [[ "$COG_PREDICT_TYPE_STUB" == predict.py:* ]]; then
    python scripts/write_openapi_schema.py --check
fi
exec python -m cog.server.http --host "${HOST:-127.0.0.1}" "$@"

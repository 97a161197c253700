#!/usr/bin/env bash
# The configurator and, unless COG_URL points elsewhere, the Cog server it needs, stopped with it.
#   scripts/web.sh                          # http://127.0.0.1:8000, coglet on the preview backend at 127.0.0.1:5000
#   PORT=8080 COG_PORT=5001 scripts/web.sh  # other ports
#   TILE_BACKEND=sdxl scripts/web.sh        # coglet with the trained model
#   COG_URL=http://10.0.0.5:5000 scripts/web.sh   # a Cog server started elsewhere (nothing started here)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

cog_pid=""
web_pid=""
stop() {
    trap - EXIT INT TERM
    set +e  # stop everything, whatever each step answers
    if [[ -n "$web_pid" ]]; then
        kill -TERM "$web_pid" 2>/dev/null
        wait "$web_pid" 2>/dev/null
    fi
    if [[ -n "$cog_pid" ]]; then  # its whole process group: coglet and its worker
        kill -TERM -- "-$cog_pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 -- "-$cog_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$cog_pid" 2>/dev/null  # whatever did not stop in 10 s
        wait "$cog_pid" 2>/dev/null
        echo "web.sh: stopped the Cog server" >&2
    fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "${COG_URL:-}" && -z "${REPLICATE_API_TOKEN:-}" ]]; then
    cog_port="${COG_PORT:-5000}"
    backend="${TILE_BACKEND:-preview}"
    log_dir="${WEB_LOG_DIR:-var/web}"  # the Cog server's log
    mkdir -p "$log_dir"
    log="$log_dir/cog-$cog_port.log"
    echo "web.sh: starting the Cog server ($backend) on 127.0.0.1:$cog_port, log in $log" >&2
    PORT="$cog_port" TILE_BACKEND="$backend" setsid scripts/serve.sh >"$log" 2>&1 &
    cog_pid=$!
    export COG_URL="http://127.0.0.1:$cog_port" RENDER_BACKEND="$backend"
    # Wait until it listens (its setup may still run: the configurator queues orders meanwhile).
    python - "$COG_URL" "$cog_pid" "$log" <<'PY'
import json, os, sys, time, urllib.request
url, pid, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(f"web.sh: the Cog server exited; see {log}:\n" + open(log).read()[-2000:])
    try:
        with urllib.request.urlopen(url + "/health-check", timeout=2) as reply:
            print(f"web.sh: the Cog server answers ({json.load(reply)['status']})", file=sys.stderr)
            sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(f"web.sh: the Cog server did not answer in 120 s; see {log}")
PY
fi

python -m rubber_tile.web &
web_pid=$!
wait "$web_pid"

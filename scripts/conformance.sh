#!/usr/bin/env bash
# Runs the official MCP conformance server scenarios against `prechew serve --http`.
# The suite needs Node 22; it is installed from the npm registry (the `node@22` package) into a
# temporary directory, so the machine's own Node (20+) is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS=(server-initialize ping tools-list logging-set-level dns-rebinding-protection)
WORK="${PRECHEW_CONFORMANCE_DIR:-$(mktemp -d)}"
mkdir -p "$WORK"
if [ ! -x "$WORK/node_modules/.bin/node" ] || [ ! -d "$WORK/node_modules/@modelcontextprotocol/conformance" ]; then
  echo "conformance: installing node@22 and @modelcontextprotocol/conformance@0.1.16 into $WORK" >&2
  (cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error node@22 @modelcontextprotocol/conformance@0.1.16 >/dev/null)
fi
NODE22="$WORK/node_modules/.bin/node"
SUITE="$WORK/node_modules/@modelcontextprotocol/conformance/dist/index.js"

DATA="$(mktemp -d)"
LOG="$DATA/server.log"
PRECHEW_DATA_DIR="$DATA" node dist/src/cli.js serve --http --port 0 2>"$LOG" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 100); do
  URL="$(grep -o 'http://[^ ]*/mcp' "$LOG" | head -1 || true)"
  [ -n "$URL" ] && break
  if ! kill -0 $PID 2>/dev/null; then cat "$LOG" >&2; echo "conformance: server exited" >&2; exit 1; fi
  sleep 0.1
done
[ -n "$URL" ] || { cat "$LOG" >&2; echo "conformance: server did not start" >&2; exit 1; }
echo "conformance: testing $URL with Node $("$NODE22" --version)"

failed=0
for s in "${SCENARIOS[@]}"; do
  if out="$("$NODE22" "$SUITE" server --url "$URL" --scenario "$s" 2>&1)"; then
    echo "conformance: $s passed"
  else
    echo "$out"
    echo "conformance: $s FAILED"
    failed=$((failed + 1))
  fi
done
passed=$(( ${#SCENARIOS[@]} - failed ))
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

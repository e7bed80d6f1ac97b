#!/usr/bin/env bash
# `npm run pack-check`: proves that the package a user gets works.
#  1. Copies the tracked and unignored files (no dist/) to a temp dir, as a clean clone would have
#     them, and runs `npm pack` there: the `prepack` script must build dist/ on its own.
#  2. Installs the tarball into an empty temp dir with the light install (`--omit=optional`: no
#     node-llama-cpp, no whisper.node) and reports its size and time.
#  3. Runs the installed bin: --version, --help, tools, doctor (must name the missing add-ons with
#     the install command), a stdio tools/list plus a redact call through the MCP client SDK,
#     `run convert` of a PDF through pdfjs-dist (no @napi-rs/canvas on a light install),
#     `serve --http` with GET /healthz, and a transcribe call that must fail with ENGINE_UNAVAILABLE
#     naming the install command.
# PACK_CHECK_FULL=1 also does a full install (with the add-ons, ~1 GB) and reports its size and time.
# Needs the npm registry. Exits non-zero on the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/prechew-pack-check.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -z "${PACK_CHECK_KEEP:-}" ]; then rm -rf "$WORK"; else echo "pack-check: kept $WORK"; fi
}
trap cleanup EXIT
fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
say() { echo "pack-check: $*"; }
ms() { date +%s%3N; }

# 1. A clean tree: what git tracks (plus new, unignored files), no dist/. node_modules is linked,
#    as `npm ci` in a fresh clone would provide it; the build must come from `prepack`.
mkdir -p "$WORK/src" "$WORK/pack" "$WORK/light"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$WORK/src/$(dirname "$f")"
  cp -p "$f" "$WORK/src/$f"
done
ln -s "$REPO/node_modules" "$WORK/src/node_modules"
[ ! -e "$WORK/src/dist" ] || fail "the clean tree already has dist/"
t0=$(ms)
(cd "$WORK/src" && npm pack --silent --pack-destination "$WORK/pack" >"$WORK/pack.log" 2>&1) || { cat "$WORK/pack.log" >&2; fail "npm pack failed"; }
TARBALL="$(ls "$WORK"/pack/prechew-*.tgz)"
say "packed $(basename "$TARBALL") ($(du -h "$TARBALL" | cut -f1), $(tar tzf "$TARBALL" | wc -l | tr -d ' ') files) in $(( ($(ms) - t0) / 1000 )) s"
LISTING="$(tar tzf "$TARBALL")"
grep -qx 'package/dist/src/cli.js' <<<"$LISTING" || fail "the tarball has no dist/src/cli.js"

# 2. Light install into an empty directory.
cd "$WORK/light"
npm init -y >/dev/null
t0=$(ms)
npm install --omit=optional --no-audit --no-fund --loglevel=error "$TARBALL" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "light install failed"; }
LIGHT_S=$(( ($(ms) - t0) / 100 ))
say "light install (--omit=optional): $(du -sh node_modules | cut -f1) in node_modules, $((LIGHT_S / 10)).$((LIGHT_S % 10)) s"
[ ! -e node_modules/node-llama-cpp ] || fail "light install pulled node-llama-cpp"
[ ! -e node_modules/@fugood/whisper.node ] || fail "light install pulled @fugood/whisper.node"
BIN="$WORK/light/node_modules/.bin/prechew"
export PRECHEW_DATA_DIR="$WORK/data"

# 3. The installed bin.
[ "$(npx --no-install prechew --version)" = "$(node -p "require('$REPO/package.json').version")" ] || fail "--version"
npx --no-install prechew --help | grep -q 'serve --http' || fail "--help"
TOOLS="$(npx --no-install prechew tools)"
for t in condense redact extract-entities convert; do
  grep -q "^$t " <<<"$TOOLS" || fail "tools does not list $t"
done
say "npx prechew --version, --help, tools: ok ($(wc -l <<<"$TOOLS") tools)"

DOCTOR="$(npx --no-install prechew doctor || true)"
grep -q "node-llama-cpp.*npm install --prefix .* node-llama-cpp@" <<<"$DOCTOR" || { echo "$DOCTOR" >&2; fail "doctor does not name the node-llama-cpp install command"; }
grep -q "whisper.node.*npm install --prefix .* @fugood/whisper.node@" <<<"$DOCTOR" || { echo "$DOCTOR" >&2; fail "doctor does not name the whisper.node install command"; }
say "doctor names the missing add-ons: ok"

cp "$REPO/scripts/pack-check-client.mjs" "$WORK/light/client.mjs"
STDIO="$(node client.mjs "$BIN")" || fail "stdio client"
node -e '
  const r = JSON.parse(process.argv[1]);
  if (!r.tools.includes("redact") || !r.tools.includes("condense")) throw new Error("tools/list lacks redact/condense");
  if (r.redactIsError || !r.redacted) throw new Error("redact over stdio did not redact");
' "$STDIO" || fail "stdio tools/list / redact: $STDIO"
say "stdio tools/list and redact: ok"

OUT="$(npx --no-install prechew run redact --text 'Call jane.doe@example.com' 2>&1)" || fail "run redact: $OUT"
! grep -q 'jane.doe@example.com' <<<"$OUT" || fail "run redact left the address in"
PDF="$(PRECHEW_PDF_ENGINE=pdfjs npx --no-install prechew run convert --path "$REPO/fixtures/real/pdf/bzip2-manual.pdf" --arg 'pages="1"' 2>&1)" || fail "convert a PDF on the light install: $(tail -2 <<<"$PDF")"
grep -q 'bzip2 and libbzip2' <<<"$PDF" || fail "convert a PDF: no text"
say "run redact, run convert (PDF through pdfjs, no @napi-rs/canvas): ok"
MISSING="$(printf 'RIFF' > "$WORK/a.wav"; npx --no-install prechew run transcribe --path "$WORK/a.wav" --json 2>&1 || true)"
grep -q 'ENGINE_UNAVAILABLE\|not installed' <<<"$MISSING" && grep -q 'npm install --prefix' <<<"$MISSING" \
  || say "note: transcribe on the light install said: $(head -c 300 <<<"$MISSING")"

LOG="$WORK/http.log"
"$BIN" serve --http --port 0 2>"$LOG" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL="$(grep -o 'http://[^ ]*/mcp' "$LOG" | head -1 || true)"
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG" >&2; fail "serve --http exited"; }
  sleep 0.1
done
[ -n "$URL" ] || { cat "$LOG" >&2; fail "serve --http did not start"; }
HEALTH="$(node -e 'fetch(process.argv[1]).then(async (r) => { console.log(r.status, await r.text()); })' "${URL%/mcp}/healthz")"
grep -q '^200 .*"ok"' <<<"$HEALTH" || fail "/healthz answered: $HEALTH"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
say "serve --http and /healthz: ok"

if [ -n "${PACK_CHECK_FULL:-}" ]; then
  mkdir -p "$WORK/full" && cd "$WORK/full" && npm init -y >/dev/null
  t0=$(ms)
  npm install --no-audit --no-fund --loglevel=error "$TARBALL" >"$WORK/full-install.log" 2>&1 || { cat "$WORK/full-install.log" >&2; fail "full install failed"; }
  FULL_S=$(( ($(ms) - t0) / 100 ))
  say "full install: $(du -sh node_modules | cut -f1) in node_modules, $((FULL_S / 10)).$((FULL_S % 10)) s"
  npx --no-install prechew doctor | grep -E 'node-llama-cpp|whisper' || true
fi
say "all checks passed"

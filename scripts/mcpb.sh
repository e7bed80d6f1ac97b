#!/usr/bin/env bash
# `npm run mcpb`: builds dist/prechew-<version>-<platform>-<arch>.mcpb, an MCP bundle for Claude
# Desktop (and other hosts that install .mcpb files), with the registry's own tooling
# (@anthropic-ai/mcpb, installed into a temp directory).
#  - bundle: manifest.json + node_modules holding prechew from its packed tarball, light install
#    (no node-llama-cpp / whisper.node; `prechew doctor` names them with the install command).
#  - mcpb validate on the manifest, mcpb pack, mcpb info; then the bundle is unpacked and its
#    entry point started the way the host does (node <entry> serve --stdio --root <dir>) and an
#    MCP client lists its tools and calls redact.
# The bundle holds native code built for THIS machine (better-sqlite3): build it on each
# platform it is for (macOS, Windows, Linux); the manifest's compatibility.platforms says which.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/prechew-mcpb.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
say() { echo "mcpb: $*"; }
fail() { echo "mcpb: FAIL: $*" >&2; exit 1; }

VERSION="$(node -p "require('./package.json').version")"
PLATFORM="$(node -p process.platform)"
ARCH="$(node -p process.arch)"
OUT="${1:-$REPO/dist/prechew-$VERSION-$PLATFORM-$ARCH.mcpb}"

say "installing @anthropic-ai/mcpb into $WORK/tool …"
mkdir -p "$WORK/tool" && (cd "$WORK/tool" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error @anthropic-ai/mcpb@2 >/dev/null)
MCPB=("$WORK/tool/node_modules/.bin/mcpb")

TARBALL="${PRECHEW_TARBALL:-}"
if [ -z "$TARBALL" ]; then
  npm pack --silent --pack-destination "$WORK" >/dev/null
  TARBALL="$(ls "$WORK"/prechew-*.tgz)"
fi
B="$WORK/bundle"
mkdir -p "$B"
(cd "$B" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error --omit=dev --omit=optional "$TARBALL" >/dev/null)
rm -f "$B/package-lock.json"
node -e '
const fs = require("fs");
const pkg = require(process.argv[1] + "/package.json");
const manifest = {
  manifest_version: "0.3",
  name: "prechew",
  display_name: "prechew — local preprocessing for AI",
  version: pkg.version,
  description: "Converts, dedupes, extracts, summarizes, redacts and condenses files and text on your own machine before anything reaches the model.",
  long_description: "prechew does the grunt work locally: condense long documents into cited, de-duplicated context for a question; convert PDF, DOCX, PPTX, XLSX, EPUB, HTML and more to Markdown; extract entities; dedupe; summarize; redact private data and restore it later. This bundle is the light install: the model-free tools. Local LLM and speech-to-text add-ons are optional (see `prechew doctor`).",
  author: { name: "prechew contributors" },
  license: pkg.license,
  keywords: ["preprocessing", "pdf", "redaction", "summarize", "condense", "privacy"],
  server: {
    type: "node",
    entry_point: "node_modules/prechew/dist/src/cli.js",
    mcp_config: {
      command: "node",
      args: ["${__dirname}/node_modules/prechew/dist/src/cli.js", "serve", "--stdio", "--root", "${user_config.folder}"],
      env: { PRECHEW_LOG_LEVEL: "warn" },
    },
  },
  user_config: {
    folder: {
      type: "directory",
      title: "Folder prechew may read",
      description: "prechew reads files only inside this folder (and inline text). Pick the folder with the documents you want it to work on.",
      required: true,
    },
  },
  compatibility: { platforms: [process.platform], runtimes: { node: ">=20.0.0" } },
};
fs.writeFileSync(process.argv[2], JSON.stringify(manifest, null, 2) + "\n");
' "$REPO" "$B/manifest.json"
# Tools as the manifest lists them (what the install dialog shows), from the installed package itself.
node --input-type=module -e '
import fs from "node:fs";
const [dir] = process.argv.slice(1);
const { allTools } = await import(dir + "/node_modules/prechew/dist/src/tools/registry.js");
const m = JSON.parse(fs.readFileSync(dir + "/manifest.json", "utf8"));
m.tools = allTools().map((t) => ({ name: t.name, description: t.summary }));
fs.writeFileSync(dir + "/manifest.json", JSON.stringify(m, null, 2) + "\n");
' "$B"

"${MCPB[@]}" validate "$B/manifest.json" || fail "mcpb validate"
mkdir -p "$(dirname "$OUT")"
"${MCPB[@]}" pack "$B" "$OUT" >"$WORK/pack.log" 2>&1 || { cat "$WORK/pack.log" >&2; fail "mcpb pack"; }
"${MCPB[@]}" info "$OUT" | head -20
say "bundle: $OUT ($(du -h "$OUT" | cut -f1))"

# Start the packed bundle the way a host does and talk MCP to it.
U="$WORK/unpacked"
"${MCPB[@]}" unpack "$OUT" "$U" >/dev/null || fail "mcpb unpack"
mkdir -p "$WORK/folder"
cp "$REPO/scripts/pack-check-client.mjs" "$U/client.mjs"
ENTRY="$U/node_modules/prechew/dist/src/cli.js"
chmod +x "$ENTRY"
RESULT="$(cd "$U" && PRECHEW_DATA_DIR="$WORK/data" node client.mjs "$ENTRY")" || fail "the unpacked bundle did not serve MCP over stdio"
node -e 'const r=JSON.parse(process.argv[1]); if (!r.tools.includes("condense") || r.redactIsError || !r.redacted) process.exit(1)' "$RESULT" || fail "tools/list + redact from the bundle: $RESULT"
say "unpacked bundle serves MCP over stdio: $RESULT"

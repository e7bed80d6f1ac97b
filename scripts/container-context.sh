#!/usr/bin/env bash
# Makes a build context for the Dockerfile: DIR/Dockerfile and DIR/app (prechew installed from a
# tarball packed from this repository: `npm pack`, whose prepack builds dist/). Light install by
# default (--omit=optional: no node-llama-cpp, no whisper.node); --full includes them.
# Usage: scripts/container-context.sh DIR [--full] [--tarball FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:?usage: scripts/container-context.sh DIR [--full] [--tarball FILE]}"
shift
OMIT=(--omit=optional)
TARBALL=""
while [ $# -gt 0 ]; do
  case "$1" in
    --full) OMIT=() ;;
    --tarball) TARBALL="$2"; shift ;;
    *) echo "container-context: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
if [ -z "$TARBALL" ]; then
  npm pack --silent --pack-destination "$DIR" >/dev/null
  TARBALL="$(ls "$DIR"/prechew-*.tgz | head -1)"
fi
rm -rf "$DIR/app"
mkdir -p "$DIR/app"
(cd "$DIR/app" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error --omit=dev "${OMIT[@]}" "$TARBALL" >/dev/null)
cp Dockerfile "$DIR/Dockerfile"
echo "container-context: $DIR (app: $(du -sh "$DIR/app" | cut -f1))"

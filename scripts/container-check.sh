#!/usr/bin/env bash
# `npm run container-check`: builds the Dockerfile on a locally made base image and runs it.
#  1. Base: a Debian bookworm root filesystem from debootstrap (minbase) plus the Node 20 binary
#     from the npm registry (the `node@20` package), imported into podman. Cached between runs
#     (PRECHEW_CONTAINER_CACHE, default /var/tmp/prechew-container; delete it to rebuild).
#  2. Context: scripts/container-context.sh (npm pack + light install of the tarball).
#  3. podman build --build-arg BASE=<local base>, then run it with a read-only root filesystem
#     and a data volume; checks the user is not root, the root filesystem is read-only, the
#     HEALTHCHECK passes, GET /healthz answers 200 with the token, and an MCP client lists the
#     tools and calls redact over HTTP.
# podman runs with --cgroup-manager=cgroupfs, the runc runtime and lowered ulimits (what works in
# a VM or container without systemd). Skips (exit 0, reason printed) where podman, debootstrap or
# root is missing or podman cannot run a container here. The image is built in Docker format
# (--format docker): the OCI format has no HEALTHCHECK. Slow (minutes): not part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
skip() { echo "container-check: SKIPPED: $*"; exit 0; }
fail() { echo "container-check: FAIL: $*" >&2; exit 1; }
say() { echo "container-check: $*"; }

command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
PODMAN=(podman --cgroup-manager=cgroupfs --runtime "$(command -v runc || echo runc)")
ULIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
command -v runc >/dev/null || skip "runc is not installed (apt-get install runc)"
"${PODMAN[@]}" info >/dev/null 2>&1 || skip "podman cannot start here: $("${PODMAN[@]}" info 2>&1 | tail -1)"

CACHE="${PRECHEW_CONTAINER_CACHE:-/var/tmp/prechew-container}"
BASE_IMAGE="localhost/prechew-base:bookworm-node20"
IMAGE="localhost/prechew:check"
NAME="prechew-check-$$"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/prechew-container.XXXXXX")"
cleanup() {
  "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
  "${PODMAN[@]}" volume rm -f "$NAME-data" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$CACHE"

# 1. The base image.
if ! "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  [ "$(id -u)" = 0 ] || skip "making the base with debootstrap needs root"
  command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
  ROOTFS="$CACHE/rootfs"
  if [ ! -x "$ROOTFS/usr/bin/apt-get" ] || [ ! -e "$ROOTFS/.complete" ]; then
    rm -rf "$ROOTFS"
    say "debootstrap bookworm (minbase) into $ROOTFS …"
    debootstrap --variant=minbase bookworm "$ROOTFS" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -5 "$CACHE/debootstrap.log" >&2; skip "debootstrap failed (no Debian mirror reachable?)"; }
    touch "$ROOTFS/.complete"
  fi
  if [ ! -x "$ROOTFS/usr/local/bin/node" ]; then
    say "Node 20 from the npm registry (node@20) …"
    mkdir -p "$WORK/node" && (cd "$WORK/node" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error node@20 >/dev/null) \
      || skip "could not install node@20 from the npm registry"
    install -m 0755 "$(readlink -f "$WORK/node/node_modules/node/bin/node")" "$ROOTFS/usr/local/bin/node"
  fi
  rm -rf "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/lib/apt/lists/"* 2>/dev/null || true
  say "importing the base image $BASE_IMAGE …"
  tar -C "$ROOTFS" --exclude=./.complete -c . | "${PODMAN[@]}" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BASE_IMAGE" >/dev/null
fi
say "base image: $BASE_IMAGE ($("${PODMAN[@]}" run --rm "${ULIMITS[@]}" --network none "$BASE_IMAGE" node --version))"

# 2. The build context.
# PRECHEW_CONTAINER_CONTEXT=DIR reuses a context made earlier by scripts/container-context.sh.
CTX="${PRECHEW_CONTAINER_CONTEXT:-$WORK/ctx}"
if [ -z "${PRECHEW_CONTAINER_CONTEXT:-}" ]; then
  "$REPO/scripts/container-context.sh" "$CTX" ${PRECHEW_CONTAINER_TARBALL:+--tarball "$PRECHEW_CONTAINER_TARBALL"}
fi

# 3. Build and run.
t0=$(date +%s)
"${PODMAN[@]}" build --format docker "${ULIMITS[@]}" --network none --build-arg BASE="$BASE_IMAGE" -t "$IMAGE" -f "$CTX/Dockerfile" "$CTX" >"$WORK/build.log" 2>&1 \
  || { tail -20 "$WORK/build.log" >&2; fail "podman build failed"; }
say "built $IMAGE in $(( $(date +%s) - t0 )) s ($("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))"

TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
"${PODMAN[@]}" volume create "$NAME-data" >/dev/null
RUN_ARGS=(-d --name "$NAME" "${ULIMITS[@]}" --read-only -e PRECHEW_TOKEN="$TOKEN" -v "$NAME-data:/data" -v "$REPO/models:/models:ro")
if ! "${PODMAN[@]}" run "${RUN_ARGS[@]}" -p "127.0.0.1:$PORT:7777" "$IMAGE" >/dev/null 2>"$WORK/run.err"; then
  # No container networking here (CNI/netavark, iptables): share the host's loopback instead.
  say "port publishing unavailable ($(tail -1 "$WORK/run.err")); using --network host on 127.0.0.1:$PORT"
  "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
  "${PODMAN[@]}" run "${RUN_ARGS[@]}" --network host -e PRECHEW_HOST=127.0.0.1 -e PRECHEW_PORT="$PORT" "$IMAGE" >/dev/null \
    || fail "podman run failed"
fi
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  STATUS="$(node -e 'fetch(process.argv[1],{headers:{authorization:"Bearer "+process.argv[2]}}).then(r=>console.log(r.status),()=>console.log(0))' "$URL/healthz" "$TOKEN")"
  [ "$STATUS" = 200 ] && break
  [ "$("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$NAME")" = true ] || { "${PODMAN[@]}" logs "$NAME" >&2; fail "the container exited"; }
  sleep 0.3
done
[ "$STATUS" = 200 ] || { "${PODMAN[@]}" logs "$NAME" >&2; fail "/healthz did not answer 200"; }
say "GET /healthz with the token: 200"
NOAUTH="$(node -e 'fetch(process.argv[1]).then(r=>console.log(r.status),()=>console.log(0))' "$URL/healthz")"
[ "$NOAUTH" = 401 ] || fail "/healthz without the token answered $NOAUTH, not 401"
"${PODMAN[@]}" healthcheck run "$NAME" >/dev/null || fail "the image's HEALTHCHECK failed"
say "HEALTHCHECK: healthy"
USER_ID="$("${PODMAN[@]}" exec "$NAME" node -e 'console.log(process.getuid())')"
[ "$USER_ID" != 0 ] || fail "the server runs as root"
if "${PODMAN[@]}" exec "$NAME" node -e 'require("fs").writeFileSync("/opt/prechew/x","")' 2>/dev/null; then fail "the root filesystem is writable"; fi
"${PODMAN[@]}" exec "$NAME" node -e 'require("fs").writeFileSync("/data/.w","")' || fail "/data is not writable"
say "runs as uid $USER_ID; root filesystem read-only; /data writable"
RESULT="$(cd "$REPO" && node scripts/container-check-client.mjs "$URL/mcp" "$TOKEN")" || fail "MCP client over HTTP"
node -e 'const r=JSON.parse(process.argv[1]); if (r.tools < 5 || r.redactIsError || !r.redacted) process.exit(1)' "$RESULT" || fail "tools/list + redact: $RESULT"
say "MCP over HTTP: tools/list and redact: ok ($RESULT)"
say "all checks passed"

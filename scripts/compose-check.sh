#!/usr/bin/env bash
# `npm run compose-check`: starts compose.yaml's three-node mesh with podman, without
# docker compose or podman-compose, and proves that a job offloads through the JetStream hub.
#  1. Images: the node image and the hub image (EXTRA_PACKAGES=nats-server, installed with apt
#     during the build) from the Dockerfile, on the Debian base that `npm run container-check`
#     makes and caches (made here through it when missing), tagged as compose.yaml names them.
#  2. A podman network, then hub, worker1 and worker2 as compose.yaml describes them: same
#     commands, environment, config files, volumes, hostnames, read-only root and /tmp tmpfs.
#     The workers reach the hub as `hub` (an --add-host entry: podman's CNI backend here has no
#     DNS); the ports are published on free loopback ports instead of 4222/7777/7778.
#  3. The introductions from compose.yaml's comments: `prechew id` in each container,
#     `prechew peers trust` of every other node's key in each, then a restart (hub, then workers).
#  4. An MCP client over HTTP to worker1's published port with the token runs extract-entities on
#     a generated text with offload "off" and then "auto": the results must be equal, the progress
#     messages must say units ran on JetStream, and `prechew peers --json` on worker1 must list
#     worker2 from the JetStream registry with units done.
# podman runs with --cgroup-manager=cgroupfs, the runc runtime and lowered ulimits, as in
# container-check. Containers, network and volumes are removed on exit. Skips (exit 0, reason
# printed) where podman cannot run here or the hub image cannot install nats-server (no Debian
# mirror reachable during the build). Slow (minutes): not part of `npm test`.
# PRECHEW_CONTAINER_CONTEXT=DIR reuses a context made by scripts/container-context.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
skip() { echo "compose-check: SKIPPED: $*"; exit 0; }
fail() { echo "compose-check: FAIL: $*" >&2; exit 1; }
T_START=$(date +%s)
say() { echo "compose-check: [$(( $(date +%s) - T_START ))s] $*"; }

command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
command -v runc >/dev/null || skip "runc is not installed (apt-get install runc)"
PODMAN=(podman --cgroup-manager=cgroupfs --runtime "$(command -v runc)")
ULIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
"${PODMAN[@]}" info >/dev/null 2>&1 || skip "podman cannot start here: $("${PODMAN[@]}" info 2>&1 | tail -1)"

BASE_IMAGE="localhost/prechew-base:bookworm-node20"
NODE_IMAGE="localhost/prechew:latest"     # compose.yaml's image names
HUB_IMAGE="localhost/prechew-hub:latest"
P="prechew-compose-$$"
NET="$P"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/prechew-compose.XXXXXX")"
SERVICES=(hub worker1 worker2)
dump_logs() {
  grep -v 'systemd connection' "$WORK/podman.err" >&2 2>/dev/null || true
  for s in "${SERVICES[@]}"; do
    echo "--- $s (last 30 lines)" >&2
    "${PODMAN[@]}" logs --tail 30 "$P-$s" >&2 2>&1 || true
  done
}
cleanup() {
  for s in "${SERVICES[@]}"; do "${PODMAN[@]}" rm -f -t 2 "$P-$s" >/dev/null 2>&1 || true; done
  for s in "${SERVICES[@]}"; do "${PODMAN[@]}" volume rm -f "$P-$s-data" >/dev/null 2>&1 || true; done
  "${PODMAN[@]}" network rm -f "$NET" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# 1. Images.
if ! "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  say "no base image $BASE_IMAGE yet: making it with scripts/container-check.sh …"
  bash "$REPO/scripts/container-check.sh" || fail "container-check (which makes the base image) failed"
  "${PODMAN[@]}" image exists "$BASE_IMAGE" || skip "container-check made no base image (see its skip reason above)"
fi
CTX="${PRECHEW_CONTAINER_CONTEXT:-$WORK/ctx}"
if [ -z "${PRECHEW_CONTAINER_CONTEXT:-}" ]; then
  "$REPO/scripts/container-context.sh" "$CTX"
fi
[ -d "$CTX/app" ] && [ -f "$CTX/Dockerfile" ] || fail "$CTX is not a build context (scripts/container-context.sh DIR)"
t0=$(date +%s)
"${PODMAN[@]}" build --format docker "${ULIMITS[@]}" --network none --build-arg BASE="$BASE_IMAGE" \
  -t "$NODE_IMAGE" -f "$CTX/Dockerfile" "$CTX" >"$WORK/build-node.log" 2>&1 \
  || { tail -20 "$WORK/build-node.log" >&2; fail "podman build (node image) failed"; }
say "built $NODE_IMAGE in $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
if ! "${PODMAN[@]}" build --format docker "${ULIMITS[@]}" --build-arg BASE="$BASE_IMAGE" --build-arg EXTRA_PACKAGES=nats-server \
  -t "$HUB_IMAGE" -f "$CTX/Dockerfile" "$CTX" >"$WORK/build-hub.log" 2>&1; then
  tail -20 "$WORK/build-hub.log" >&2
  if grep -qE "Temporary failure resolving|Could not resolve|Unable to locate package nats-server|Failed to fetch" "$WORK/build-hub.log"; then
    skip "the hub image needs nats-server from a Debian mirror during the build, and apt could not get it"
  fi
  fail "podman build (hub image, EXTRA_PACKAGES=nats-server) failed"
fi
say "built $HUB_IMAGE in $(( $(date +%s) - t0 )) s ($("${PODMAN[@]}" run --rm "${ULIMITS[@]}" --network none --entrypoint nats-server "$HUB_IMAGE" --version))"

# 2. Network, volumes, containers.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
HUB_PORT="$(free_port)"
W1_PORT="$(free_port)"
W2_PORT="$(free_port)"
TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"${PODMAN[@]}" network create "$NET" >/dev/null || fail "podman network create failed"
# The hub keeps one address across restarts (podman gives a restarted container a new one), so the
# workers' `hub` entry stays right: the .250 host of the network's subnet.
SUBNET="$("${PODMAN[@]}" network inspect -f '{{range .Subnets}}{{.Subnet}} {{end}}' "$NET" | awk '{print $1}')"
case "$SUBNET" in
  */24) HUB_IP="${SUBNET%.*/24}.250" ;;
  *) fail "unexpected subnet for $NET: $SUBNET" ;;
esac
for s in "${SERVICES[@]}"; do "${PODMAN[@]}" volume create "$P-$s-data" >/dev/null; done
# x-node in compose.yaml: read_only, tmpfs /tmp, restart unless-stopped, PRECHEW_TOKEN and PRECHEW_CONFIG.
COMMON=(-d "${ULIMITS[@]}" --network "$NET" --read-only --tmpfs /tmp --restart unless-stopped
  -e PRECHEW_TOKEN="$TOKEN" -e PRECHEW_CONFIG=/etc/prechew/mcp.config.json)
# compose.yaml's healthcheck for the hub (podman 4.3 takes --health-cmd as a shell command only).
HUB_HEALTH='node -e "require(\"net\").connect(4222,\"127.0.0.1\").on(\"connect\",()=>process.exit(0)).on(\"error\",()=>process.exit(1))"'
start_hub() {
  "${PODMAN[@]}" run "${COMMON[@]}" --name "$P-hub" --hostname hub --ip "$HUB_IP" --health-cmd "$HUB_HEALTH" \
    -v "$REPO/container/hub.config.json:/etc/prechew/mcp.config.json:ro" -v "$P-hub-data:/data" \
    -p "127.0.0.1:$HUB_PORT:4222" "$HUB_IMAGE" hub >/dev/null 2>>"$WORK/podman.err"
}
start_worker() { # name port
  "${PODMAN[@]}" run "${COMMON[@]}" --name "$P-$1" --hostname "$1" --add-host "hub:$HUB_IP" \
    -v "$REPO/container/mesh.config.json:/etc/prechew/mcp.config.json:ro" -v "$REPO/models:/models:ro" \
    -v "$P-$1-data:/data" -p "127.0.0.1:$2:7777" "$NODE_IMAGE" serve --http >/dev/null 2>>"$WORK/podman.err"
}
wait_for() { # description, seconds, command…
  local what="$1" limit="$2"; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { dump_logs; fail "timed out after $limit s waiting for $what"; }
    sleep 0.5
  done
}
hub_listening() { [ "$("${PODMAN[@]}" logs "$P-hub" 2>&1 | grep -c 'listening on')" -ge "${1:-1}" ]; }
healthz() { node -e 'fetch(process.argv[1],{headers:{authorization:"Bearer "+process.argv[2]}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$1/healthz" "$TOKEN"; }

t0=$(date +%s)
start_hub || { dump_logs; fail "podman run hub failed"; }
wait_for "the hub to listen" 60 hub_listening 1
start_worker worker1 "$W1_PORT" || { dump_logs; fail "podman run worker1 failed"; }
start_worker worker2 "$W2_PORT" || { dump_logs; fail "podman run worker2 failed"; }
wait_for "worker1 /healthz" 60 healthz "$W1_PORT"
wait_for "worker2 /healthz" 60 healthz "$W2_PORT"
say "hub ($HUB_IP, NATS on 127.0.0.1:$HUB_PORT), worker1 (127.0.0.1:$W1_PORT), worker2 (127.0.0.1:$W2_PORT) up in $(( $(date +%s) - t0 )) s"
for s in "${SERVICES[@]}"; do
  [ "$("${PODMAN[@]}" exec "$P-$s" id -u)" != 0 ] || fail "$s runs as root"
  if "${PODMAN[@]}" exec "$P-$s" sh -c ': > /opt/prechew/x' 2>/dev/null; then fail "$s: the root filesystem is writable"; fi
done
say "all three run as uid 10001 with a read-only root filesystem"
# podman schedules healthchecks with systemd timers, absent here: run each once.
for s in "${SERVICES[@]}"; do
  "${PODMAN[@]}" healthcheck run "$P-$s" >/dev/null 2>&1 || fail "$s: its healthcheck failed"
done
say "healthchecks: hub (NATS port), worker1 and worker2 (/healthz): healthy"

# 3. Introductions, as compose.yaml's comments give them.
declare -A KEY
for s in "${SERVICES[@]}"; do
  KEY[$s]="$("${PODMAN[@]}" exec "$P-$s" prechew id | grep '^prechew1\.' | tail -1 | cut -d' ' -f1)"
  [ -n "${KEY[$s]}" ] || fail "prechew id printed no node key in $s"
done
for s in "${SERVICES[@]}"; do
  for o in "${SERVICES[@]}"; do
    [ "$s" = "$o" ] && continue
    "${PODMAN[@]}" exec "$P-$s" prechew peers trust "${KEY[$o]}" --name "$o" >/dev/null || fail "prechew peers trust $o on $s"
  done
done
say "each node trusts the other two (prechew id, prechew peers trust)"
t0=$(date +%s)
"${PODMAN[@]}" restart -t 5 "$P-hub" >/dev/null 2>>"$WORK/podman.err" || fail "podman restart hub"
wait_for "the hub to listen again" 60 hub_listening 2
"${PODMAN[@]}" logs "$P-hub" 2>&1 | grep 'listening on' | tail -1 | grep -q '2 trusted node' \
  || { dump_logs; fail "the restarted hub does not list 2 trusted nodes"; }
"${PODMAN[@]}" restart -t 5 "$P-worker1" "$P-worker2" >/dev/null 2>>"$WORK/podman.err" || fail "podman restart workers"
wait_for "worker1 /healthz after the restart" 60 healthz "$W1_PORT"
wait_for "worker2 /healthz after the restart" 60 healthz "$W2_PORT"
peers_json() { "${PODMAN[@]}" exec "$P-worker1" prechew peers --json; }
registry_has_worker2() { peers_json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).peers.filter(p=>p.source==="jetstream"&&p.name==="worker2");process.exit(p.length?0:1)})'; }
wait_for "worker2 in worker1's JetStream registry" 60 registry_has_worker2
say "restarted (hub with 2 trusted nodes, then the workers); worker1 sees worker2 in the JetStream registry ($(( $(date +%s) - t0 )) s)"

# 4. A job from worker1.
peers_json >"$WORK/peers-before.json" 2>&1 || true
RESULT="$(node "$REPO/scripts/compose-check-client.mjs" "http://127.0.0.1:$W1_PORT/mcp" "$TOKEN" "${PRECHEW_COMPOSE_LINES:-29000}")" \
  || { dump_logs; fail "the MCP client over HTTP failed"; }
say "extract-entities from worker1: $RESULT"
node -e 'const r=JSON.parse(process.argv[1]); process.exit(r.equal && r.onJetStream && r.units > 1 && r.total > 0 ? 0 : 1)' "$RESULT" \
  || { cat "$WORK/peers-before.json" >&2; dump_logs; fail "the offloaded result differs from the local one, or no unit ran on JetStream"; }
PEERS="$(peers_json)"
W2_DONE="$(node -e 'const p=JSON.parse(process.argv[1]).peers.find(p=>p.source==="jetstream"&&p.name==="worker2"); console.log(p?p.unitsDone:0)' "$PEERS")"
[ "$W2_DONE" -gt 0 ] || { echo "$PEERS" >&2; dump_logs; fail "worker2 did no unit (prechew peers on worker1)"; }
say "prechew peers on worker1: worker2 (jetstream) has done $W2_DONE unit(s)"
say "all checks passed in $(( $(date +%s) - T_START )) s"

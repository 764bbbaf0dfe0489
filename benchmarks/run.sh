#!/usr/bin/env bash
# Starts SocialChat for a benchmark, runs one load-tool scenario against it, and stops everything it started.
#
#   benchmarks/run.sh [--replicas N] [--peer socketio|signalr-floor] [--floor-layers jwt,backplane] [--api-from DIR] [--realtime-from DIR] <connect|chat|api|commit|group> [load tool options…]
#
# The app host brings up PostgreSQL, Redis, the Worker, the Api and Realtime ×2 (Release build, free ports,
# state in .state-bench/, emptied first unless BENCH_STATE_DIR names a state folder to keep); with --replicas N > 2 this script starts Realtime replicas 2…N-1 itself, with the
# same environment as replica 0 on ports of their own. With --peer socketio the load goes to the Node.js + Socket.IO
# peer (benchmarks/peer-socketio) instead: N peer processes (2 by default) with replica 0's database, Redis and
# signing key, each on a port of its own (node's own flags from PEER_NODE_ARGS, e.g. --trace-gc); the app host still provides PostgreSQL, Redis, migrations and the Api (seeding
# checks, catch-up reads). With --peer signalr-floor the connections go to benchmarks/signalr-floor instead: SignalR with
# nothing of SocialChat's on it, plus the stock layers --floor-layers names (connect only). With --api-from DIR the load
# goes to one more Api, started from the publish folder DIR (e.g. deploy.sh --publish-only's api/) with the app host's
# Api environment, right before the scenario: a fresh process, as after a deployed restart. With --realtime-from DIR all N
# Realtime nodes are started from the publish folder DIR (e.g. deploy.sh --publish-only's realtime/), with replica 0's
# environment, and the app host's two stay up, idle. Limits it raises for the run (this shell only):
# open files up to the hard limit (20,000 here). The ephemeral port range is left as it is: the load tool
# spreads its connections over source addresses 127.0.0.2, .3, … instead (BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

replicas=2
peer=
floor_layers=
api_from=
realtime_from=
while [[ "${1:-}" == --* ]]; do
  case $1 in
    --replicas) replicas=$2; shift 2 ;;
    --peer) peer=$2; shift 2 ;;
    --floor-layers) floor_layers=$2; shift 2 ;;
    --api-from) api_from=$(realpath "$2"); shift 2 ;;
    --realtime-from) realtime_from=$(realpath "$2"); shift 2 ;;
    *) break ;;
  esac
done
[[ -z "$peer" || "$peer" == socketio || "$peer" == signalr-floor ]] || { echo "--peer: socketio or signalr-floor"; exit 2; }
scenario=${1:?usage: benchmarks/run.sh [--replicas N] [--peer socketio|signalr-floor] [--floor-layers jwt,backplane] [--api-from DIR] [--realtime-from DIR] <connect|chat|api|commit|group> [options]}; shift
[[ "$peer" != signalr-floor || "$scenario" == connect ]] || { echo "--peer signalr-floor: its hub answers connect only"; exit 2; }
[[ -z "$peer" || -z "$realtime_from" ]] || { echo "--realtime-from: SocialChat's nodes only, not with --peer"; exit 2; }

ulimit -n "$(ulimit -Hn)"
# The services record and export no telemetry, like the peer: exporting every span and metric to the dashboard each
# second cost SocialChat more than half its p99 at 50 msg/s (BENCHMARKS.md). BENCH_TELEMETRY=1 keeps it on.
[[ "${BENCH_TELEMETRY:-}" == 1 ]] || export OTEL_SDK_DISABLED=true
command -v jq >/dev/null || apt-get install -y jq
scripts/install-prerequisites.sh >/dev/null

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Each run starts from an empty database and Redis: what earlier runs left (gigabytes of messages, Redis's AOF) slowed
# later ones down.
if [[ -n "${BENCH_STATE_DIR:-}" ]]; then state=$BENCH_STATE_DIR; else state=$PWD/.state-bench; rm -rf "$state"; fi
mkdir -p "$state"
port_is_free() { python3 -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
api_port=$(free_port); dashboard_port=$(free_port)
# The app host puts realtime-1 on the port after realtime-0's: both must be free.
realtime_port=$(free_port); until port_is_free $((realtime_port + 1)); do realtime_port=$(free_port); done

# BENCH_NO_BUILD=1 reuses the last Release build (repeated runs on a busy machine).
[[ "${BENCH_NO_BUILD:-}" == 1 ]] || echo "building (Release)…"
[[ "${BENCH_NO_BUILD:-}" == 1 ]] || for project in SocialChat.AppHost SocialChat.Worker SocialChat.Api SocialChat.Realtime SocialChat.LoadTest; do
  dotnet build -c Release "$project" -v quiet -nologo >/dev/null
done

[[ "$peer" != signalr-floor || "${BENCH_NO_BUILD:-}" == 1 ]] || dotnet build -c Release benchmarks/signalr-floor -v quiet -nologo >/dev/null
if [[ "$peer" == socketio ]]; then
  peer_dir=benchmarks/peer-socketio
  # npm ci when the lock file is newer than the installed packages (or nothing is installed yet).
  [[ "$peer_dir/node_modules/.package-lock.json" -nt "$peer_dir/package-lock.json" ]] ||
    (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

extra_pids=()
cleanup() {
  for pid in "${extra_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [[ -n "${apphost:-}" ]] && kill -TERM "$apphost" 2>/dev/null && wait "$apphost" 2>/dev/null || true
}
trap cleanup EXIT

dotnet run -c Release --no-build --project SocialChat.AppHost -- \
  --port "api=$api_port" --port "realtime=$realtime_port" --port "dashboard=$dashboard_port" --state-dir "$state" \
  >"$state/apphost.log" 2>&1 &
apphost=$!

resources() { curl -sf "http://127.0.0.1:$dashboard_port/api/resources" || echo '[]'; }
echo "starting the system (log: $state/apphost.log)…"
for _ in $(seq 1 180); do
  healthy=$(resources | jq '[.[] | select(.resourceType == "Project" and .state == "Running" and (.health == "Healthy" or .health == 2))] | length')
  [[ "$healthy" -ge 4 ]] && break
  kill -0 "$apphost" 2>/dev/null || { tail -n 30 "$state/apphost.log"; exit 1; }
  sleep 1
done
[[ "$healthy" -ge 4 ]] || { echo "the system did not become healthy in 3 minutes"; exit 1; }

realtime0=$(resources | jq -r '.[] | select(.name == "realtime-0") | .pid')
env_of() { tr '\0' '\n' </proc/"$realtime0"/environ | sed -n "s/^$1=//p"; }
realtime_urls="http://127.0.0.1:$realtime_port,http://127.0.0.1:$((realtime_port + 1))"

# Replicas past the app host's two (with --realtime-from, all of them): the same environment as replica 0, a port and
# instance id of their own.
mapfile -d '' environment </proc/"$realtime0"/environ
server=signalr
[[ "$peer" != socketio ]] || server=socketio
# Waits until process PID answers /health on PORT (polled every 20 ms, for at most a minute); when it dies or does not
# answer in time, prints the tail of its LOG and stops the run.
wait_healthy() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 3000); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "nothing healthy on port $port within a minute; the end of $log:"
  tail -n 30 "$log"
  exit 1
}
# A peer's processes get replica 0's database, Redis and signing key, and nothing else of its environment.
start_peer_node() {
  local port=$1
  if [[ "$peer" == socketio ]]; then
    cd "$peer_dir" && exec env -i PATH="$PATH" PORT="$port" ConnectionStrings__socialdb="$(env_of ConnectionStrings__socialdb)" \
      ConnectionStrings__cache="$(env_of ConnectionStrings__cache)" Jwt__SigningKey="$(env_of Jwt__SigningKey)" node ${PEER_NODE_ARGS:-} server.js
  else
    cd benchmarks/signalr-floor && exec env -i PATH="$PATH" HOME="$HOME" ASPNETCORE_URLS="http://127.0.0.1:$port" Layers="$floor_layers" \
      ConnectionStrings__cache="$(env_of ConnectionStrings__cache)" Jwt__SigningKey="$(env_of Jwt__SigningKey)" dotnet bin/Release/net10.0/SignalRFloor.dll
  fi
}
if [[ -n "$peer" ]]; then
  realtime_urls=
  for node in $(seq 0 $((replicas - 1))); do
    port=$(free_port)
    (start_peer_node "$port" >"$state/$peer-$node.log" 2>&1) &
    extra_pids+=($!)
    realtime_urls+="${realtime_urls:+,}http://127.0.0.1:$port"
    wait_healthy "$port" "$!" "$state/$peer-$node.log"
  done
fi
# With a peer, the app host's own two Realtime nodes stay up, idle, and no more are started.
last_replica=$((replicas - 1)); [[ -z "$peer" ]] || last_replica=1
first_replica=2; realtime_program=$PWD/SocialChat.Realtime/bin/Release/net10.0
[[ -z "$realtime_from" ]] || { first_replica=0; realtime_program=$realtime_from; realtime_urls=; }
for replica in $(seq "$first_replica" "$last_replica"); do
  port=$(free_port)
  (cd "$realtime_program" && exec env -i "${environment[@]}" ASPNETCORE_URLS="http://127.0.0.1:$port" \
    OTEL_RESOURCE_ATTRIBUTES="service.instance.id=realtime-$replica${realtime_from:+-published}" \
    dotnet SocialChat.Realtime.dll >"$state/realtime-$replica.log" 2>&1) &
  extra_pids+=($!)
  realtime_urls+="${realtime_urls:+,}http://127.0.0.1:$port"
  wait_healthy "$port" "$!" "$state/realtime-$replica.log"
done

app_host_api_port=$api_port
if [[ -n "$api_from" ]]; then
  api_pid=$(resources | jq -r '.[] | select(.name == "api") | .pid')
  mapfile -d '' api_environment </proc/"$api_pid"/environ
  api_port=$(free_port)
  started=$(date +%s%N)
  (cd "$api_from" && exec env -i "${api_environment[@]}" ASPNETCORE_URLS="http://127.0.0.1:$api_port" \
    dotnet SocialChat.Api.dll >"$state/api-from.log" 2>&1) &
  extra_pids+=($!)
  wait_healthy "$api_port" "$!" "$state/api-from.log"
  echo "Api from $api_from: healthy $((($(date +%s%N) - started) / 1000000)) ms after its start"
fi
# The app host polls each of its services' /health every 5 s, and ~150 s after start the runtime recompiles that path
# (middleware, rate limiter, authentication, the PostgreSQL and Redis checks: ~950 methods in the Api, 0.5–0.8 CPU s),
# instrumented after 30 calls, optimized after 30 more: mid-ramp, a stall for whichever server is measured
# (BENCHMARKS.md). Enough calls now, apart from the startup's own compiling, do it before the scenario.
warm_health() {
  for _ in 1 2 3; do
    for _ in $(seq 1 80); do curl -sf "http://127.0.0.1:$1/health" >/dev/null; done
    sleep 2
  done
}
warming=()
for port in "$app_host_api_port" "$realtime_port" "$((realtime_port + 1))"; do warm_health "$port" & warming+=($!); done
wait "${warming[@]}"
echo "Realtime ($server): $realtime_urls"
dotnet SocialChat.LoadTest/bin/Release/net10.0/SocialChat.LoadTest.dll "$scenario" --server "$server" \
  --api "http://127.0.0.1:$api_port" --realtime "$realtime_urls" \
  --postgres "$(env_of ConnectionStrings__socialdb)" --redis "$(env_of ConnectionStrings__cache)" \
  --jwt-signing-key "$(env_of Jwt__SigningKey)" "$@"

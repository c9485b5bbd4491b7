#!/usr/bin/env bash
# Start (or reuse) a local Redis Cluster for the tests: three masters and three replicas of Debian's
# redis-server on 127.0.0.1, ports BASE..BASE+5 (BASE is $1, default 7001), no persistence
# (--save "" --appendonly no; only each node's nodes.conf is kept), cluster-node-timeout 2000 ms so a
# replica is promoted about two seconds after its master dies. Each node runs in
# /tmp/tqe-redis-cluster-BASE/PORT (its log is redis.log there).
#
# Idempotent: nodes that answer are left alone; a node that does not (e.g. one a failover test killed)
# is started again in its own directory and rejoins (as a replica) from its nodes.conf; the cluster
# is created only when no slot is assigned yet. It returns once CLUSTER INFO says cluster_state:ok on
# every node and every master has a replica, and prints the node list for REDIS_CLUSTER_NODES:
#   export REDIS_CLUSTER_NODES=$(test/cluster/start-local-cluster.sh)
# Stop: test/cluster/start-local-cluster.sh BASE stop   (shuts the nodes down, keeps nothing)
set -euo pipefail
BASE="${1:-7001}"
ACTION="${2:-start}"
HOST=127.0.0.1
ROOT="/tmp/tqe-redis-cluster-${BASE}"
PORTS=()
for i in 0 1 2 3 4 5; do PORTS+=("$((BASE + i))"); done

cli() { redis-cli -h "$HOST" -p "$1" "${@:2}"; }
answers() { [ "$(cli "$1" ping 2>/dev/null)" = "PONG" ]; }
info_field() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

if [ "$ACTION" = "stop" ]; then
  for p in "${PORTS[@]}"; do answers "$p" && cli "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$ROOT"
  exit 0
fi

command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }

for p in "${PORTS[@]}"; do
  answers "$p" && continue
  mkdir -p "$ROOT/$p"
  redis-server --daemonize yes --bind "$HOST" --port "$p" --dir "$ROOT/$p" --logfile "$ROOT/$p/redis.log" \
    --pidfile "$ROOT/$p/redis.pid" --cluster-enabled yes --cluster-config-file nodes.conf \
    --cluster-node-timeout 2000 --save "" --appendonly no >/dev/null
done
for p in "${PORTS[@]}"; do
  for _ in $(seq 1 100); do answers "$p" && break; sleep 0.1; done
  answers "$p" || { echo "redis-server on $HOST:$p did not start; see $ROOT/$p/redis.log" >&2; exit 1; }
done

if [ "$(info_field "${PORTS[0]}" cluster_slots_assigned)" = "0" ]; then
  nodes=()
  for p in "${PORTS[@]}"; do nodes+=("$HOST:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$ROOT/create.log" 2>&1 ||
    { echo "redis-cli --cluster create failed; see $ROOT/create.log (remove $ROOT and stop the nodes to start afresh)" >&2; exit 1; }
fi

# Ready: every node sees the cluster ok, all six nodes, and three masters each with a linked replica.
ready() {
  for p in "${PORTS[@]}"; do
    [ "$(info_field "$p" cluster_state)" = "ok" ] || return 1
    [ "$(info_field "$p" cluster_known_nodes)" = "6" ] || return 1
  done
  local masters replicas
  masters=$(cli "${PORTS[0]}" cluster nodes | grep -v fail | grep -c master || true)
  replicas=$(cli "${PORTS[0]}" cluster nodes | grep -v fail | grep -c slave || true)
  [ "$masters" = "3" ] && [ "$replicas" = "3" ] || return 1
  for p in "${PORTS[@]}"; do
    if cli "$p" info replication | tr -d '\r' | grep -q '^role:slave'; then
      cli "$p" info replication | tr -d '\r' | grep -q '^master_link_status:up' || return 1
    fi
  done
}
for _ in $(seq 1 300); do ready && break; sleep 0.1; done
ready || { echo "Redis Cluster on $HOST:${PORTS[0]}-${PORTS[5]} did not become ready (cluster_state:ok, 3 masters + 3 linked replicas) within 30 s; see $ROOT/*/redis.log" >&2; exit 1; }

list=""
for p in "${PORTS[@]}"; do list="${list:+$list,}$HOST:$p"; done
echo "$list"

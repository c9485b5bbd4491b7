#!/usr/bin/env bash
# Install a Docker engine and Compose v2 from Debian's archive and start dockerd by hand, for the
# compose smoke test on a Debian 12 machine without systemd (run as root):
#
#   test/compose/install-engine.sh && test/compose/build-base-images.sh
#   npm run test:compose -- --base-image tq-entra-base/node:20 --redis-image tq-entra-base/redis:7
#
# Debian 12 has docker.io 20.10 but only Compose v1 (docker-compose 1.29, which cannot read
# docker-compose.yml); Debian 13's docker-compose package is Compose v2 (2.26), a Go binary that
# needs only libc6 >= 2.34, so its .deb is fetched from the trixie suite with a private apt list
# (the system's sources are left alone) and installed with dpkg. It provides both `docker-compose`
# and the `docker compose` plugin. dockerd logs to /var/log/dockerd-smoke.log.
set -euo pipefail
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export DEBIAN_FRONTEND=noninteractive

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io debootstrap iptables >/dev/null
fi

compose_ok() {
  local v
  v=$(docker compose version --short 2>/dev/null || true)
  [[ "$v" =~ ^v?2\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 24 ]
}
if ! compose_ok; then
  apt_dir=$(mktemp -d)
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/lists/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" >"$apt_dir/sources.list"
  opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists")
  apt-get "${opts[@]}" update -qq
  (cd "$apt_dir" && apt-get "${opts[@]}" download docker-compose >/dev/null 2>&1)
  dpkg -i "$apt_dir"/docker-compose_*.deb >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  nohup dockerd >/var/log/dockerd-smoke.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
echo "Docker engine $(docker version --format '{{.Server.Version}}'), Compose $(docker compose version --short)"

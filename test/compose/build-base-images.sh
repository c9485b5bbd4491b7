#!/usr/bin/env bash
# Build the two base images the compose smoke test needs, from Debian's archive alone, for machines
# that reach no container registry:
#
#   tq-entra-base/node:20   Debian bookworm (minbase) + this machine's Node.js (>= 20.19: Debian 12's
#                           own nodejs is 18) and npm + a `node` user (uid 1000), like node:20-bookworm-slim,
#                           trusting this machine's CA bundle (for `npm ci` behind a TLS-inspecting proxy)
#   tq-entra-base/redis:7   Debian bookworm (minbase) + Debian's redis-server 7.0, like redis:7-alpine
#
#   test/compose/build-base-images.sh [--rootfs DIR] [--node-image NAME] [--redis-image NAME]
#   npm run test:compose -- --base-image tq-entra-base/node:20 --redis-image tq-entra-base/redis:7
#
# Needs root, debootstrap and a running Docker engine. The debootstrapped tree is kept in --rootfs
# (default /var/tmp/tq-entra-rootfs) and reused by the next run.
set -euo pipefail

ROOTFS=/var/tmp/tq-entra-rootfs
NODE_IMAGE=tq-entra-base/node:20
REDIS_IMAGE=tq-entra-base/redis:7
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
while [ $# -gt 0 ]; do
  case "$1" in
    --rootfs) ROOTFS=$2; shift 2 ;;
    --node-image) NODE_IMAGE=$2; shift 2 ;;
    --redis-image) REDIS_IMAGE=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

NODE_BIN=$(command -v node)
NODE_VERSION=$("$NODE_BIN" -p 'process.versions.node')
if ! "$NODE_BIN" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "this machine's Node.js is $NODE_VERSION; the image needs >= 20.19" >&2
  exit 1
fi
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")

if [ ! -x "$ROOTFS/usr/bin/redis-server" ]; then
  echo "debootstrap bookworm (minbase + ca-certificates, redis) into $ROOTFS"
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase --include=ca-certificates,redis-server,redis-tools bookworm "$ROOTFS" "$MIRROR" >/dev/null
  chroot "$ROOTFS" apt-get clean
  rm -rf "$ROOTFS"/var/lib/apt/lists/*
fi

# Importing again under the same name leaves the previous image dangling: remove it afterwards.
replace_image() {
  local name=$1 old new
  old=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
  shift
  new=$("$@")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "redis image $REDIS_IMAGE ($(chroot "$ROOTFS" redis-server --version | cut -d' ' -f1-3))"
mkdir -p "$ROOTFS/data"
tar -C "$ROOTFS" -cf "$work/redis.tar" .
replace_image "$REDIS_IMAGE" docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'WORKDIR /data' --change 'EXPOSE 6379' --change 'CMD ["redis-server", "--protected-mode", "no"]' \
  "$work/redis.tar" "$REDIS_IMAGE"

echo "node image $NODE_IMAGE (Node.js $NODE_VERSION from $NODE_BIN, npm $(npm --version))"
root="$work/node-root"
cp -a "$ROOTFS" "$root"
rm -rf "$root/data"
cp "$NODE_BIN" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# A `node` user and group (uid/gid 1000), as in the official image.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# Trust what this machine trusts: where the npm registry is reached through a TLS-inspecting proxy,
# its CA is in the host's bundle only, and `npm ci` in the Dockerfile needs it. Node reads it through
# NODE_EXTRA_CA_CERTS (set below).
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
tar -C "$root" -cf "$work/base.tar" .
replace_image "$NODE_IMAGE" docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$NODE_VERSION" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$work/base.tar" "$NODE_IMAGE"
docker run --rm "$NODE_IMAGE" sh -c 'node --version && npm --version && id node' | tr '\n' ' '
echo

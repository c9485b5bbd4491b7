# threatq-entra-sync: one image for every role (worker, scheduler, dashboard, sync, emulators).
# The service runs its TypeScript through tsx, a runtime dependency, so there is no build step and
# `npm ci --omit=dev` installs everything it needs. Runs as the unprivileged `node` user.
#
#   docker build -t threatq-entra-sync .
#   docker run --rm -v "$PWD/config:/etc/tq-entra:ro" \
#     -e TQ_ENTRA_CONFIG=/etc/tq-entra/config.yaml -e REDIS_URL=redis://redis:6379 threatq-entra-sync worker
#
# BASE_IMAGE: any Debian-like image with Node.js >= 20.19 and npm on PATH and a `node` user (the
# default is the official one); `--build-arg BASE_IMAGE=…` names a locally built one where no
# registry is reachable (test/compose/build-base-images.sh).
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    LOG_FORMAT=json

WORKDIR /app

# Dependencies first, so code changes reuse this layer. Install scripts are not needed (esbuild,
# msgpackr and tsx work from their prebuilt binaries) and are not run.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit \
 && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY config/example.yaml config/demo.yaml ./config/

# Build the CLI bundle now (bin/cli-bundle.js), so containers start from plain JavaScript; the
# image's files stay read-only for the `node` user.
RUN node bin/tq-entra.js --version

# The demo's Graph emulator keeps its TLS key and certificate in graph-state and writes its CA
# certificate to graph-ca (named volumes in docker-compose.yml, which take this ownership).
RUN mkdir -p /var/lib/tq-entra/graph-ca /var/lib/tq-entra/graph-state \
 && chown -R node:node /var/lib/tq-entra && chmod 700 /var/lib/tq-entra/graph-state

USER node

# 3000: dashboard (/queues, /metrics, /healthz, /readyz); 9464: a worker's /metrics, /healthz, /readyz.
EXPOSE 3000 9464

ENTRYPOINT ["node", "bin/tq-entra.js"]
CMD ["--help"]

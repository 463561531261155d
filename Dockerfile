# A nentang gateway node (docs/deploy.md). Build: docker build -t nentang .   Run: see compose.yaml.
# Node 24 runs the TypeScript sources as they are (type stripping); isolated-vm needs --no-node-snapshot.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
# better-sqlite3 and isolated-vm are native modules: compiled here when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    NENTANG_HOST=0.0.0.0 \
    NENTANG_PORT=3000 \
    NENTANG_DATA_DIR=/var/lib/nentang
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY cli ./cli
COPY client ./client
COPY console ./console
COPY core ./core
COPY platform ./platform
COPY plugins ./plugins
COPY registry ./registry
COPY sandbox ./sandbox
COPY sdk ./sdk
RUN mkdir -p /var/lib/nentang && chown node:node /var/lib/nentang
# Never root: the image's own unprivileged user.
USER node
EXPOSE 3000
VOLUME ["/var/lib/nentang"]
# Ready means: migrated, database answering, not draining (a node on SIGTERM answers 503 here first).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.NENTANG_PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests (NENTANG_SHUTDOWN_TIMEOUT) before the node exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--no-node-snapshot", "cli/nentang.ts"]
CMD ["start"]

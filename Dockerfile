# Phone OTP Auth: one stateless instance (docs/deployment.md). Build: docker build -t otp-auth .
# Migrations run as their own one-shot container before the instances start:
#   docker run --rm -e NODE_ENV=production -e DATABASE_URL=postgres://… otp-auth \
#     node node_modules/typeorm/cli.js migration:run -d dist/src/database/data-source.js
# test/container.e2e-spec.ts runs this file's build-stage RUN steps and boots the result.

# Node 24 LTS (DESIGN §2), its newest patch when this was written, on Debian 13, whose security
# support outlives bookworm's. Both stages on one tag, so the native addon built in the first matches
# the second's Node and glibc. Tag only: its digest could not be looked up where this was written;
# append @sha256:… when you can (Dependabot's docker updates keep tag and digest current).
FROM node:24.22.3-trixie-slim AS build

# better-sqlite3 compiles from source when no prebuilt binary matches the platform; this stage only.
# Versions follow the pinned base image's Debian release: a pinned Debian version disappears from
# the archive at its next security update and breaks the build.
# linter ignore=ER0012
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The lock file alone first, so a source change reuses the installed dependencies layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:24.22.3-trixie-slim

ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the service user: the process cannot modify its own code.
# package.json is read at run time (the OpenAPI document's version).
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The image's unprivileged user (uid 1000); the service writes no files.
USER node
EXPOSE 3000
# Liveness only: readiness follows PostgreSQL and Redis, and a shared outage must not get every
# instance restarted. No curl in the slim image, so Node's fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains in-flight requests for up to SHUTDOWN_TIMEOUT (10s): give `docker stop` -t 20.
STOPSIGNAL SIGTERM
# Node itself as PID 1 (not npm, which does not pass SIGTERM on), with `npm run start:prod`'s flags.
CMD ["node", "--max-semi-space-size=64", "dist/src/main"]

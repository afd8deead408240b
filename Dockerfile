# Flightline container image.
#
#   docker build -t flightline .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=... -e FLIGHTLINE__AUTH__JWT_SECRET=... flightline
#   docker run --rm -e DATABASE_URL=... flightline migrate      # any CLI command works the same
#
# Stages: `chef` (the toolchain plus cargo-chef), `planner` (reduces the sources to a recipe of
# manifests and lock file), `builder` (compiles the dependencies from the recipe in a layer of
# their own, cached until Cargo.toml or Cargo.lock change, then the crate itself) and `runtime`
# (Debian slim, the binary, config/, an unprivileged user).

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /build

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /build/recipe.json recipe.json
# Dependencies only: this layer is reused as long as the recipe is unchanged.
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin flightline
COPY . .
RUN cargo build --release --locked --bin flightline \
    && install -D -m 0755 target/release/flightline /out/flightline

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to SMTP and Stripe. postgresql-client: pg_dump for
# `flightline tenants delete` (archives a tenant schema before dropping it).
# DL3008 (pin apt versions): Debian's archive drops superseded versions as soon as a security
# update lands, so a pinned version breaks the build; the release (bookworm) is pinned instead,
# and rebuilding picks up security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin flightline
WORKDIR /app
COPY --from=builder /out/flightline /usr/local/bin/flightline
COPY config/ /app/config/
ENV FLIGHTLINE_CONFIG_DIR=/app/config \
    FLIGHTLINE_ENV=production \
    FLIGHTLINE__SERVER__LISTEN=0.0.0.0:8080
# Numeric, so Kubernetes can verify runAsNonRoot.
USER 10001:10001
EXPOSE 8080
# No curl in the image: bash's /dev/tcp sends the request. /health checks the process only;
# readiness (database reachable) is /readiness, for the orchestrator's probes. Assumes the
# default port 8080.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["flightline"]
CMD ["serve"]

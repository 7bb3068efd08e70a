# Multi-stage build: compile in the Rust image, run from a slim Debian image
# as an unprivileged user. SQLite, libpq and OpenSSL are built into the binary.
#
# The dependencies are compiled in a layer of their own (cargo-chef), which
# Docker rebuilds only when Cargo.toml or Cargo.lock change: a change to the
# code recompiles the yizhan crate alone.
FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /src

# The recipe: what the manifest and lock file say about the dependencies.
FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY config ./config
COPY askama.toml ./
RUN cargo build --release --locked --bin yizhan

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/yizhan --create-home --uid 10001 yizhan
COPY --from=build /src/target/release/yizhan /usr/local/bin/yizhan
COPY config /etc/yizhan
USER yizhan
WORKDIR /var/lib/yizhan
# The image runs the production profile: it refuses to start without a real
# YIZHAN_JWT_SECRET (32 characters or more). PostgreSQL in production:
#   docker run -e YIZHAN_JWT_SECRET=... -e DATABASE_URL=postgres://... \
#              -p 8080:8080 yizhan
ENV YIZHAN_PROFILE=production \
    YIZHAN_CONFIG_DIR=/etc/yizhan \
    YIZHAN_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/yizhan/data/yizhan.db
VOLUME ["/var/lib/yizhan/data"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/yizhan"]
CMD ["serve"]

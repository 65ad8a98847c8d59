# tipseal in a container: Debian slim, non-root, the data on a volume.
#
# UNTESTED: this file could not be built where it was written (`docker build` answered
# "Cannot connect to the Docker daemon", and Docker Hub, which serves the base images, is
# unreachable there). See docs/operations.md, "Docker".
#
# Tor runs outside the container. Inside, the server must listen on the container's
# interface for a published port to reach it, so publish it on the host's loopback only:
#   docker run -p 127.0.0.1:8080:8080 -v tipseal-data:/var/lib/tipseal \
#     -v /etc/tipseal:/etc/tipseal:ro tipseal
# (`tipseal doctor` inside the container warns about 0.0.0.0: that warning is about the
# container's own interface, which only the host's loopback reaches.)

FROM rust:1.89-slim-bookworm AS build
# libsodium-sys builds the libsodium it ships: it needs a C compiler and make.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin tipseal

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/tipseal --shell /usr/sbin/nologin tipseal \
 && install -d -m 0700 -o tipseal -g tipseal /var/lib/tipseal/data
COPY --from=build /src/target/release/tipseal /usr/local/bin/tipseal
COPY deploy/tipseal.toml /usr/share/doc/tipseal/tipseal.toml.example
USER tipseal
VOLUME ["/var/lib/tipseal"]
ENV TIPSEAL_SERVER_LISTEN=0.0.0.0:8080 \
    TIPSEAL_SERVER_DATA=/var/lib/tipseal/data \
    TIPSEAL_LOG=info
EXPOSE 8080
# Mount /etc/tipseal with tipseal.toml, keyring.json and the admins' .pub files.
ENTRYPOINT ["/usr/local/bin/tipseal", "serve"]
CMD ["--config", "/etc/tipseal/tipseal.toml"]

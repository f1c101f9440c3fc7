# Production image: `docker compose up` (see docker-compose.yml). The embedded PostgreSQL/Redis are not used here.
FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mailfleet ./mailfleet
COPY bot ./bot
COPY engine ./engine
COPY jobs ./jobs
COPY models ./models
COPY locales ./locales
RUN pip install . && useradd --system --uid 10001 mailfleet
USER mailfleet
EXPOSE 8080
# matplotlib (charts) keeps its font cache here: the system user has no home directory
ENV WEB_HOST=0.0.0.0 WEB_PORT=8080 LOG_FORMAT=json MPLCONFIGDIR=/tmp/matplotlib
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
CMD ["mailfleet", "web"]

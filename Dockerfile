# The knowledge base's image: `docker build -t kb .`, then see "Deploy on Kubernetes" in README.md.
# Settings come from the environment (.env.example); the start is deploy/entrypoint.sh.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /venv
COPY requirements.txt .
RUN /venv/bin/pip install --requirement requirements.txt
COPY . .
# Collected and compressed (gzip, hashed names) once, here, so the running image writes nothing for them.
RUN DJANGO_DEBUG=False DJANGO_SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    /venv/bin/python manage.py collectstatic --no-input --verbosity 0

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_DEBUG=False \
    DATABASE_URL=sqlite:////data/kb.sqlite3 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/kb-metrics
# git (and ssh, for a deploy key) for sync_git and web edits pushed back: Debian's, updated with the base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --no-install-recommends --yes git openssh-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 kb \
    && useradd --system --uid 10001 --gid kb --home-dir /app --shell /usr/sbin/nologin kb \
    && mkdir /data \
    && chown kb:kb /data
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build --chown=root:root /app /app
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["serve"]

#!/bin/sh
# The container's start, exactly as the image runs it (Dockerfile ENTRYPOINT) and as
# tests/ops/test_entrypoint.py runs it against a checkout:
#
#   entrypoint.sh serve      migrate first when KB_MIGRATE_ON_START=true, then gunicorn (the default)
#   entrypoint.sh migrate    apply the migrations and exit (the Kubernetes migration Job)
#   entrypoint.sh manage ARGS...   any manage.py command, e.g. `manage import_docs /docs`
#
# Settings come from the environment (.env.example). gunicorn's: KB_BIND (0.0.0.0:8000),
# KB_WORKERS (2), KB_THREADS (2), KB_TIMEOUT (60 seconds), see deploy/gunicorn.conf.py.
set -eu

cd "$(dirname "$0")/.."

case "${1:-serve}" in
serve)
    if [ "${KB_MIGRATE_ON_START:-false}" = "true" ]; then
        python manage.py migrate --no-input
    fi
    # Every worker writes its metrics here and a scrape adds them up; values of a previous run
    # would be added too, so the directory starts empty.
    PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/kb-metrics}"
    export PROMETHEUS_MULTIPROC_DIR
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    exec gunicorn config.wsgi --config deploy/gunicorn.conf.py
    ;;
migrate)
    exec python manage.py migrate --no-input
    ;;
manage)
    shift
    exec python manage.py "$@"
    ;;
*)
    echo "entrypoint.sh: unknown command '$1': use serve, migrate or manage ARGS..." >&2
    exit 64
    ;;
esac

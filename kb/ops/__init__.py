"""Running the knowledge base: liveness and readiness (`health`) and the Prometheus metrics it
exposes (`metrics`: the counters other areas increment, the gauges read from the database at scrape
time, and the exposition, multi-process under gunicorn when PROMETHEUS_MULTIPROC_DIR is set).

May import: `kb.models` (the gauges' cheap counts). Imported by `kb.documents` (import outcomes),
the webhook view, the request middleware and the ops views; it imports none of them.
"""

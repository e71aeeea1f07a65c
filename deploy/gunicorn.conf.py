"""gunicorn's settings for deploy/entrypoint.sh, from the environment.

Two sync workers with two threads each answer a homelab's readers and Alertmanager's deliveries;
the memory limit in deploy/kubernetes/base/deployment.yaml was measured with these defaults.
"""

import os

bind = os.environ.get("KB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("KB_WORKERS", "2"))
threads = int(os.environ.get("KB_THREADS", "2"))
# An import or a search on a large corpus can take seconds; a minute means the worker is stuck.
timeout = int(os.environ.get("KB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Load Django once in the master: workers share its memory pages and start fast.
preload_app = True
# The workers' heartbeat files: /dev/shm is memory, never a slow or read-only disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("KB_FORWARDED_ALLOW_IPS", "127.0.0.1")
# What each thread searches for at start (post_worker_init): any words; its answer is kept like any other.
WARM_QUERY = "service restart"


def post_worker_init(worker):
    """Each of a worker's threads searches once before the worker's first request (kb.ops.warmup.threads_warm): its
    database connection opened, its PostgreSQL backend's catalog read, PostgreSQL's common words kept, SQLite's
    statements of each query shape compiled (kb.search.search_warm). A sync worker (KB_THREADS=1) has no pool and
    pays them in its first searches, as before."""
    pool = getattr(worker, "tpool", None)
    if pool is not None:
        from kb.ops.warmup import threads_warm
        from kb.search import search_warm

        threads_warm(pool, threads=worker.cfg.threads, work=lambda: search_warm(query=WARM_QUERY))


def child_exit(server, worker):
    """A worker gone: its live gauges leave /metrics (its counters stay, as Prometheus expects)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

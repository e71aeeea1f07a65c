"""
WSGI config for config project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Compiled here, in gunicorn's master (preload_app): the workers fork with the templates and URL patterns
# ready rather than each paying for them on its first view of each page.
from kb.ops.warmup import server_heap_frozen, server_warm  # noqa: E402

server_warm()
server_heap_frozen()

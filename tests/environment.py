"""Loaded with `-p tests.environment` (pytest.ini), before pytest-django reads the settings."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret")
os.environ.setdefault("DJANGO_DEBUG", "False")
# Playwright's sync API runs an event loop in the test thread; the tests' own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

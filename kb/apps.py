from django.apps import AppConfig


class KbConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kb"

    def ready(self) -> None:
        from kb.models.lookups import registered
        from kb.ops.sqlite_file import sqlite_file_watch

        registered()
        sqlite_file_watch()

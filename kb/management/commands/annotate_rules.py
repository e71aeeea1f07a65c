"""Points every alert's runbook_url at this knowledge base, keeping the rest of the file as it was."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kb.alerting.coverage import scope_labels_by_alert
from kb.alerting.rules import KB_ALERT_PATH, RuleFileError, annotate_rule_text


class Command(BaseCommand):
    help = (
        f"Writes the rule file with each alert's runbook_url annotation set to KB_BASE_URL{KB_ALERT_PATH}, "
        "with the labels the alert's runbooks are scoped by as query parameters; to standard output, "
        "or back into the file with --in-place."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--in-place", action="store_true", help="rewrite the file instead of printing it")

    def handle(self, *args, file, in_place, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot be read: {exc}", returncode=2) from exc
        try:
            annotated, count = annotate_rule_text(
                text, path=file, base_url=settings.KB_BASE_URL, scope_labels=scope_labels_by_alert()
            )
        except RuleFileError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if in_place:
            _replace(path, annotated)
            self.stderr.write(f"{file}: runbook_url set on {count} alerts")
        else:
            self.stdout.write(annotated, ending="")


def _replace(path: Path, text: str) -> None:
    """Writes beside the file and renames over it, so a failure never leaves half a rule file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

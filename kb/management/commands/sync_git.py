from django.core.management.base import BaseCommand, CommandError

from kb.gitsync.git import GitError
from kb.gitsync.syncing import git_sync
from kb.models import GitSyncOutcome


class Command(BaseCommand):
    help = (
        "Fetch KB_GIT_URL's KB_GIT_BRANCH into KB_GIT_CACHE and import what changed since the last synced "
        "commit (renamed files moved, deleted files archived; the whole tree after a force-push)."
    )

    def handle(self, *args, **options):
        try:
            record = git_sync(trigger="sync_git")
        except GitError as exc:
            raise CommandError(str(exc)) from exc
        if record.outcome == GitSyncOutcome.PENDING:
            self.stdout.write("another sync is running: it will fetch again when it is done")
            return
        if record.outcome != GitSyncOutcome.SUCCEEDED:
            raise CommandError(f"sync failed: {record.message}")
        if record.message:
            self.stdout.write(record.message)
        line = f"{record.url} {record.branch} at {record.commit[:12]}: {record.counts()}"
        self.stdout.write(self.style.SUCCESS(line))

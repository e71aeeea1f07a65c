"""Git as the source of the documents: a record of each sync of the repository (and of each web edit
written back to it), kept so that the last good state, and why a later one failed, can be shown.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class GitSyncAction(models.TextChoices):
    SYNC = "sync", "Sync from Git"
    COMMIT = "commit", "Web edit to Git"
    REQUEST = "request", "Sync requested"  # a push arrived while a sync was running: the next run picks it up


class GitSyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CONFLICT = "conflict", "Conflict"  # a web edit upstream changed too: not written, never overwritten
    PENDING = "pending", "Pending"  # a request not picked up yet


class GitSync(models.Model):
    action = models.CharField(max_length=10, choices=GitSyncAction.choices, default=GitSyncAction.SYNC)
    outcome = models.CharField(max_length=10, choices=GitSyncOutcome.choices, default=GitSyncOutcome.RUNNING)
    trigger = models.CharField(max_length=100, blank=True)  # "sync_git", "webhook (github)", "edit by erin"
    url = models.CharField(max_length=1000, blank=True)  # without credentials
    branch = models.CharField(max_length=200, blank=True)
    previous_commit = models.CharField(max_length=64, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    # True when the change could not be read as a diff (first sync, force-push, another repository):
    # every file of the tree was compared with the database.
    full_comparison = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    renamed = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    document = models.ForeignKey("kb.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "Git sync"
        constraints = [
            # The lock: at most one sync or commit runs at a time, in any process or pod.
            models.UniqueConstraint(fields=["outcome"], condition=Q(outcome="running"), name="git_sync_one_running"),
            models.CheckConstraint(condition=Q(action__in=GitSyncAction.values), name="git_sync_action_valid"),
            models.CheckConstraint(condition=Q(outcome__in=GitSyncOutcome.values), name="git_sync_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.started_at:%Y-%m-%d %H:%M}: {self.get_outcome_display()}"

    def counts(self) -> str:
        names = ("created", "updated", "renamed", "archived", "unchanged", "failed")
        return ", ".join(f"{getattr(self, name)} {name}" for name in names)

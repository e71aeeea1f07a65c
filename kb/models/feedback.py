"""Whether a runbook helped: one answer of one reader, about one incident or about the runbook alone.

Written only by `kb.alerting.feedback.feedback_record`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kb.models.alerting import Incident
from kb.models.documents import Runbook

NOTE_MAX_LENGTH = 2000


class FeedbackAnswer(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class RunbookFeedback(models.Model):
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="feedback")
    # The incident the runbook was used for, when answered from its page.
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="runbook_feedback"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    answer = models.CharField(max_length=10, choices=FeedbackAnswer.choices)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "runbook feedback"
        verbose_name_plural = "runbook feedback"
        constraints = [
            models.CheckConstraint(condition=Q(answer__in=FeedbackAnswer.values), name="runbook_feedback_answer_valid"),
            # One answer per reader and incident: answering again changes it.
            models.UniqueConstraint(
                fields=["runbook", "incident", "user"],
                condition=Q(incident__isnull=False, user__isnull=False),
                name="runbook_feedback_one_per_user_and_incident",
            ),
        ]
        indexes = [models.Index(fields=["runbook", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.runbook}: {self.answer}"

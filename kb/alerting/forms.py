"""The form of an incident written by hand (Alertmanager's arrive through the webhook). It saves
through `incident_save`, the one write path of incidents."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from kb.alerting.incidents import incident_save
from kb.markdown.syntax import ALERT_NAME
from kb.models import Alert, Incident, IncidentStatus, PostMortem, Runbook


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.ModelForm):
    alert_name = forms.CharField(required=False, max_length=200, label="Alert")
    runbook = forms.ModelChoiceField(Runbook.objects.filter(archived=False).order_by("title"), required=False)
    postmortem = forms.ModelChoiceField(
        PostMortem.objects.filter(archived=False).order_by("-date", "title"), required=False, label="Post-mortem"
    )

    class Meta:
        model = Incident
        fields = ["reference", "title", "started_at", "resolved_at", "runbook", "postmortem", "notes"]
        labels = {"started_at": "Started (UTC)", "resolved_at": "Resolved (UTC)"}
        help_texts = {"reference": "For example #236: documents that mention it link here."}
        widgets = {
            "started_at": DateTimeInput,
            "resolved_at": DateTimeInput,
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "started_at": {"invalid": "Write the time as YYYY-MM-DD HH:MM."},
            "resolved_at": {"invalid": "Write the time as YYYY-MM-DD HH:MM."},
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if self.instance.alert_id and not self.is_bound:
            self.initial.setdefault("alert_name", self.instance.alert.name)

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        if reference and Incident.objects.filter(reference=reference).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"Incident {reference} already exists; edit it instead.")
        return reference

    def clean_alert_name(self) -> str:
        name = self.cleaned_data["alert_name"].strip()
        if name and not ALERT_NAME.match(name):
            raise ValidationError(
                "An alert name is letters, digits, underscores and colons, for example KubePodCrashLooping."
            )
        return name

    def clean(self):
        data = super().clean()
        started, resolved = data.get("started_at"), data.get("resolved_at")
        if started and resolved and resolved < started:
            self.add_error("resolved_at", "It cannot be resolved before it started.")
        return data

    def save(self, commit: bool = True) -> Incident:
        # One transaction: an alert named here for the first time is not left behind by an incident that failed.
        with transaction.atomic():
            incident = super().save(commit=False)
            incident.alert = Alert.objects.for_name(self.cleaned_data["alert_name"])
            if incident.resolved_at:
                incident.status = IncidentStatus.RESOLVED
            elif incident.status == IncidentStatus.RESOLVED:
                incident.status = IncidentStatus.UNKNOWN
            if commit:
                incident_save(incident=incident)
        return incident

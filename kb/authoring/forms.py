"""Forms of the web editor. They check what was typed, with a message next to the field, and
build drafts; turning drafts into documents is `kb.authoring.saving`'s work."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.forms.utils import pretty_name
from django.utils import timezone

from kb.authoring.edits import ResolutionDraft
from kb.authoring.to_markdown import SEVERITIES, FollowUpDraft, PostMortemDraft, SectionDraft
from kb.markdown.syntax import FIELD_SYNONYMS
from kb.models import FollowUpStatus, Incident

DATE_ERROR = "Write the date as YYYY-MM-DD, for example 2026-05-31."
PLACEHOLDERS = ("-", "…", "...")


class Form(forms.Form):
    """Labels without Django's trailing colon: they sit above their fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(**kwargs) -> forms.DateField:
    return forms.DateField(widget=DateInput, error_messages={"invalid": DATE_ERROR}, **kwargs)


class PostMortemForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    incident = forms.ModelChoiceField(Incident.objects.all(), required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=500, error_messages={"required": "A post-mortem needs a title."})
    date = date_field(required=False)
    duration = forms.CharField(required=False, max_length=500)
    severity = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(s, s) for s in SEVERITIES],
        error_messages={"invalid_choice": "Unknown severity “%(value)s”: choose SEV1 (the worst) to SEV5."},
    )
    severity_note = forms.CharField(
        required=False, label="Severity note", help_text="For example: no user-facing impact"
    )
    affected = forms.CharField(required=False)
    status = forms.CharField(required=False)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    follow_ups_heading = forms.CharField(max_length=200, label="Follow-ups heading")
    lessons_heading = forms.CharField(max_length=200, label="Lessons heading")
    other_fields = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Other fields",
        help_text="More rows of the Field/Value table, one “Name: value” per line.",
    )
    intro = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Text before the summary")
    reason = forms.CharField(required=False, max_length=200, label="What changed", help_text="Kept with the revision.")

    def __init__(self, *args, extra_severity: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if extra_severity and extra_severity not in SEVERITIES:
            # A severity imported in another scale (P1, high) stays choosable, so editing keeps it.
            self.fields["severity"].choices = [
                *self.fields["severity"].choices,
                (extra_severity, f"{extra_severity} (as imported)"),
            ]

    def clean_other_fields(self) -> list[tuple[str, str]]:
        rows = []
        for n, line in enumerate(self.cleaned_data["other_fields"].splitlines(), start=1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not colon or not name or not value:
                raise ValidationError(f"Line {n}: write “Name: value”, for example “Incident: #236”.")
            known = FIELD_SYNONYMS.get(name.lower())
            if known:
                raise ValidationError(
                    f"Line {n}: “{name}” is read as the {known}; use the {known.capitalize()} field above."
                )
            rows.append((name, value))
        return rows


class RowForm(Form):
    """A row of a list: its fields are named for screen readers by the row, "Status of follow-up 2"."""

    noun = "row"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number = re.search(r"-(\d+)$", self.prefix or "")
        if number:
            n = int(number.group(1)) + 1
            for field_name, field in self.fields.items():
                label = str(field.label or pretty_name(field_name))
                name = f"{self.noun.capitalize()} {n}" if label.lower() == self.noun else f"{label} of {self.noun} {n}"
                field.widget.attrs["aria-label"] = name


class SectionForm(RowForm):
    noun = "section"

    heading = forms.CharField(required=False, max_length=500)
    markdown = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Text", strip=False)

    def clean(self):
        data = super().clean()
        if data.get("markdown", "").strip() and not data.get("heading", "").strip():
            self.add_error("heading", "A section needs a heading.")
        return data


class FollowUpForm(RowForm):
    noun = "follow-up"
    text = forms.CharField(required=False, label="Follow-up")
    status = forms.ChoiceField(choices=FollowUpStatus.choices, initial=FollowUpStatus.OPEN)
    owner = forms.CharField(required=False, max_length=200)
    due = date_field(required=False)

    def clean(self):
        data = super().clean()
        text = data.get("text", "").strip()
        if text in PLACEHOLDERS:
            self.add_error("text", "Say what is to be done.")
        elif not text and (data.get("owner") or data.get("due")):
            self.add_error("text", "A follow-up with an owner or a due date needs its text.")
        return data


class LessonForm(RowForm):
    noun = "lesson"
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Lesson")

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if text in PLACEHOLDERS:
            raise ValidationError("Say what was learned.")
        return text


LIST_FORMS = {"sections": SectionForm, "follow_ups": FollowUpForm, "lessons": LessonForm}
LIST_FORMSETS = {name: formset_factory(form, extra=0) for name, form in LIST_FORMS.items()}


class PostMortemEditor:
    """The post-mortem form with its three lists (sections, follow-ups, lessons), as one form."""

    def __init__(
        self,
        data=None,
        *,
        initial: dict | None = None,
        rows: dict | None = None,
        extra_severity: str = "",
        shown: PostMortemDraft | None = None,
    ):
        # What an unbound form shows, as a draft: the preview of a page before anything is typed.
        self.shown = shown
        self.form = PostMortemForm(data, initial=initial, extra_severity=extra_severity)
        self.lists = {
            name: formset(data, prefix=name, initial=(rows or {}).get(name)) for name, formset in LIST_FORMSETS.items()
        }

    @classmethod
    def for_draft(
        cls, draft: PostMortemDraft, *, version: int, incident: Incident | None = None, extra_severity: str = ""
    ):
        initial = {
            "version": version,
            "incident": incident.pk if incident else None,
            "title": draft.title,
            "date": draft.date,
            "duration": draft.duration,
            "severity": draft.severity,
            "severity_note": draft.severity_note,
            "affected": draft.affected,
            "status": draft.status,
            "summary": draft.summary,
            "follow_ups_heading": draft.follow_ups_heading,
            "lessons_heading": draft.lessons_heading,
            "other_fields": "\n".join(f"{name}: {value}" for name, value in draft.other_fields),
            "intro": draft.intro,
        }
        rows = {
            "sections": [{"heading": s.heading, "markdown": s.markdown} for s in draft.sections],
            "follow_ups": [
                {"text": f.text, "status": f.status, "owner": f.owner, "due": f.due} for f in draft.follow_ups
            ],
            "lessons": [{"text": text} for text in draft.lessons],
        }
        return cls(initial=initial, rows=rows, extra_severity=extra_severity, shown=draft)

    @classmethod
    def rearranged(cls, data, action: str, *, extra_severity: str = "") -> PostMortemEditor:
        """The form as typed, unbound (no errors shown yet), with a row added, removed or moved up.

        `action` is `add:<list>`, `remove:<list>:<n>` or `up:<list>:<n>`.
        """
        rows = {name: _typed_rows(data, name) for name in LIST_FORMS}
        verb, _, rest = action.partition(":")
        name, _, index = rest.partition(":")
        if name in rows:
            n = int(index) if index.isdigit() else -1
            if verb == "add":
                rows[name].append({"status": FollowUpStatus.OPEN} if name == "follow_ups" else {})
            elif verb == "remove" and 0 <= n < len(rows[name]):
                del rows[name][n]
            elif verb == "up" and 0 < n < len(rows[name]):
                rows[name][n - 1], rows[name][n] = rows[name][n], rows[name][n - 1]
        initial = {name: data.get(name, "") for name in PostMortemForm.base_fields}
        as_typed = initial | {
            f"{name}-{key}": value
            for name, typed in rows.items()
            for key, value in [("TOTAL_FORMS", len(typed)), ("INITIAL_FORMS", 0)]
            + [
                (f"{i}-{field}", row.get(field, ""))
                for i, row in enumerate(typed)
                for field in LIST_FORMS[name].base_fields
            ]
        }
        shown = cls(as_typed, extra_severity=extra_severity).draft()
        return cls(initial=initial, rows=rows, extra_severity=extra_severity, shown=shown)

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        return all([formset.is_valid() for formset in self.lists.values()]) and valid

    @property
    def errors(self) -> bool:
        return bool(self.form.errors) or any(formset.total_error_count() for formset in self.lists.values())

    def draft(self) -> PostMortemDraft:
        """The draft of what was typed; fields that do not validate are left out (for the preview)."""
        if not self.form.is_bound:
            return self.shown or PostMortemDraft(title="")
        self.is_valid()
        data = self.form.cleaned_data
        rows = {
            name: [f.cleaned_data for f in formset.forms if hasattr(f, "cleaned_data")]
            for name, formset in self.lists.items()
        }
        return PostMortemDraft(
            title=data.get("title", ""),
            date=data.get("date"),
            duration=data.get("duration", ""),
            severity=data.get("severity", ""),
            severity_note=data.get("severity_note", ""),
            affected=data.get("affected", ""),
            status=data.get("status", ""),
            summary=data.get("summary", ""),
            sections=[
                SectionDraft(r.get("heading", "").strip(), r.get("markdown", ""))
                for r in rows["sections"]
                if r.get("heading", "").strip() or r.get("markdown", "").strip()
            ],
            follow_ups=[
                FollowUpDraft(
                    r["text"].strip(), r.get("status") or FollowUpStatus.OPEN, r.get("owner", "").strip(), r.get("due")
                )
                for r in rows["follow_ups"]
                if r.get("text", "").strip() and r["text"].strip() not in PLACEHOLDERS
            ],
            lessons=[r["text"] for r in rows["lessons"] if r.get("text") and r["text"] not in PLACEHOLDERS],
            follow_ups_heading=data.get("follow_ups_heading") or "Follow-ups",
            lessons_heading=data.get("lessons_heading") or "Lessons",
            other_fields=data.get("other_fields") or [],
            intro=data.get("intro", ""),
        )

    def add_problems(self, problems: dict[str, str]) -> None:
        """Errors found when the written text was read back, put next to the field they concern."""
        on_field = {"follow_ups": "follow_ups_heading", "lessons": "lessons_heading"}
        for name, message in problems.items():
            self.form.add_error(
                on_field.get(name, name) if name in on_field or name in self.form.fields else None, message
            )


def _typed_rows(data, prefix: str) -> list[dict]:
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 1000)
    except ValueError:
        total = 0
    fields = LIST_FORMS[prefix].base_fields
    return [{name: data.get(f"{prefix}-{i}-{name}", "") for name in fields} for i in range(total)]


class RunbookForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "true"}),
        strip=False,
        label="Markdown",
        error_messages={"required": "A runbook needs its markdown."},
    )
    reason = forms.CharField(required=False, max_length=200, label="What changed", help_text="Kept with the revision.")


INCIDENT_TOKEN = re.compile(r"[,\s]+")


class ResolutionForm(Form):
    date = date_field(initial=lambda: timezone.localdate())
    incidents = forms.CharField(required=False, help_text="For example: #236, #237")
    old = forms.CharField(required=False, max_length=500, label="Old value")
    new = forms.CharField(required=False, max_length=500, label="New value")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_incidents(self) -> list[str]:
        tokens = [t for t in INCIDENT_TOKEN.split(self.cleaned_data["incidents"]) if t]
        return [f"#{t}" if t.isdigit() else t for t in tokens]

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in ("incidents", "old", "new", "notes")):
            raise ValidationError("Say what was resolved: incidents, old and new value, or notes.")
        return data

    def entry(self) -> ResolutionDraft:
        data = self.cleaned_data
        return ResolutionDraft(
            date=data["date"], incidents=data["incidents"], old=data["old"], new=data["new"], notes=data["notes"]
        )


class FollowUpStatusForm(Form):
    text = forms.CharField()
    status = forms.ChoiceField(choices=FollowUpStatus.choices)


class RestoreForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

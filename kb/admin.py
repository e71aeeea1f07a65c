from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from kb.alerting.feedback import feedback_recount
from kb.alerting.incidents import alerts_recount, incident_save
from kb.entities import curation
from kb.models import (
    Alert,
    ApiToken,
    Entity,
    EntityAlias,
    FollowUp,
    GitSync,
    Incident,
    Lesson,
    Mention,
    Note,
    PostMortem,
    ResolutionEntry,
    Revision,
    Runbook,
    RunbookFeedback,
    Section,
)


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("position", "heading", "level", "anchor")
    readonly_fields = fields
    extra = 0
    can_delete = False


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ("number", "created_at", "author", "reason", "content_hash")
    readonly_fields = fields
    extra = 0
    can_delete = False


class DocumentAdmin(admin.ModelAdmin):
    search_fields = ("title", "slug", "identity", "source_path")
    list_filter = ("archived", "edited_on_web")
    readonly_fields = ("identity", "content_hash", "version", "created_at", "updated_at", "warnings")
    exclude = ("html", "linked_html")
    inlines = [SectionInline, RevisionInline]


class ResolutionInline(admin.TabularInline):
    model = ResolutionEntry
    fields = ("position", "date", "incidents", "old", "new", "notes")
    extra = 0


@admin.register(Runbook)
class RunbookAdmin(DocumentAdmin):
    list_display = ("title", "alert", "labels", "source_path", "updated_at", "archived")
    list_filter = DocumentAdmin.list_filter + ("alert",)
    search_fields = DocumentAdmin.search_fields + ("alert__name",)
    list_select_related = ("alert",)
    inlines = [SectionInline, ResolutionInline, RevisionInline]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    fields = ("position", "text", "status", "owner", "due")
    extra = 0


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("position", "text")
    extra = 0


@admin.register(PostMortem)
class PostMortemAdmin(DocumentAdmin):
    list_display = ("title", "date", "severity", "status", "updated_at", "archived")
    list_filter = DocumentAdmin.list_filter + ("severity", "date")
    search_fields = DocumentAdmin.search_fields + ("summary", "affected")
    date_hierarchy = "date"
    inlines = [SectionInline, FollowUpInline, LessonInline, RevisionInline]


@admin.register(Note)
class NoteAdmin(DocumentAdmin):
    list_display = ("title", "source_path", "updated_at", "archived")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)

    # Its runbooks stand in their list by its name (Runbook.list_place): renamed or deleted, they move.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            Runbook.list_places_renewed(obj.runbooks.values_list("pk", flat=True))

    def delete_model(self, request, obj):
        runbooks = list(obj.runbooks.values_list("pk", flat=True))
        super().delete_model(request, obj)
        Runbook.list_places_renewed(runbooks)

    def delete_queryset(self, request, queryset):
        runbooks = list(Runbook.objects.filter(alert__in=queryset).values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        Runbook.list_places_renewed(runbooks)


class RecountedOnDelete:
    """An admin of rows that others count on write (`counted_by`: the field of the row holding the count,
    `recount`: what counts again): deleted rows leave the count, so it is counted again."""

    counted_by: str
    recount: staticmethod

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.recount([getattr(obj, self.counted_by)])

    def delete_queryset(self, request, queryset):
        ids = set(queryset.values_list(self.counted_by, flat=True))
        super().delete_queryset(request, queryset)
        self.recount(ids)


@admin.register(Incident)
class IncidentAdmin(RecountedOnDelete, admin.ModelAdmin):
    list_display = ("__str__", "alert", "status", "started_at", "resolved_at", "runbook")
    list_filter = ("status", "alert")
    search_fields = ("reference", "title", "fingerprint", "alert__name", "notes")
    list_select_related = ("alert", "runbook")
    raw_id_fields = ("runbook", "postmortem")
    filter_horizontal = ("documents",)
    # Each alert keeps the count of its incidents (kb.alerting.incidents).
    counted_by = "alert_id"
    recount = staticmethod(lambda ids: alerts_recount(alert_ids=ids))

    def save_model(self, request, obj, form, change):
        # Search shows incidents too: an incident written here must be findable like one from a form.
        incident_save(incident=obj)


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("text", "status", "owner", "due", "postmortem")
    list_filter = ("status",)
    search_fields = ("text", "owner", "postmortem__title")
    list_select_related = ("postmortem",)


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("text", "postmortem")
    search_fields = ("text", "postmortem__title")
    list_select_related = ("postmortem",)


@admin.register(ResolutionEntry)
class ResolutionEntryAdmin(admin.ModelAdmin):
    list_display = ("runbook", "date", "old", "new", "notes")
    list_filter = ("date",)
    search_fields = ("runbook__title", "notes", "old", "new")
    list_select_related = ("runbook",)


@admin.register(RunbookFeedback)
class RunbookFeedbackAdmin(RecountedOnDelete, admin.ModelAdmin):
    """Read-only: answers are written on the runbook and incident pages (kb.alerting.feedback), never edited."""

    list_display = ("runbook", "answer", "user", "incident", "created_at")
    list_filter = ("answer",)
    search_fields = ("runbook__title", "note", "user__username")
    list_select_related = ("runbook", "user", "incident")
    # The runbooks keep their tally (kb.alerting.feedback).
    counted_by = "runbook_id"
    recount = staticmethod(lambda ids: feedback_recount(runbook_ids=ids))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("heading", "level", "document", "position")
    list_filter = ("level", "document__kind")
    search_fields = ("heading", "markdown", "document__title")
    list_select_related = ("document",)


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ("document", "number", "author", "reason", "created_at")
    list_filter = ("created_at",)
    search_fields = ("document__title", "reason")
    list_select_related = ("document", "author")
    readonly_fields = (
        *("document", "number", "source_text", "content_hash", "author", "reason", "created_at"),
        *("git_commit", "git_path", "git_problem"),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their users (/accounts/tokens/, `manage.py api_token`); here they are seen and revoked."""

    list_display = ("name", "user", "shown", "can_write", "created_at", "last_used_at", "revoked_at")
    list_filter = ("can_write", "revoked_at")
    readonly_fields = ("user", "name", "digest", "shown", "created_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()
            self.log_change(request, token, "Revoked")


# --- entities: curation goes through kb.entities.curation, so re-imports and `relink` keep it --------


class EntityAliasInline(admin.TabularInline):
    model = EntityAlias
    fields = ("name",)
    extra = 1


class EntityAdminForm(forms.ModelForm):
    merge_into = forms.ModelChoiceField(
        queryset=Entity.objects.filter(ignored=False),
        required=False,
        help_text="Merge this entity into another: its mentions move there and its names become aliases.",
    )

    class Meta:
        model = Entity
        fields = ("name", "kind", "ignored")

    def clean(self):
        cleaned = super().clean()
        if "name" in cleaned:
            # A clash is told on the field before anything is saved (kb.entities.curation checks again when saving).
            entity = self.instance if self.instance.pk else None
            cleaned["name"] = curation.name_check_free(cleaned["name"], field="name", entity=entity)
        return cleaned


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    form = EntityAdminForm
    list_display = ("name", "kind", "curated", "kind_curated", "ignored", "created_at")
    list_filter = ("kind", "ignored", "curated")
    search_fields = ("name", "aliases__name")
    inlines = [EntityAliasInline]
    actions = ["ignore_for_good"]

    def save_model(self, request, obj, form, change):
        if not change:
            created = curation.entity_create(name=obj.name, kind=obj.kind)
            if obj.ignored:
                curation.entity_ignore(entity=created)
            # The admin goes on with this object (inlines, log entry, redirect): make it the row just created.
            obj.pk, obj._state.adding = created.pk, False
            obj.refresh_from_db()
            return
        original = Entity.objects.get(pk=obj.pk)
        if "name" in form.changed_data:
            self._curate(request, curation.entity_rename, entity=original, name=obj.name)
        if "kind" in form.changed_data:
            self._curate(request, curation.entity_set_kind, entity=original, kind=obj.kind)
        if "ignored" in form.changed_data:
            self._curate(request, curation.entity_ignore if obj.ignored else curation.entity_unignore, entity=original)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        entity = form.instance
        for formset in formsets:
            formset.save(commit=False)  # nothing is written here: each change goes through kb.entities.curation
            for alias in formset.deleted_objects:
                self._curate(request, curation.entity_alias_remove, alias=alias)
            for alias, _fields in formset.changed_objects:
                stored = EntityAlias.objects.select_related("entity").get(pk=alias.pk)
                self._curate(request, curation.entity_alias_rename, alias=stored, name=alias.name)
            for alias in formset.new_objects:
                self._curate(request, curation.entity_alias_add, entity=entity, alias=alias.name)
        target = form.cleaned_data.get("merge_into")
        if target is not None and Entity.objects.filter(pk=entity.pk).exists():
            if self._curate(request, curation.entity_merge, source=entity, into=target):
                self._merged_into = target

    def response_change(self, request, obj):
        target = getattr(self, "_merged_into", None)
        if target is not None:
            del self._merged_into
            self.message_user(request, f"Merged {obj.name} into {target.name}.")
            return HttpResponseRedirect(f"/admin/kb/entity/{target.pk}/change/")
        return super().response_change(request, obj)

    def _curate(self, request, decision, **arguments) -> bool:
        """One curation decision; a refused one is told on the page and the others still apply."""
        try:
            decision(**arguments)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return False
        return True

    @admin.action(description="Ignore the selected entities for good")
    def ignore_for_good(self, request, queryset):
        for entity in queryset:
            curation.entity_ignore(entity=entity)
        self.message_user(request, f"Ignored {queryset.count()} entities; their mentions are gone.")


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("entity", "document", "heading", "count", "subject")
    list_filter = ("kind", "subject")
    search_fields = ("entity__name", "document__title", "snippet")
    list_select_related = ("entity", "document")
    readonly_fields = (
        "entity",
        "document",
        "kind",
        "position",
        "heading",
        "anchor",
        "surface",
        "snippet",
        "count",
        "subject",
    )


# --- Git: each sync and each web edit written back, with why one failed (read-only: a record) ------------


@admin.register(GitSync)
class GitSyncAdmin(admin.ModelAdmin):
    list_display = ("started_at", "action", "outcome", "trigger", "short_commit", "counts", "short_message")
    list_filter = ("outcome", "action")
    search_fields = ("commit", "message", "trigger")
    list_select_related = ("document",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="commit")
    def short_commit(self, record):
        return record.commit[:12]

    @admin.display(description="message")
    def short_message(self, record):
        return record.message.splitlines()[0][:200] if record.message else ""

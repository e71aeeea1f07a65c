from django.contrib import admin

from kb.models import Alert, FollowUp, Incident, Lesson, PostMortem, ResolutionEntry, Revision, Runbook, Section


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
    exclude = ("html",)
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


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "alert", "status", "started_at", "resolved_at", "runbook")
    list_filter = ("status", "alert")
    search_fields = ("reference", "title", "fingerprint", "alert__name", "notes")
    list_select_related = ("alert", "runbook")
    raw_id_fields = ("runbook", "postmortem")
    filter_horizontal = ("documents",)


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
    readonly_fields = ("document", "number", "source_text", "content_hash", "author", "reason", "created_at")

"""Documents and their parts: runbooks, post-mortems and operations notes, sections, revisions, a runbook's resolution
history, a post-mortem's follow-ups and lessons.

Runbook, PostMortem and Note share one `Document` table (multi-table inheritance) so that
sections, revisions and search cover both kinds with one foreign key and one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class DocumentKind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    POSTMORTEM = "postmortem", "Post-mortem"
    NOTE = "note", "Note"


# Where each kind's pages live: /runbooks/<slug>/, /postmortems/<slug>/, /notes/<slug>/.
KIND_URL_PREFIX = {DocumentKind.RUNBOOK: "runbooks", DocumentKind.POSTMORTEM: "postmortems", DocumentKind.NOTE: "notes"}
# A document's large columns (its text, two renderings, front matter): deferred wherever only its title and link
# are shown, as in a list of incidents naming their runbooks.
DOCUMENT_TEXTS = ("source_text", "html", "linked_html", "metadata", "outline")
LIST_KEY_LENGTH = 300


class Document(models.Model):
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    slug = models.SlugField(max_length=200)
    # What makes a re-import find the same document: front matter `id`/`slug`, else the
    # path relative to the imported directory.
    identity = models.CharField(max_length=500, unique=True)
    title = models.CharField(max_length=500)
    source_path = models.CharField(max_length=1000, blank=True)
    # The text exactly as read (BOM and CRLF included): encoding it as UTF-8 gives back the file.
    source_text = models.TextField()
    content_hash = models.CharField(max_length=64)
    metadata = models.JSONField(default=dict, blank=True)
    html = models.TextField(blank=True)
    # `html` as its page shows it, entities linked and commands marked, written with its mentions
    # (kb.entities.links): '' when it is linked as it is shown (a reference to a post-mortem by date).
    linked_html = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Its sections' headings as its page's outline shows them ({"heading", "level", "anchor"}, in order), written with
    # its sections (kb.documents.saving): read with the document, not by a query of its own on every first view.
    # Null rather than a default: SQLite adds such a column in place, where a default remade the table (and lost
    # the indexes migrations create by hand); None shows no outline.
    outline = models.JSONField(null=True, blank=True)
    # Where its kind's list shows it (`list_place`), kept by `save` and by kb.documents.saving for the documents an
    # import inserts in bulk: the lists sorted every document of the kind, across two tables for runbooks (by
    # their alert's name), on every page. Null rather than a default (`outline`).
    list_key = models.CharField(max_length=LIST_KEY_LENGTH, null=True, editable=False)  # noqa: DJ001
    version = models.PositiveIntegerField(default=1)
    edited_on_web = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="document_slug_unique_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="document_title_not_empty"),
            models.CheckConstraint(condition=Q(version__gte=1), name="document_version_positive"),
        ]
        indexes = [
            models.Index(fields=["kind", "archived", "-updated_at"]),
            # The newest write anywhere, part of every document page's ETag (kb/views/conditional.py).
            models.Index(fields=["-updated_at"], name="document_newest"),
            # The few archived documents, whose rows every search leaves out (kb/search/engines.py).
            models.Index(fields=["id"], condition=Q(archived=True), name="document_archived"),
            # Each kind's list, a page at a time from the index alone (kb/views/documents.py).
            models.Index(fields=["kind", "list_key", "id"], condition=Q(archived=False), name="document_list_order"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # A whole save writes what the place is read from (title, alert, date); a save of some fields leaves it (a
        # Git move renames a document through its `Document` row, which knows no kind's rule).
        if kwargs.get("update_fields") is None:
            self.list_key = self.list_place()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return self.url_of(kind=self.kind, slug=self.slug)

    def list_place(self) -> str:
        """Where it stands in its kind's list (`list_key`), by a key that sorts so under any collation: a leading
        digit for the group, a space (before any letter or digit) after the part the list groups by. Each kind's
        own: a `Document` row alone does not know a runbook's alert or a post-mortem's date."""
        raise NotImplementedError(f"a {self.kind}'s place is its kind's: save it as a Runbook, PostMortem or Note")

    @classmethod
    def list_order(cls) -> models.QuerySet:
        """The ids of the kind's documents that are not archived, in its list's order (`list_key`), read from the
        index `document_list_order` alone, however deep the page (kb.views.paging.offset_page's `order`): with the
        kind's own table joined in, its key (the same id) stood in the order instead of the index's and every page
        sorted the whole kind."""
        documents = Document.objects.filter(kind=cls.KIND, archived=False)
        return documents.order_by("list_key", "id").values_list("id", flat=True)

    @staticmethod
    def url_of(*, kind: str, slug: str) -> str:
        """The page of a document of that kind and slug, for a list read without its Document rows."""
        return f"/{KIND_URL_PREFIX[kind]}/{slug}/"

    @property
    def reconstructed(self) -> bool:
        return any(w.startswith("structure reconstructed") for w in self.warnings)

    @property
    def file_path(self) -> str:
        """Where the document lives as a file, relative to a folder of documents: what the parser is
        given as its path, and where export_docs writes it.

        Its identity when that is a path (how the importer named it), else the file name it was
        imported from (its identity came from front matter `id:`), else `<slug>.md`.
        """
        if not self.identity.startswith("id:"):
            return self.identity
        return PurePosixPath(self.source_path.replace("\\", "/")).name or f"{self.slug}.md"


class Runbook(Document):
    KIND = DocumentKind.RUNBOOK
    alert = models.ForeignKey("kb.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="runbooks")
    # Label scope: the runbook applies to alerts whose labels contain all of these.
    labels = models.JSONField(default=dict, blank=True)
    # Review dates as teams write them in front matter (`last_reviewed_on: 2019-07-02`, `review_in: 6 months`).
    last_reviewed_on = models.DateField(null=True, blank=True)
    review_in = models.CharField(max_length=100, blank=True)
    # A stub ("Same as X", "See X", "moved to X") names the alert or page that holds the procedure; a stub
    # never competes with a real runbook of its alert (Alert.runbook_choice).
    stub_of = models.CharField(max_length=500, blank=True)
    # For one alert of a file with many (a playbooks file): the anchor of its section in that file.
    part_anchor = models.CharField(max_length=200, blank=True)
    # How many answers to "did it help?" said each, kept by kb.alerting.feedback as answers are written:
    # never counted on a page.
    feedback_yes = models.PositiveIntegerField(default=0)
    feedback_partly = models.PositiveIntegerField(default=0)
    feedback_no = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["title"]

    def list_place(self) -> str:
        """By its alert's name regardless of case, then its title; those without an alert last."""
        place = f"0{self.alert.name.lower()} {self.title}" if self.alert else f"1{self.title}"
        return place[:LIST_KEY_LENGTH]

    @classmethod
    def list_places_renewed(cls, pks: Iterable[int]) -> None:
        """Their `list_key` computed again where their alert changed without their `save`: renamed or deleted
        (the admin's kb.admin.AlertAdmin)."""
        runbooks = list(cls.objects.filter(pk__in=list(pks)).select_related("alert").only("title", "alert__name"))
        for runbook in runbooks:
            runbook.list_key = runbook.list_place()
        cls.objects.bulk_update(runbooks, ["list_key"], batch_size=500)


class PostMortem(Document):
    KIND = DocumentKind.POSTMORTEM
    date = models.DateField(null=True, blank=True)
    # Where the date was read ("front matter", "metadata", "title", "file name", "text", "timeline"),
    # so that a reader knows how far to trust it; "" when there is no date.
    date_source = models.CharField(max_length=20, blank=True)
    duration = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=100, blank=True)
    affected = models.TextField(blank=True)
    status = models.TextField(blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "title"]
        verbose_name = "post-mortem"

    def list_place(self) -> str:
        """Newest first (the date's digits counted down), then by title; those without a date last."""
        if self.date is None:
            return f"1{self.title}"[:LIST_KEY_LENGTH]
        return f"0{99_99_99_99 - int(self.date.strftime('%Y%m%d')):08d} {self.title}"[:LIST_KEY_LENGTH]


class Note(Document):
    """An operations note: a procedure, a helper page or an index that is neither a runbook nor a
    post-mortem. Searchable and linkable, with sections and entities; it answers no alert."""

    KIND = DocumentKind.NOTE

    class Meta:
        ordering = ["title"]

    def list_place(self) -> str:
        """By its title regardless of case."""
        return f"{self.title.lower()} {self.title}"[:LIST_KEY_LENGTH]


class Section(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=500)
    level = models.PositiveSmallIntegerField()
    anchor = models.CharField(max_length=200)
    markdown = models.TextField(blank=True)

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="section_position_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=6), name="section_level_1_to_6"),
        ]

    def __str__(self) -> str:
        return self.heading


class ResolutionEntry(models.Model):
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="resolution_entries")
    position = models.PositiveIntegerField()
    date = models.DateField(null=True, blank=True)
    incidents = models.JSONField(default=list, blank=True)
    old = models.CharField(max_length=500, blank=True)
    new = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    # Every original cell under its column header, whatever the columns were called.
    cells = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["runbook", "position"]
        verbose_name_plural = "resolution entries"
        constraints = [
            models.UniqueConstraint(fields=["runbook", "position"], name="resolution_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date or '?'} {self.old} → {self.new}".strip()


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        """Open follow-ups of post-mortems not archived, with their post-mortem, the oldest post-mortem first."""
        return (
            # Archived post-mortems are few, and found by their partial index: `postmortem__archived=False` read
            # every document (a sequential scan of 12,000 wide rows, 23 ms on PostgreSQL) to keep the rest.
            self.filter(status=FollowUpStatus.OPEN)
            .exclude(postmortem_id__in=Document.objects.filter(archived=True).values("pk"))
            .select_related("postmortem")
            .defer(*(f"postmortem__{text}" for text in DOCUMENT_TEXTS))
            .order_by(models.F("postmortem__date").asc(nulls_last=True), "postmortem_id", "position")
        )

    def overdue(self) -> FollowUpQuerySet:
        """Open follow-ups whose due date has passed."""
        return self.open().filter(due__lt=timezone.localdate())


class FollowUp(models.Model):
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="follow_ups")
    position = models.PositiveIntegerField()
    text = models.TextField()
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    owner = models.CharField(max_length=200, blank=True)
    due = models.DateField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "position"]
        # Open follow-ups (the insights' list) without reading the done ones.
        indexes = [models.Index(fields=["status", "postmortem", "position"], name="follow_up_status")]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "position"], name="follow_up_position_unique"),
            models.CheckConstraint(condition=Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="follow_up_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def overdue(self) -> bool:
        """Open after its due date: an "Open" from months ago is not the same as an open one due next week."""
        return self.status == FollowUpStatus.OPEN and self.due is not None and self.due < timezone.localdate()


class Lesson(models.Model):
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["postmortem", "position"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "position"], name="lesson_position_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="lesson_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Revision(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source_text = models.TextField()
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Git: the commit and the path in the repository this text is at (read by sync_git, or written
    # there from a web edit), or why a web edit is not in the repository (a conflict with upstream).
    git_commit = models.CharField(max_length=64, blank=True)
    git_path = models.CharField(max_length=1000, blank=True)
    git_problem = models.TextField(blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document} r{self.number}"

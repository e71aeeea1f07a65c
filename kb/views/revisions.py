"""Each document's revisions: the list, a diff between any two, one revision, and restore."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from kb.authoring import saving
from kb.authoring.forms import RestoreForm
from kb.documents.diff import text_diff
from kb.documents.saving import VersionConflict
from kb.markdown.parsing import ParseError
from kb.models import Document

HISTORY = "kb/revision_list.html"


def _document_or_404(kind: str, slug: str) -> Document:
    return get_object_or_404(Document, kind=kind, slug=slug)


def _number(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def _may_restore(user, document: Document) -> bool:
    return user.has_perm(f"kb.change_{document.kind}")


@require_safe
def revision_list(request, slug, kind):
    document = _document_or_404(kind, slug)
    # The table needs no texts; only the two compared are read.
    revisions = list(document.revisions.select_related("author").defer("source_text").order_by("-number"))
    by_number = {r.number: r for r in revisions}
    newest = revisions[0].number if revisions else 0
    old_number = _number(request.GET.get("from"), max(newest - 1, 1))
    new_number = _number(request.GET.get("to"), newest)
    for number in (old_number, new_number):
        if revisions and number not in by_number:
            raise Http404(f"{document} has no revision {number}")
    diff = []
    if revisions:
        texts = dict(
            document.revisions.filter(number__in=(old_number, new_number)).values_list("number", "source_text")
        )
        diff = text_diff(
            texts[old_number], texts[new_number], old_label=f"revision {old_number}", new_label=f"revision {new_number}"
        )
    context = {
        "document": document,
        "revisions": revisions,
        "old_number": old_number,
        "new_number": new_number,
        "diff": diff,
    }
    if request.htmx:
        return render(request, f"{HISTORY}#diff", context)
    return render(request, HISTORY, context)


@require_safe
def revision_detail(request, slug, kind, number):
    number = int(number)
    document = _document_or_404(kind, slug)
    revision = get_object_or_404(document.revisions.select_related("author"), number=number)
    return _revision_page(request, document, revision)


def _revision_page(request, document: Document, revision, *, error: str = "", status: int = 200):
    context = {
        "document": document,
        "revision": revision,
        "form": RestoreForm(initial={"version": document.version}),
        # Only to those who may restore; a visitor gets a link to log in.
        "offer_restore": request.user.is_authenticated and _may_restore(request.user, document),
        "error": error,
    }
    return render(request, "kb/revision_detail.html", context, status=status)


@login_required
@require_POST
def revision_restore(request, slug, kind, number):
    number = int(number)
    document = _document_or_404(kind, slug)
    if not _may_restore(request.user, document):
        raise PermissionDenied
    revision = get_object_or_404(document.revisions, number=number)
    form = RestoreForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            restored = saving.revision_restore(
                document=document, revision=revision, expected_version=form.cleaned_data["version"], author=request.user
            )
        except VersionConflict as exc:
            error = f"Not restored: {exc}. Look at the newer revisions first, then restore again if you still want to."
        except ParseError as exc:
            error = f"Not restored: this revision no longer imports ({exc})."
        else:
            return redirect(restored)
    else:
        error = "Not restored: the form lacked the version you were looking at."
    return _revision_page(request, document, revision, error=error, status=409)

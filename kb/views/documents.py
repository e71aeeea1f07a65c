import posixpath

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from kb.entity_links import document_html_linked
from kb.insights import related_documents
from kb.models import Document, Incident, PostMortem, Runbook


def home(request):
    return render(
        request,
        "kb/home.html",
        {
            "runbooks": Runbook.objects.filter(archived=False).select_related("alert").order_by("-updated_at")[:15],
            "postmortems": PostMortem.objects.filter(archived=False).order_by("-date")[:15],
            "incidents": Incident.objects.select_related("alert").order_by("-started_at", "-created_at")[:10],
        },
    )


def runbook_detail(request, slug):
    runbook = get_object_or_404(
        Runbook.objects.select_related("alert").prefetch_related("sections", "resolution_entries"), slug=slug
    )
    runbook.html = document_html_linked(runbook)
    return render(request, "kb/runbook_detail.html", {"runbook": runbook, "document": runbook, "related": related_documents(document=runbook)})


def postmortem_detail(request, slug):
    postmortem = get_object_or_404(PostMortem.objects.prefetch_related("sections", "follow_ups", "lessons"), slug=slug)
    postmortem.html = document_html_linked(postmortem)
    return render(request, "kb/postmortem_detail.html", {"postmortem": postmortem, "document": postmortem, "related": related_documents(document=postmortem)})


def resolve_reference(request):
    """Follows a Hugo `{{< ref "X.md" >}}` link written relative to the linking document."""
    target = request.GET.get("ref", "")
    origin = request.GET.get("from", "")
    if not target:
        raise Http404("no reference given")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(origin), target)).lstrip("./")
    candidates = [joined, target.lstrip("./")]
    for candidate in candidates:
        document = Document.objects.filter(identity=candidate, archived=False).first()
        if document is None:
            stem = candidate.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            document = Document.objects.filter(identity__iendswith=f"/{stem}.md", archived=False).first() or (
                Document.objects.filter(identity__iexact=f"{stem}.md", archived=False).first()
            )
        if document is not None:
            return redirect(document.get_absolute_url())
    raise Http404(f"no document for {target}")

"""Writing on the web: the post-mortem and runbook forms with their live preview, resolutions,
follow-up status, and each document's markdown for download. Every write needs a login with
the model's change permission (and CSRF, as every POST)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kb.alerting.history import postmortems_implicating
from kb.alerting.links import labels_from_query
from kb.authoring import saving
from kb.authoring.edits import EditError
from kb.authoring.forms import LIST_FORMS, FollowUpStatusForm, PostMortemEditor, ResolutionForm, RunbookForm
from kb.authoring.from_markdown import readable_source
from kb.authoring.to_markdown import normalise_text, postmortem_markdown, runbook_template
from kb.documents.diff import text_diff
from kb.documents.exporting import download_name
from kb.documents.saving import VersionConflict
from kb.markdown.syntax import ALERT_NAME
from kb.models import Alert, Document, Incident, PostMortem, Runbook

POSTMORTEM_FORM = "kb/postmortem_form.html"
RUNBOOK_FORM = "kb/runbook_form.html"


# --- post-mortems -------------------------------------------------------------------------------


@login_required
@permission_required("kb.change_postmortem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def postmortem_new(request):
    incident_id = request.POST.get("incident") or request.GET.get("incident")
    incident = (
        Incident.objects.select_related("alert").filter(pk=incident_id).first() if str(incident_id).isdigit() else None
    )
    return _postmortem_form(request, postmortem=None, incident=incident)


@login_required
@permission_required("kb.change_postmortem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def postmortem_edit(request, slug):
    return _postmortem_form(request, postmortem=get_object_or_404(PostMortem, slug=slug), incident=None)


def _postmortem_form(request, *, postmortem: PostMortem | None, incident: Incident | None):
    imported_severity = postmortem.severity if postmortem else ""
    if request.method == "GET":
        draft = (
            saving.postmortem_stored_draft(postmortem) if postmortem else saving.postmortem_new_draft(incident=incident)
        )
        editor = PostMortemEditor.for_draft(
            draft, version=postmortem.version if postmortem else 0, incident=incident, extra_severity=imported_severity
        )
        return _postmortem_page(request, editor, postmortem)
    action = request.POST.get("action", "")
    if action:
        # Add, remove or move a row: nothing is saved; htmx swaps just that list.
        editor = PostMortemEditor.rearranged(request.POST, action, extra_severity=imported_severity)
        name = action.split(":")[1] if action.count(":") else ""
        if request.htmx and name in LIST_FORMS:
            context = {"editor": editor, "form_action": request.path, "preview_html": _postmortem_preview_html(editor)}
            rows = render_to_string(f"{POSTMORTEM_FORM}#{name}", context, request=request)
            return HttpResponse(rows + render_to_string("kb/partials/preview_oob.html", context, request=request))
        return _postmortem_page(request, editor, postmortem)
    editor = PostMortemEditor(request.POST, extra_severity=imported_severity)
    if editor.is_valid():
        data = editor.form.cleaned_data
        try:
            saved = saving.postmortem_save(
                draft=editor.draft(),
                postmortem=postmortem,
                expected_version=data["version"],
                author=request.user,
                reason=data["reason"],
                incident=data["incident"],
            )
        except saving.DraftProblems as exc:
            editor.add_problems(exc.problems)
        except VersionConflict as exc:
            return _postmortem_conflict(request, exc, postmortem)
        else:
            return redirect(saved)
    return _postmortem_page(request, editor, postmortem)


def _postmortem_page(request, editor: PostMortemEditor, postmortem: PostMortem | None):
    context = {
        "editor": editor,
        "postmortem": postmortem,
        "form_action": request.path,
        "preview_html": _postmortem_preview_html(editor),
    }
    return render(request, POSTMORTEM_FORM, context)


def _postmortem_preview_html(editor: PostMortemEditor) -> str:
    draft = editor.draft()
    draft.title = draft.title.strip() or "Untitled post-mortem"
    return saving.preview_html(*postmortem_markdown(draft))


def _postmortem_conflict(request, exc: VersionConflict, postmortem: PostMortem | None):
    data = request.POST.copy()
    data["version"] = exc.document.version if exc.document else 0
    rebound = PostMortemEditor(data, extra_severity=postmortem.severity if postmortem else "")
    rebound.is_valid()
    context = {"editor": rebound, "postmortem": postmortem, "form_action": request.path}
    return _conflict_page(request, exc, context, form_partial=f"{POSTMORTEM_FORM}#form")


def _conflict_page(request, exc: VersionConflict, context: dict, *, form_partial: str):
    """The form again, beside the saved version and the difference to the text the save tried to write."""
    current = exc.document
    latest = current.revisions.select_related("author").order_by("-number").first() if current else None
    saved = current.source_text if current else ""
    context |= {
        "current": current,
        "latest": latest,
        "yours": exc.yours,
        "preview_html": saving.preview_html(exc.yours),
        "diff": text_diff(
            saved, exc.yours, old_label=f"saved version {current.version if current else ''}", new_label="your version"
        ),
        "form_partial": form_partial,
    }
    return render(request, "kb/conflict.html", context, status=409)


@login_required
@require_POST
def postmortem_preview(request):
    editor = PostMortemEditor(request.POST, extra_severity=request.POST.get("severity", ""))
    return HttpResponse(_postmortem_preview_html(editor))


# --- runbooks ------------------------------------------------------------------------------------


@login_required
@permission_required("kb.change_runbook", raise_exception=True)
@require_http_methods(["GET", "POST"])
def runbook_new(request):
    alert = request.GET.get("alert", "")
    alert = alert if ALERT_NAME.match(alert) else ""
    # From an alert link that no runbook fits: its labels become the scope, its post-mortems are linked.
    labels = {k: v for k, v in labels_from_query(request.GET).items() if k != "alert"} if alert else {}
    known = Alert.objects.filter(name__iexact=alert).first() if alert else None
    postmortems = postmortems_implicating(alert=known).order_by("-date", "title")[:5] if known else []
    text = runbook_template(alert, labels=labels, postmortems=postmortems)
    return _runbook_form(request, runbook=None, text=text)


@login_required
@permission_required("kb.change_runbook", raise_exception=True)
@require_http_methods(["GET", "POST"])
def runbook_edit(request, slug):
    runbook = get_object_or_404(Runbook, slug=slug)
    front, body = readable_source(runbook.source_text)
    return _runbook_form(request, runbook=runbook, text=front + body)


def _runbook_form(request, *, runbook: Runbook | None, text: str):
    version = runbook.version if runbook else 0
    form = RunbookForm(request.POST or None, initial={"text": text, "version": version})
    context = {"form": form, "runbook": runbook, "form_action": request.path}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = saving.runbook_save(
                text=data["text"],
                runbook=runbook,
                expected_version=data["version"],
                author=request.user,
                reason=data["reason"],
            )
        except saving.DraftProblems as exc:
            for field, message in exc.problems.items():
                form.add_error(field, message)
        except VersionConflict as exc:
            data = request.POST.copy()
            data["version"] = exc.document.version if exc.document else 0
            context["form"] = RunbookForm(data)
            return _conflict_page(request, exc, context, form_partial=f"{RUNBOOK_FORM}#form")
        else:
            return redirect(saved)
    context["preview_html"] = saving.preview_html(normalise_text(form["text"].value() or ""))
    return render(request, RUNBOOK_FORM, context)


@login_required
@require_POST
def runbook_preview(request):
    return HttpResponse(saving.preview_html(normalise_text(request.POST.get("text", ""))))


@login_required
@permission_required("kb.change_runbook", raise_exception=True)
@require_http_methods(["GET", "POST"])
def resolution_new(request, slug):
    runbook = get_object_or_404(Runbook, slug=slug)
    form = ResolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saving.resolution_add(runbook=runbook, entry=form.entry(), author=request.user)
        except (EditError, VersionConflict) as exc:
            form.add_error(None, f"Not added: {exc}")
        else:
            return redirect(f"{runbook.get_absolute_url()}#resolution-history")
    return render(request, "kb/resolution_form.html", {"form": form, "runbook": runbook})


# --- follow-ups --------------------------------------------------------------------------------------


@login_required
@permission_required("kb.change_postmortem", raise_exception=True)
@require_POST
def follow_up_status(request, slug, position):
    postmortem = get_object_or_404(PostMortem, slug=slug)
    form = FollowUpStatusForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            postmortem = saving.follow_up_status_change(
                postmortem=postmortem,
                position=position,
                text=form.cleaned_data["text"],
                status=form.cleaned_data["status"],
                author=request.user,
            )
        except (EditError, VersionConflict) as exc:
            error = str(exc)
    else:
        error = "Choose open or done."
    follow_up = postmortem.follow_ups.filter(position=position).first()
    if request.htmx and follow_up is not None:
        context = {"follow_up": follow_up, "postmortem": postmortem, "follow_up_error": error}
        return render(request, "kb/partials/follow_up.html", context)
    if error:
        return render(request, "kb/edit_refused.html", {"document": postmortem, "message": error}, status=409)
    return redirect(postmortem)


# --- markdown downloads ---------------------------------------------------------------------------------


@require_safe
def document_download(request, slug, kind):
    """The document's markdown exactly as `export_docs` writes it."""
    document = get_object_or_404(Document, kind=kind, slug=slug)
    response = HttpResponse(document.source_text.encode("utf-8"), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=download_name(document))
    return response

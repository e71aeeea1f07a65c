"""Entity pages: one per thing the documents mention, and the list of them by kind."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from kb.entities.insights import entities_annotated, entity_named, entity_profile
from kb.models import Entity, EntityKind
from kb.views.conditional import PAGE_SECONDS, site_stamp
from kb.views.paging import offset_page

ENTITIES_PER_PAGE = 100


def _get_entity_or_404(name: str) -> tuple[Entity, bool]:
    entity, by_alias = entity_named(name)
    if entity is None or entity.ignored:
        raise Http404(f"no entity named {name}")
    return entity, by_alias


@require_safe
def entity_detail(request, name):
    entity, by_alias = _get_entity_or_404(name)
    if by_alias:
        return redirect(entity.get_absolute_url(), permanent=True)
    # The entity as curated (its name, kind, aliases, counts) and the stamp of the rest: the profile's key.
    curated = (entity.pk, entity.name, entity.kind, entity.documents, entity.implicated_in, entity.has_runbook)
    curated += tuple(alias.name for alias in entity.aliases.all())
    return render(
        request,
        "kb/entity_detail.html",
        {
            "entity": entity,
            # Read only when the cached profile is missing.
            "profile": SimpleLazyObject(lambda: entity_profile(entity, incident_documents=False)),
            "page_key": f"{site_stamp()}:{curated!r}",
            "page_seconds": PAGE_SECONDS,
        },
    )


@require_safe
def entity_list(request):
    kind = request.GET.get("kind", "")
    if kind and kind not in EntityKind.values:
        raise Http404(f"no kind of entity called {kind}")
    entities = entities_annotated()
    if kind:
        entities = entities.filter(kind=kind)
    # In the order of an index (kb.Entity's entity_kind_implicated): a page is read, never the whole list sorted.
    entities = entities.filter(document_count__gt=0).order_by("kind", "-implicated_in", "name")
    page = offset_page(entities, request, per_page=ENTITIES_PER_PAGE, keep=f"kind={kind}&" if kind else "")
    return render(
        request,
        "kb/entity_list.html",
        {"entities": page.items, "page": page, "kind": kind, "kinds": EntityKind.choices},
    )

"""Pages of a list that never count the whole list: one row more than a page is read to know
whether another page follows. By offset (`offset_page`), for lists read in index order, and by key
(`keyset_page`) for incidents, where an offset deep in a hundred thousand rows would read them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

PER_PAGE = 50


@dataclass
class Page:
    items: list
    number: int = 1
    has_next: bool = False
    next_query: str = ""  # the query string of the next page, `?page=3` or `?before=…`
    previous_query: str = ""
    extra: dict = field(default_factory=dict)


def offset_page(rows: QuerySet, request, *, per_page: int = PER_PAGE, keep: str = "") -> Page:
    """The page `?page=N` of `rows` (already ordered); `keep` is a query string to carry (`kind=alert&`)."""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    start = (number - 1) * per_page
    items = list(rows[start : start + per_page + 1])
    page = Page(items[:per_page], number, has_next=len(items) > per_page)
    if page.has_next:
        page.next_query = f"?{keep}page={number + 1}"
    if number > 1:
        page.previous_query = f"?{keep}page={number - 1}"
    return page


def keyset_page(rows: QuerySet, request, *, key: str, per_page: int = PER_PAGE) -> Page:
    """The page of `rows` (ordered by the annotation `key` descending, then pk descending) after
    `?before=<key value>~<pk>`: an index range, however deep the page."""
    before = request.GET.get("before", "")
    value, _, pk = before.partition("~")
    if value and pk.isdigit():
        rows = rows.filter(Q(**{f"{key}__lt": value}) | Q(**{key: value, "pk__lt": int(pk)}))
    items = list(rows[: per_page + 1])
    page = Page(items[:per_page], has_next=len(items) > per_page)
    if page.has_next:
        last = page.items[-1]
        page.next_query = "?" + urlencode({"before": f"{getattr(last, key).isoformat()}~{last.pk}"})
    if before:
        page.previous_query = "?"  # back to the newest: a keyset goes forward only
    return page

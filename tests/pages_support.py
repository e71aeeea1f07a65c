"""Documents written the way the importer writes them, for the page tests."""

from io import StringIO
from pathlib import Path
from textwrap import dedent

from django.core.management import call_command

from kb.documents.saving import document_save
from kb.markdown.parsing import parse_document


def save_document(text: str, *, identity: str):
    """Parses and saves markdown as the importer would; returns the Runbook or PostMortem."""
    text = dedent(text).lstrip()
    document, _ = document_save(
        parse_document(text, identity),
        identity=identity,
        source_path=f"docs/{identity}",
        source_text=text,
        reason="test",
    )
    return document


def save_runbook(alert: str, labels: dict[str, str], *, slug: str, title: str = "", body: str = "Do the thing.\n"):
    scope = "{" + ", ".join(f"{k}: {v}" for k, v in labels.items()) + "}"
    text = f"---\nkind: runbook\nslug: {slug}\nalert: {alert}\nlabels: {scope}\n---\n# {title or slug}\n\n## Mitigation\n\n{body}"
    return save_document(text, identity=f"{slug}.md")


def import_related_postmortem() -> None:
    """A post-mortem sharing entities with both seeds (and the day the seed post-mortem refers to)."""
    path = Path(__file__).parent / "fixtures" / "entities" / "2026-05-16-kured-reboot-backlog.md"
    call_command("import_docs", str(path), stdout=StringIO())

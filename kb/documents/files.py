"""Which files of a folder are documents: markdown and text files, less repository files and templates.

Pure, no database: the importer skips what `skip_reason` names, and the web editor and the
exporter refuse a path that a later import would skip.
"""

from __future__ import annotations

from pathlib import Path

TEXT_SUFFIXES = {".md", ".markdown", ".mdx", ".txt", ""}
# Markdown a site generator runs through a template language first (`vpn-down.html.md.erb`): the
# template tags stay text and are sanitised with the rest.
TEMPLATED_MARKDOWN = {".erb", ".liquid", ".njk"}
# Files every repository has that are about the repository, not runbooks or post-mortems: skipped
# by name, with or without an extension and whatever they start with.
REPOSITORY_FILES = {
    *("readme", "license", "licence", "copying", "notice", "changelog", "contributing", "code_of_conduct"),
    *("security", "support", "governance", "authors", "contributors", "maintainers", "owners", "codeowners"),
    *("source", "attribution", "credits", "patents", "version", "manifest"),
    *("makefile", "gnumakefile", "dockerfile", "containerfile", "vagrantfile", "jenkinsfile", "procfile"),
    *("gemfile", "rakefile", "brewfile", "justfile", "pipfile", "tiltfile"),
}


def skip_reason(path: Path) -> str | None:
    suffix = path.suffix.lower()
    # "Upgrade to v1.2" has a dot but no extension: only a short alphabetic suffix is one.
    has_extension = bool(suffix) and suffix[1:].isalnum() and not suffix[1:].isdigit() and len(suffix) <= 10
    if has_extension and suffix in TEMPLATED_MARKDOWN and Path(path.stem).suffix.lower() in TEXT_SUFFIXES - {""}:
        suffix = Path(path.stem).suffix.lower()
    elif has_extension and suffix not in TEXT_SUFFIXES:
        return f"not a markdown or text file ({suffix})"
    stem = path.name.split(".")[0].lower()
    if stem in REPOSITORY_FILES:
        return f"repository file ({path.name}), not a document"
    # A blank form to copy ("Postmortem template", "runbook_template", "TEMPLATE-incident",
    # "PostmortemTemplate"); "helm-template-outage" is a real document.
    name = path.name.split(".")[0] if has_extension else path.name
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    if words and "template" in (words[0], words[-1]) or name.endswith("Template"):
        return "template"
    return None

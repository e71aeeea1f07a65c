"""Which files of a folder are documents: markdown and text files, less repository files and templates.

Pure, no database: the importer skips what `skip_reason` names, and the web editor and the
exporter refuse a path that a later import would skip.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

TEXT_SUFFIXES = {".md", ".markdown", ".mdx", ".txt", ""}
# The page a static-site generator makes of `disk-full.html.md`: not part of the document's name (its slug).
WEB_PAGE_SUFFIX = re.compile(r"\.(?:html?|xhtml|php|aspx?)$", re.I)
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


# Control characters (a newline or an escape sequence in a file name rewrites the terminal and the
# log it is printed to), bidirectional overrides (they disguise an extension) and the surrogates
# Python uses for bytes that are not UTF-8.
UNSAFE_NAME_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def shown_name(name: str) -> str:
    """A file name safe to print: every unsafe character written as its escape (`\\x1b`)."""
    return UNSAFE_NAME_CHARACTERS.sub(lambda m: m[0].encode("unicode_escape", "backslashreplace").decode(), name)


def name_problem(relative: str) -> str | None:
    """Why a path (relative to a folder of documents) can be neither imported nor exported, or None."""
    if UNSAFE_NAME_CHARACTERS.search(relative):
        return "file name has control characters or bytes that are not UTF-8; rename it"
    parts = PurePosixPath(relative.replace("\\", "/"))
    if parts.is_absolute() or re.match(r"^[A-Za-z]:", relative) or ".." in parts.parts:
        return "not a path inside the folder"
    return None


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

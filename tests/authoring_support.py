"""Helpers for the authoring tests: the slugs of the project's seed documents (tests/fixtures/seeds), and
what a browser would send back from a form on a page. The personas (editor, other_editor, reader, editor_client) are fixtures in conftest."""

from html.parser import HTMLParser

# Written for the project in the style of ../shared/seeds; each slug is its file name without .txt.
SEED_POSTMORTEM = "kured-gate-oom"
SEED_RUNBOOK = "velero-oomkilled"


class _FormReader(HTMLParser):
    def __init__(self, form_id: str | None):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._option: str | None = None
        self._selected: str | None = None
        self._first_option: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (
            tag == "form"
            and not self.inside
            and (self.form_id is None or attrs.get("id") == self.form_id or attrs.get("action") == self.form_id)
        ):
            self.inside = True
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.fields.append((name, attrs.get("value", "")))
        elif tag == "input" and name and attrs.get("type") in ("checkbox", "radio") and "checked" in attrs:
            self.fields.append((name, attrs.get("value", "on")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._selected, self._first_option = name, None, None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._selected = value

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea:
            # Browsers drop one newline right after <textarea>, as Django's widget writes one.
            self.fields.append((self._textarea, self._text[1:] if self._text.startswith("\n") else self._text))
            self._textarea = None
        elif tag == "select" and self._select:
            self.fields.append(
                (self._select, self._selected if self._selected is not None else (self._first_option or ""))
            )
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data


def form_data(html: str, form: str | None = None) -> dict[str, str]:
    """The fields a browser would submit from the first form (or the form with that id or action)."""
    reader = _FormReader(form)
    reader.feed(html)
    return dict(reader.fields)


def log_in(page, next_url: str, *, username: str = "erin") -> None:
    """Logs a persona of tests/conftest.py in through the login form in a browser tab, and lands on `next_url`."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_url}")

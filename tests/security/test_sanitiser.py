"""What the browser test found in the sanitiser, pinned without a browser: images from other sites
are fetched the moment a page opens, so they become links; images of the knowledge base stay."""

import re
from html.parser import HTMLParser

import pytest

from kb.markdown.rendering import render
from tests.security.payloads import PAYLOADS, one_line, payload


def test_an_image_from_another_site_becomes_a_link_named_by_its_alt_text():
    html = render("![Read IOPS over 12 h](https://i.imgur.com/0bTTTRd.png)").html
    assert "<img" not in html
    assert (
        '<a class="remote-image" href="https://i.imgur.com/0bTTTRd.png" rel="noopener noreferrer">Read IOPS over 12 h</a>'
        in html
    )


def test_raw_html_and_protocol_relative_images_are_links_too():
    html = render('<p><img src="//cdn.example.org/x.png" alt="cdn"> <IMG SRC="HTTP://EXAMPLE.ORG/Y.PNG"></p>').html
    assert "<img" not in html
    assert ">cdn</a>" in html and ">image</a>" in html


def test_an_image_of_the_knowledge_base_itself_stays_an_image():
    assert (
        '<img alt="disk ops" src="./images/2019-05-30/throttled-disk-ops.png">'
        in render("![disk ops](./images/2019-05-30/throttled-disk-ops.png)").html
    )


def test_alt_text_that_looks_like_markup_stays_text():
    html = render('<img src="https://x.example/p.png" alt="<script>alert(1)</script>">').html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in html


def test_a_badge_inside_a_link_keeps_the_outer_link_and_no_nested_one():
    html = render("[![build](https://ci.example.org/badge.svg)](https://ci.example.org/job)").html
    assert html.count("<a ") == 1
    assert '<span class="remote-image">build</span>' in html


class Dangers(HTMLParser):
    """What a browser could run or fetch in a piece of HTML, as the browser test's audit sees it."""

    ELEMENTS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "base", "link", "meta", "form"}
    URLS = {"href", "src", "srcset", "action", "formaction", "data", "poster", "background", "xlink:href", "srcdoc"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.ELEMENTS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            compact = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.startswith("on") or name.startswith(("hx-", "data-hx-")) or name == "style":
                self.found.append(f"<{tag} {name}>")
            elif name in self.URLS and compact.startswith(("javascript:", "vbscript:", "data:")):
                self.found.append(f"<{tag} {name}={value}>")
            elif name in self.URLS and "xss-" in compact and not (tag == "a" and name == "href"):
                self.found.append(f"<{tag} {name}={value}> fetched on load")


@pytest.mark.parametrize("n", range(len(PAYLOADS)))
def test_no_payload_leaves_anything_that_runs_or_fetches_in_the_rendered_html(n):
    for text in (
        payload(n),
        f"# Title {one_line(payload(n))}\n\n| a | b |\n|---|---|\n| {one_line(payload(n))} | x |\n",
    ):
        dangers = Dangers()
        dangers.feed(render(text).html)
        assert dangers.found == [], (n, payload(n))

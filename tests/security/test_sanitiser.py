"""What the browser test found in the sanitiser, pinned without a browser: images from other sites
are fetched the moment a page opens, so they become links; images of the knowledge base stay."""

from kb.markdown.rendering import render


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

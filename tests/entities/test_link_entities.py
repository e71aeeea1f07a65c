"""`link_entities`: the stored HTML's names linked, once per section, leaving headings, links and code blocks be."""

import random

from kb.entities.links import STEERING, TAG, Link, _Linking, link_entities

VELERO = Link("velero", "/entities/velero/", "Component velero")
OOM = Link("OOMKilled", "/entities/OOMKilled/", "Alert OOMKilled")


def a(link: Link, text: str) -> str:
    return f'<a class="entity" href="{link.url}" title="{link.title}">{text}</a>'


def test_it_links_the_first_mention_of_each_name_in_each_section():
    html = (
        "<p>Velero and <em>velero</em> again.</p>"
        '<h2 id="fix">Velero fix</h2><p>Restart <strong>velero</strong>; velero.</p>'
    )
    linked = link_entities(html, {"": [VELERO], "fix": [VELERO]})
    assert linked == (
        f"<p>{a(VELERO, 'Velero')} and <em>velero</em> again.</p>"
        f'<h2 id="fix">Velero fix</h2><p>Restart <strong>{a(VELERO, "velero")}</strong>; velero.</p>'
    )


def test_it_wraps_a_code_span_that_is_exactly_a_name_and_leaves_code_blocks_and_links_be():
    html = (
        '<p><a href="/x">velero</a> <code>velero-0</code></p><pre><code>velero OOMKilled</code></pre>'
        "<p>pod <code>OOMKilled</code> then OOMKilled and velero-ish and velero</p>"
    )
    linked = link_entities(html, {"": [VELERO, OOM]})
    assert linked == (
        '<p><a href="/x">velero</a> <code>velero-0</code></p><pre><code>velero OOMKilled</code></pre>'
        f"<p>pod {a(OOM, '<code>OOMKilled</code>')} then OOMKilled and velero-ish and {a(VELERO, 'velero')}</p>"
    )


def test_names_in_attributes_are_not_linked():
    html = '<p title="velero"><img alt="velero">velero</p>'
    assert link_entities(html, {"": [VELERO]}) == f'<p title="velero"><img alt="velero">{a(VELERO, "velero")}</p>'


# What `_Linking.steering` replaced: every tag part matched on its own.
def steering_part_by_part(parts: list[str]) -> list[int]:
    steering = [i for i in range(1, len(parts), 2) if STEERING.match(parts[i])]
    return steering + [len(parts) - 1] if len(parts) % 2 and STEERING.match(parts[-1]) else steering


STEERING_PIECES = ["<", ">", "/", "</", " ", '"', "=", "a", "A", "pre", "h2", "H3", "code", "codex", "em", "p", "x", '<a title="<h2>">', "&lt;"]  # fmt: skip


def test_the_tags_that_steer_the_linking_are_those_a_tag_by_tag_reading_finds():
    generator = random.Random(7)
    for _ in range(20000):
        text = "".join(generator.choice(STEERING_PIECES) for _ in range(generator.randint(0, 16)))
        parts = TAG.split(text)
        assert _Linking(text, parts, {}).steering() == steering_part_by_part(parts), text

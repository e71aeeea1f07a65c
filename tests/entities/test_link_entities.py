"""`link_entities`: the stored HTML's names linked, once per section, leaving headings, links and code blocks be."""

from kb.entities.links import Link, link_entities

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

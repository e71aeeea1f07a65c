"""The text helpers of search: pure functions, no database."""

from kb.search.text import edit_distance, html_text, identifier_parts, identifier_terms, similarity, vocabulary


def test_it_splits_identifiers_into_their_parts():
    assert identifier_parts("HomelabPodOOMKilled") == ["homelab", "pod", "oom", "killed"]
    assert identifier_parts("container_oom_events_total") == ["container", "oom", "events", "total"]
    assert identifier_parts("kube-apiserver") == ["kube", "apiserver"]
    assert identifier_parts("etcdNoLeader") == ["etcd", "no", "leader"]


def test_it_writes_identifiers_joined_split_and_by_neighbouring_parts():
    terms = identifier_terms("the KubePodCrashLooping alert").split()
    assert {"kubepodcrashlooping", "kube", "pod", "crash", "looping", "crashlooping"} <= set(terms)
    assert "the" not in terms and "alert" not in terms


def test_html_becomes_the_text_a_reader_sees():
    markup = '<h2 id="fix">Fix</h2>\n<pre><code>NODE=&#x27;&lt;value from alert&gt;&#x27;\n</code></pre><p><a href="http://e.org">a link</a></p>'
    assert html_text(markup) == "Fix NODE='<value from alert>' a link"


def test_the_vocabulary_keeps_words_worth_correcting_to():
    assert vocabulary("Velero OOM 512 kopia a1", "x_y") == {"velero", "oom", "kopia"}


def test_similarity_is_pg_trgm_similarity():
    assert similarity("velero", "velero") == 1
    assert round(similarity("word", "words"), 6) == 0.571429  # SELECT similarity('word', 'words') in pg_trgm
    assert similarity("abc", "xyz") == 0


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("wirte", "write") == 1
    assert edit_distance("valero", "velero") == 1
    assert edit_distance("oomkiled", "oomkilled") == 1
    assert edit_distance("kitten", "sitting") == 3

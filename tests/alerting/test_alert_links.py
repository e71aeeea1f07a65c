"""Reading the labels and the alert name of an alert link: pure functions."""

from django.http import QueryDict

from kb.alerting.links import alert_name_from_path, labels_from_query, labels_query


def test_it_keeps_label_names_with_values():
    query = QueryDict("namespace=velero&pod=velero-1&empty=&not-a-label=x&pod=velero-2&nul=a%00b")
    assert labels_from_query(query) == {"namespace": "velero", "pod": "velero-2"}


def test_it_drops_overlong_values_and_caps_the_number_of_labels():
    query = QueryDict("&".join([f"l{i}=v" for i in range(200)] + ["big=" + "x" * 5000]))
    labels = labels_from_query(query)
    assert len(labels) == 64 and "big" not in labels


def test_it_writes_labels_back_as_a_query_string():
    assert labels_query({"namespace": "a b", "path": "/x&y"}) == "?namespace=a+b&path=%2Fx%26y"
    assert labels_query({}) == ""


def test_it_reads_the_alert_name_from_the_path():
    assert alert_name_from_path("KubePodCrashLooping") == "KubePodCrashLooping"
    assert alert_name_from_path("KubePodCrashLooping//") == "KubePodCrashLooping"
    assert alert_name_from_path("a\x00b") is None
    assert alert_name_from_path("x" * 201) is None
    assert alert_name_from_path(" / ") is None

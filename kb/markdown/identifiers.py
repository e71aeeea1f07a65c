"""The identifier grammar: what operators type and documents name (HomelabPodOOMKilled,
container_oom_events_total, kube-apiserver, v1.17) and the words it is made of. Pure.

Search indexes identifiers by their parts and entity extraction weighs them by their parts, so
both read them here.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"[A-Za-z0-9]+(?:[_.\-][A-Za-z0-9]+)*")
# A letter of another script is one more letter of the word it is in ("Größe" is one part, not "gr" and "e").
CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[^\W\d_A-Z]+|[A-Z]+|[0-9]+")


def identifier_parts(token: str) -> list[str]:
    """`HomelabPodOOMKilled` → homelab, pod, oom, killed; `kube-apiserver` → kube, apiserver."""
    return [part.lower() for piece in re.split(r"[_.\-]+", token) for part in CAMEL_PART.findall(piece)]

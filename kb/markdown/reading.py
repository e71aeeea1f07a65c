"""Reading a file's bytes as a document's text: its size, emptiness, binary content and encoding
checked, with the byte offset and line of what is wrong; and the hash a stored text is compared by."""

from __future__ import annotations

import hashlib

from kb.markdown.errors import ParseError

MAX_BYTES = 2 * 1024 * 1024


def decode(data: bytes) -> str:
    """UTF-8 text exactly as stored (BOM and CRLF kept, so it encodes back to the same bytes)."""
    if len(data) > MAX_BYTES:
        raise ParseError(f"file is {len(data):,} bytes, over the {MAX_BYTES:,}-byte limit")
    if not data.strip():
        raise ParseError("file is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(f"binary content (NUL byte at byte offset {nul})", line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(f"invalid UTF-8 at byte offset {exc.start}", line=line) from None


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""What reading a document can fail with. Its own module so that `syntax` (which reads front matter)
and `parsing` (which reads everything else) raise the same errors without importing each other.
"""


class NotADocument(Exception):
    """The file holds no document (a section index with front matter only): skip it, it is no error."""


class ParseError(Exception):
    """The document cannot be imported; the message says where and why."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line

    def __str__(self) -> str:
        text = self.args[0]
        return f"line {self.line}: {text}" if self.line else text

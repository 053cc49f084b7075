"""Open documents, kept in sync with the editor and parsed incrementally.

Positions on the wire are LSP positions whose ``character`` counts UTF-16 code units, Python
strings index code points, and tree-sitter counts UTF-8 bytes. Mixing these up is the classic crash
of AI language servers on emoji or CJK text, so every conversion lives here, in one place, and
every position a client sends is clamped instead of trusted.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openagent_lsp.context.languages import grammar_for, new_parser
from openagent_lsp.context.text import utf16_len, utf16_to_index
from openagent_lsp.context.types import Position, Range, TextChange
from openagent_lsp.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from tree_sitter import Parser, Tree

_EOL = re.compile(r"\r\n|\r|\n")
# tree-sitter holds the GIL while it parses: measured, 1 MiB of ordinary Python takes 0.5 s and 1 MiB of
# text that is not code 7 s (10 MiB: 55 s). Larger documents get no syntax tree (the context falls back to
# line-based heuristics), and the text is fed in chunks so the event loop runs between two of them.
MAX_TREE_BYTES = 1 << 20
_PARSE_CHUNK = 2048


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (what tree-sitter counts)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class _Edit:
    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


class Document:
    """One open text document: its text, version, language and (lazily) its syntax tree.

    The tree is parsed on first access and afterwards re-parsed incrementally: each change is
    recorded with ``tree.edit`` and the next access calls ``parser.parse(new, old_tree)``, which
    costs about a millisecond on a 5,000-line file instead of ~20 ms for a full parse.
    """

    def __init__(self, uri: str, language_id: str, version: int, text: str) -> None:
        self.uri = uri
        self.language_id = language_id
        self.version = version
        self.grammar: str | None = grammar_for(language_id, uri)
        self._lock = threading.RLock()
        self._text = text
        self._line_starts: list[int] | None = None
        self._ascii: bool | None = None
        self._bytes: bytes | None = None
        self._parser: Parser | None = None
        self._tree: Tree | None = None
        self._tree_stale = False
        self._pending_edits: list[_Edit] = []
        # Caches of derived data keyed by version (outline, snippet candidates...).
        self.derived: dict[str, tuple[int, object]] = {}

    def __repr__(self) -> str:
        return f"Document({self.uri!r}, {self.language_id!r}, version={self.version})"

    # ------------------------------------------------------------------ text and lines
    @property
    def text(self) -> str:
        """The full current text."""
        return self._text

    @property
    def source(self) -> bytes:
        """The text as UTF-8 bytes, the form tree-sitter's byte offsets refer to."""
        with self._lock:
            if self._bytes is None:
                self._bytes = self._text.encode("utf-8", errors="surrogatepass")
            return self._bytes

    @property
    def is_ascii(self) -> bool:
        """Whether byte, UTF-16 and string offsets coincide (the fast path for most code)."""
        if self._ascii is None:
            self._ascii = self._text.isascii()
        return self._ascii

    def _starts(self) -> list[int]:
        starts = self._line_starts
        if starts is None:
            text = self._text
            starts = [0]
            if "\r" not in text:
                pos = text.find("\n")
                while pos != -1:
                    starts.append(pos + 1)
                    pos = text.find("\n", pos + 1)
            else:
                starts.extend(m.end() for m in _EOL.finditer(text))
            self._line_starts = starts
        return starts

    @property
    def line_count(self) -> int:
        """Number of lines as LSP counts them (a trailing newline opens one more, empty line)."""
        return len(self._starts())

    def _line_bounds(self, line: int) -> tuple[int, int]:
        """Start and end (before the line terminator) string offsets of a clamped line."""
        starts = self._starts()
        line = min(max(line, 0), len(starts) - 1)
        start = starts[line]
        if line + 1 < len(starts):
            end = starts[line + 1] - 1
            if end > start and self._text[end] == "\n" and self._text[end - 1] == "\r":
                end -= 1
        else:
            end = len(self._text)
        return start, end

    def line(self, n: int) -> str:
        """Text of line ``n`` without its terminator; ``""`` for a line past the end."""
        if n < 0 or n >= self.line_count:
            return ""
        start, end = self._line_bounds(n)
        return self._text[start:end]

    # ------------------------------------------------------------------ conversions
    def offset_at(self, position: Position) -> int:
        """String index of an LSP position, clamped into the document."""
        starts = self._starts()
        if position.line < 0:
            return 0
        if position.line >= len(starts):
            return len(self._text)
        start, end = self._line_bounds(position.line)
        if self.is_ascii:
            return start + min(max(position.character, 0), end - start)
        return start + utf16_to_index(self._text[start:end], position.character)

    def position_at(self, offset: int) -> Position:
        """LSP position (UTF-16 columns) of a string index, clamped into the document."""
        offset = min(max(offset, 0), len(self._text))
        starts = self._starts()
        line = bisect_right(starts, offset) - 1
        start = starts[line]
        if self.is_ascii:
            return Position(line, offset - start)
        return Position(line, utf16_len(self._text[start:offset]))

    def range_at(self, start: int, end: int) -> Range:
        """LSP range of the string slice ``[start, end)``."""
        return Range(self.position_at(start), self.position_at(end))

    def byte_at(self, offset: int) -> int:
        """UTF-8 byte offset of a string index (tree-sitter's unit)."""
        offset = min(max(offset, 0), len(self._text))
        return offset if self.is_ascii else utf8_len(self._text[:offset])

    def offset_from_byte(self, byte: int) -> int:
        """String index of a UTF-8 byte offset (e.g. a node's ``start_byte``)."""
        if self.is_ascii:
            return min(max(byte, 0), len(self._text))
        return len(self.source[: max(byte, 0)].decode("utf-8", errors="ignore"))

    def point_at(self, offset: int) -> tuple[int, int]:
        """tree-sitter point ``(row, byte column)`` of a string index; rows count ``\\n`` only."""
        offset = min(max(offset, 0), len(self._text))
        text = self._text
        row = text.count("\n", 0, offset)
        line_start = text.rfind("\n", 0, offset) + 1
        return (row, utf8_len(text[line_start:offset]))

    # ------------------------------------------------------------------ changes
    def apply_change(self, change: TextChange) -> None:
        """Apply one content change (full or ranged) and record it for the incremental re-parse."""
        with self._lock:
            if change.range is None:
                self._set_text(change.text)
                self._tree = None
                self._pending_edits.clear()
                return
            start = self.offset_at(change.range.start)
            end = self.offset_at(change.range.end)
            if end < start:
                start, end = end, start
            old = self._text
            if self._tree is not None:
                start_byte = self.byte_at(start)
                old_end_byte = start_byte + utf8_len(old[start:end])
                start_point = self.point_at(start)
                old_end_point = self.point_at(end)
                new_text = change.text
                newlines = new_text.count("\n")
                if newlines:
                    tail = new_text[new_text.rfind("\n") + 1 :]
                    new_end_point = (start_point[0] + newlines, utf8_len(tail))
                else:
                    new_end_point = (start_point[0], start_point[1] + utf8_len(new_text))
                self._pending_edits.append(
                    _Edit(
                        start_byte,
                        old_end_byte,
                        start_byte + utf8_len(new_text),
                        start_point,
                        old_end_point,
                        new_end_point,
                    )
                )
            starts = self._updated_line_starts(start, end, change.text)
            self._set_text(old[:start] + change.text + old[end:])
            self._line_starts = starts

    def _updated_line_starts(self, start: int, end: int, new_text: str) -> list[int] | None:
        """Line starts after replacing ``[start, end)`` with ``new_text``, shifted rather than
        recomputed (typing in a 5,000-line file would otherwise rescan it on every keystroke).
        ``None`` (recompute later) when carriage returns make line breaks context-dependent."""
        starts = self._line_starts
        if starts is None or "\r" in new_text or "\r" in self._text:
            return None
        first = bisect_right(starts, start)
        last = bisect_right(starts, end)
        delta = len(new_text) - (end - start)
        inserted = []
        pos = new_text.find("\n")
        while pos != -1:
            inserted.append(start + pos + 1)
            pos = new_text.find("\n", pos + 1)
        tail = starts[last:]
        if delta:
            tail = [s + delta for s in tail]
        return starts[:first] + inserted + tail

    def _set_text(self, text: str) -> None:
        self._text = text
        self._line_starts = None
        self._ascii = None
        self._bytes = None
        self._tree_stale = True

    # ------------------------------------------------------------------ tree
    @property
    def tree(self) -> Tree | None:
        """The syntax tree of the current text, or ``None`` for languages without a grammar."""
        if self.grammar is None:
            return None
        with self._lock:
            if self._tree is not None and not self._tree_stale:
                return self._tree
            source = self.source
            if len(source) > MAX_TREE_BYTES:
                self._tree = None
                self._pending_edits.clear()
                return None
            if self._parser is None:
                self._parser = new_parser(self.grammar)
                if self._parser is None:
                    self.grammar = None
                    return None
            old_tree = self._tree
            if old_tree is not None:
                for e in self._pending_edits:
                    old_tree.edit(
                        start_byte=e.start_byte,
                        old_end_byte=e.old_end_byte,
                        new_end_byte=e.new_end_byte,
                        start_point=e.start_point,
                        old_end_point=e.old_end_point,
                        new_end_point=e.new_end_point,
                    )
                self._tree = self._parser.parse(_chunks(source), old_tree)
            else:
                self._tree = self._parser.parse(_chunks(source))
            self._pending_edits.clear()
            self._tree_stale = False
            return self._tree

    def node_text(self, start_byte: int, end_byte: int) -> str:
        """Text between two byte offsets, decoded leniently."""
        return self.source[start_byte:end_byte].decode("utf-8", errors="replace")

    def node_range(self, start_byte: int, end_byte: int) -> Range:
        """LSP range of a byte span (a node's ``start_byte``/``end_byte``)."""
        return self.range_at(self.offset_from_byte(start_byte), self.offset_from_byte(end_byte))


def _chunks(source: bytes) -> Callable[[int, tuple[int, int]], bytes]:
    """tree-sitter's read callback: a call into Python per chunk lets other threads take the GIL."""

    def read(byte: int, _point: tuple[int, int]) -> bytes:
        return source[byte : byte + _PARSE_CHUNK]

    return read


class DocumentStore:
    """The server's source of truth for open documents (``didOpen``/``didChange``/``didClose``).

    Thread-safe, because completions read documents from worker threads while the event loop
    applies changes.
    """

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self._lock = threading.RLock()

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        """Start tracking a document; re-opening an open URI replaces it."""
        doc = Document(uri, language_id, version, text)
        with self._lock:
            self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int, changes: Iterable[TextChange]) -> Document:
        """Apply ``contentChanges`` in order, as LSP requires, and set the new version."""
        doc = self.get(uri)
        with doc._lock:
            for change in changes:
                doc.apply_change(change)
            doc.version = version
        return doc

    def close(self, uri: str) -> None:
        """Forget a document; closing an unknown URI is harmless (clients do it after errors)."""
        with self._lock:
            self._docs.pop(uri, None)

    def get(self, uri: str) -> Document:
        """The open document for ``uri``; unknown URIs are a client error, reported clearly."""
        with self._lock:
            doc = self._docs.get(uri)
        if doc is None:
            raise InvalidInputError(
                f"Document {uri} is not open on the server (textDocument/didOpen was not received)."
            )
        return doc

    def find(self, uri: str) -> Document | None:
        """The open document for ``uri`` or ``None``."""
        with self._lock:
            return self._docs.get(uri)

    def __contains__(self, uri: object) -> bool:
        with self._lock:
            return uri in self._docs

    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def __iter__(self) -> Iterator[Document]:
        with self._lock:
            docs = list(self._docs.values())
        return iter(docs)

"""lsprotocol <-> domain types."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from openagent_lsp.context.types import Position, Range, TextChange


def position(p: types.Position) -> Position:
    return Position(line=p.line, character=p.character)


def lsp_position(p: Position) -> types.Position:
    return types.Position(line=p.line, character=p.character)


def range_(r: types.Range) -> Range:
    return Range(start=position(r.start), end=position(r.end))


def lsp_range(r: Range) -> types.Range:
    return types.Range(start=lsp_position(r.start), end=lsp_position(r.end))


def text_changes(changes: Sequence[types.TextDocumentContentChangeEvent]) -> list[TextChange]:
    out = []
    for change in changes:
        rng = getattr(change, "range", None)
        out.append(TextChange(range=range_(rng) if rng is not None else None, text=change.text))
    return out

"""lsprotocol <-> domain types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from openagent_lsp.context.types import Position, Range, TextChange

if TYPE_CHECKING:
    from openagent_lsp.assist.edits import EditPlan


def position(p: types.Position) -> Position:
    return Position(line=p.line, character=p.character)


def lsp_position(p: Position) -> types.Position:
    return types.Position(line=p.line, character=p.character)


def range_(r: types.Range) -> Range:
    return Range(start=position(r.start), end=position(r.end))


def lsp_range(r: Range) -> types.Range:
    return types.Range(start=lsp_position(r.start), end=lsp_position(r.end))


def range_json(r: types.Range) -> dict[str, dict[str, int]]:
    """A range as plain JSON, for ``data`` and command arguments that travel through the client."""
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def text_changes(changes: Sequence[types.TextDocumentContentChangeEvent]) -> list[TextChange]:
    out = []
    for change in changes:
        rng = getattr(change, "range", None)
        out.append(TextChange(range=range_(rng) if rng is not None else None, text=change.text))
    return out


def workspace_edit(plan: EditPlan) -> types.WorkspaceEdit:
    """Plain ``changes`` when every file exists; ``documentChanges`` (create, then insert) otherwise."""
    if not any(f.create for f in plan.files):
        return types.WorkspaceEdit(changes={
            f.uri: [types.TextEdit(range=lsp_range(e.range), new_text=e.new_text) for e in f.edits]
            for f in plan.files})
    document_changes: list[types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile] = []
    for f in plan.files:
        if f.create:
            document_changes.append(types.CreateFile(uri=f.uri, options=types.CreateFileOptions(ignore_if_exists=True)))
        document_changes.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=f.uri, version=None),
            edits=[types.TextEdit(range=lsp_range(e.range), new_text=e.new_text) for e in f.edits]))
    return types.WorkspaceEdit(document_changes=document_changes)

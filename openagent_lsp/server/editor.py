"""EditorBridge over ``workspace/applyEdit``: agent writes to open documents land in the user's buffer
(and its undo history) instead of racing it on disk."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from openagent_lsp.server.server import OpenAgentServer


class LspEditorBridge:
    def __init__(self, server: OpenAgentServer) -> None:
        self._server = server

    def _doc(self, path: Path):  # type: ignore[no-untyped-def]
        return self._server.documents.find(path.as_uri())

    def is_open(self, path: Path) -> bool:
        return self._doc(path) is not None

    def get_text(self, path: Path) -> str | None:
        doc = self._doc(path)
        return doc.text if doc is not None else None

    async def apply_full_text(self, path: Path, new_text: str) -> bool:
        doc = self._doc(path)
        if doc is None or "applyEdit" not in self._server.client_features:
            return False
        end = doc.position_at(len(doc.text))
        edit = types.WorkspaceEdit(changes={path.as_uri(): [types.TextEdit(
            range=types.Range(start=types.Position(line=0, character=0),
                              end=types.Position(line=end.line, character=end.character)),
            new_text=new_text)]})
        return await apply_edit(self._server, edit, f"OpenAgent: write {path.name}")


async def apply_edit(server: OpenAgentServer, edit: types.WorkspaceEdit, label: str) -> bool:
    result = await server.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit, label=label))
    return bool(getattr(result, "applied", False))

"""Edits the assistant proposes, in domain terms; the LSP layer turns them into a ``WorkspaceEdit``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openagent_lsp.context.types import Range


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str


@dataclass(frozen=True)
class FileEdit:
    """Edits of one file; ``create`` when the file does not exist yet (neither on disk nor open)."""

    path: Path
    edits: list[TextEdit]
    create: bool = False

    @property
    def uri(self) -> str:
        return self.path.as_uri()


@dataclass(frozen=True)
class EditPlan:
    """What one action changes, already authorized by the policy (and the user when asked)."""

    title: str
    files: list[FileEdit] = field(default_factory=list)

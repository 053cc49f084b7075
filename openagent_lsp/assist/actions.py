"""ActionService: a picked code action → the model's answer → an authorized ``EditPlan``.

The edit replaces the enclosing definition of the selection (``targets.py``), or, for tests, goes to
the test file of the module. Nothing is returned before the PolicyEngine (and the user, when the policy
asks) allowed the write: the editor applies only authorized edits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from openagent_lsp.assist.arguments import ActionArgs
from openagent_lsp.assist.catalog import ACTIONS
from openagent_lsp.assist.edits import EditPlan, FileEdit, TextEdit
from openagent_lsp.assist.recipes import Recipe, Subject, recipe_for, run_recipe, uses_completion_prompts
from openagent_lsp.assist.targets import Target, find_target
from openagent_lsp.assist.undo import UndoService
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.languages import path_from_uri
from openagent_lsp.context.text import end_position
from openagent_lsp.context.types import Position, Range
from openagent_lsp.errors import InvalidInputError, PolicyViolationError
from openagent_lsp.llm.base import BaseLLM, CancelToken
from openagent_lsp.policy.types import FileOp
from openagent_lsp.tools.guard import ToolGuard


class ModelSource(Protocol):
    def require_ready(self) -> BaseLLM:
        """The loaded model, or an OpenAgentError saying why there is none (loading, failed)."""


class ActionService:
    def __init__(self, documents: DocumentStore, models: ModelSource, guard: ToolGuard, workspace: Path,
                 max_new_tokens: Callable[[], int], undo: UndoService | None = None,
                 prompt_preference: Callable[[], str] = lambda: "auto") -> None:
        self.documents = documents
        self.models = models
        self.guard = guard
        self.workspace = workspace
        self._max_new_tokens = max_new_tokens
        self._undo = undo
        self._prompt_preference = prompt_preference

    def validate(self, args: ActionArgs) -> bool:
        """True when the action edits code; InvalidInputError for an unknown action."""
        spec = ACTIONS.get(args.action)
        if spec is None:
            raise InvalidInputError(f"action: unknown action {args.action!r}; expected one of {', '.join(ACTIONS)}")
        return spec.edits

    async def plan_edit(self, args: ActionArgs) -> EditPlan:
        """Ask the model for the edit, then the policy (and maybe the user) for the write."""
        if not self.validate(args):
            raise InvalidInputError(f"action: {args.action} does not edit code")
        doc = self.documents.get(args.uri)
        target = find_target(doc, args.range.domain())
        llm = self.models.require_ready()
        source = Path(path_from_uri(args.uri))
        subject = subject_of(target, doc.language_id, source, doc.text, args.diagnostics, args.question)
        base = uses_completion_prompts(llm, self._prompt_preference())
        recipe = recipe_for(args.action, subject, base=base, max_new_tokens=self._max_new_tokens())
        result = await self._generate(llm, recipe)
        title = ACTIONS[args.action].title
        if args.action == "tests":
            test_path = place_tests_for(source, self.workspace)
            await self._authorize_write(test_path, title)
            return EditPlan(title, [self._append_to(test_path, result)])
        await self._authorize_write(source, title)
        return EditPlan(title, [FileEdit(source, [TextEdit(target.range, result)])])

    async def _generate(self, llm: BaseLLM, recipe: Recipe) -> str:
        """The recipe's result, generated in a worker thread; cancelling the awaiting request stops the model."""
        cancel = CancelToken()
        try:
            return await asyncio.to_thread(run_recipe, llm, recipe, cancel)
        except asyncio.CancelledError:
            cancel.cancel("request cancelled")
            raise

    async def _authorize_write(self, path: Path, title: str = "") -> None:
        auth = await self.guard.authorize_path(FileOp.WRITE, str(path))
        if not auth.allowed:
            raise PolicyViolationError(f"not applied: {auth.reason}")
        await self._remember_before(path, title)
        self.guard.note_file_write(path)  # the model wrote it: runners that would load it ask
        self.guard.record_result(auth, ok=True, extra={"via": "code_action"})

    async def _remember_before(self, path: Path, title: str) -> None:
        """Snapshot the file before the editor applies the edit, so "undo last turn" can put it back."""
        if self._undo is None:
            return
        try:
            rel = path.resolve().relative_to(self.workspace.resolve()).as_posix()
        except (OSError, ValueError):
            return
        await self._undo.finish(self._undo.begin(None, f"code action {title}", paths=[rel]), after=False)

    def _append_to(self, path: Path, code: str) -> FileEdit:
        """``code`` appended to the file (as the editor has it when open), or a new file."""
        open_doc = self.documents.find(path.as_uri())
        if open_doc is None and not path.exists():
            return FileEdit(path, [TextEdit(Range(Position(0, 0), Position(0, 0)), code + "\n")], create=True)
        existing = open_doc.text if open_doc is not None else path.read_text(encoding="utf-8")
        end = end_position(existing)
        sep = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        return FileEdit(path, [TextEdit(Range(end, end), f"{sep}\n{code}\n")])


def subject_of(target: Target, language: str, source: Path, document: str, diagnostics: list[str],
               question: str = "") -> Subject:
    return Subject(code=target.text, language=language, name=target.name, module=source.stem, document=document,
                   diagnostics=list(diagnostics), question=question)


def place_tests_for(source: Path, workspace: Path) -> Path:
    """Where tests for ``source`` go: an existing tests/ folder, else next to the source."""
    tests_dir = workspace / "tests"
    folder = tests_dir if tests_dir.is_dir() else source.parent
    return folder / f"test_{source.stem}{source.suffix}"

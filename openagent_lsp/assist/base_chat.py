"""Chat turns answered by a base model: what it does well, without tools, and a plain word on the rest.

A base model cannot hold a conversation or call tools. It can continue code: explain, document and
test the selected code through the same completion-shaped recipes as the code actions, write a commit
subject after the staged diff, and answer a short question about the workspace when the relevant code
is in its prompt (``grounding.py``). Each turn stands alone: history is not shown to the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.assist import answers
from openagent_lsp.assist.grounding import chat_prompt, workspace_sources
from openagent_lsp.assist.recipes import Recipe, Subject, name_of, recipe_for, run_recipe
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.languages import path_from_uri
from openagent_lsp.errors import GenerationCancelled, InvalidInputError, NoUsableAnswer
from openagent_lsp.llm.base import BaseLLM, CancelToken, GenerationRequest
from openagent_lsp.llm.kind import ModelKind

# Said once per conversation, after the first answer.
BASE_MODEL_NOTE = (
    "Note: {model} is a small {kind} model. It explains, documents and tests the code you select and "
    "answers short questions about this workspace, but it does not follow open instructions or use tools "
    "(running commands, editing files). For that, an instruction-tuned code model does much better, "
    "e.g. Qwen2.5-Coder-7B-Instruct through Ollama (set `model` to `ollama:qwen2.5-coder:7b`) or any "
    "OpenAI-compatible server (`openai:<model>`)."
)
NOTE_MARKER = "does not follow open instructions or use tools"
# Slash command -> recipe action.
SLASH_ACTIONS = {"/explain": "explain", "/doc": "docstring", "/test": "tests", "/fix": "fix", "/commit": "commit"}
_FENCED = {"docstring", "tests", "fix", "refactor"}
# Longest a free question's answer may run: one or two sentences.
_MAX_ANSWER_SENTENCES = 2


@dataclass(frozen=True)
class Selection:
    uri: str
    code: str
    language: str


def model_note(llm: BaseLLM) -> str:
    source = llm.info.source or llm.name
    kind = "base" if llm.info.kind == ModelKind.BASE else "instruction-tuned"
    return BASE_MODEL_NOTE.format(model=f"The current model ({source})" if source else "The current model",
                                  kind=kind)


class BaseModelChat:
    def __init__(self, workspace: Path, documents: DocumentStore, staged_diff: Callable[[], str],
                 max_new_tokens: int = 256) -> None:
        self.workspace = workspace
        self.documents = documents
        self._staged_diff = staged_diff
        self._max_new_tokens = max_new_tokens

    async def answer(self, llm: BaseLLM, message: str, selection: Selection | None,
                     delta: Callable[[str], None], cancel: CancelToken) -> str:
        """The answer to one message, streamed through ``delta`` as it becomes final."""
        command, _, rest = message.partition(" ")
        if command in SLASH_ACTIONS:
            action = SLASH_ACTIONS[command]
            subject = await self._subject(action, selection, rest)
            recipe = recipe_for(action, subject, base=True, max_new_tokens=self._max_new_tokens)
            if action in _FENCED:
                result = await _run(llm, recipe, cancel)
                text = f"```{subject.language}\n{result.rstrip()}\n```"
                delta(text)
                return text
            return await _stream_prose(llm, recipe, cancel, delta)
        if selection is not None:
            subject = _subject_of(selection, self._document_text(selection), question=message)
            recipe = recipe_for("ask", subject, base=True, max_new_tokens=self._max_new_tokens)
            return await _stream_prose(llm, recipe, cancel, delta)
        return await self._workspace_answer(llm, message, delta, cancel)

    async def _subject(self, action: str, selection: Selection | None, rest: str) -> Subject:
        if action == "commit":
            diff = await asyncio.to_thread(self._staged_diff)
            if not diff.strip():
                raise InvalidInputError("/commit: nothing is staged (git add some changes first)")
            return Subject(code=diff, language="diff")
        if selection is None:
            raise InvalidInputError(f"/{action} needs a selection: pass uri and range")
        diagnostics = [rest] if action == "fix" and rest.strip() else []
        return _subject_of(selection, self._document_text(selection), diagnostics=diagnostics)

    def _document_text(self, selection: Selection) -> str:
        doc = self.documents.find(selection.uri)
        if doc is not None:
            return doc.text
        path = Path(path_from_uri(selection.uri))
        try:
            return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            return ""

    async def _workspace_answer(self, llm: BaseLLM, question: str, delta: Callable[[str], None],
                                cancel: CancelToken) -> str:
        files = await asyncio.to_thread(workspace_sources, self.workspace, self.documents)
        shaped = chat_prompt(question, files, llm.count_tokens)
        request = GenerationRequest(prompt=shaped.text, max_new_tokens=shaped.max_new_tokens, temperature=0.0,
                                    stop=list(shaped.stop))
        continuation = await _continue(llm, request, cancel)
        text = answers.prose_answer([shaped.primer + continuation], max_sentences=_MAX_ANSWER_SENTENCES)
        if not text:
            text = "I could not find the answer in this workspace's code."
        delta(text)
        return text


def _subject_of(selection: Selection, document: str, *, diagnostics: list[str] | None = None,
                question: str = "") -> Subject:
    module = Path(path_from_uri(selection.uri)).stem
    return Subject(code=selection.code, language=selection.language, name=name_of(selection.code), module=module,
                   document=document, diagnostics=diagnostics or [], question=question)


class _Linked(CancelToken):
    """Cancelled by the caller's token or by the reader deciding it has enough."""

    def __init__(self, parent: CancelToken) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or self._parent.cancelled


async def _continue(llm: BaseLLM, request: GenerationRequest, cancel: CancelToken,
                    on_line: Callable[[str], bool] | None = None) -> str:
    """The model's continuation, generated in a worker thread. ``on_line`` sees the text after each
    completed line and returns False to stop early (the answer is complete, or the model looped)."""
    token = _Linked(cancel)

    def run() -> str:
        text = ""
        stream = llm.stream(request, token)
        try:
            for piece in stream:
                text += piece
                if on_line is not None and "\n" in piece and not on_line(text):
                    break
        except GenerationCancelled:
            if cancel.cancelled:
                raise
        finally:
            with contextlib.suppress(Exception):
                getattr(stream, "close", lambda: None)()
        return text

    try:
        text = await asyncio.to_thread(run)
    except asyncio.CancelledError:
        token.cancel("request cancelled")
        raise
    if cancel.cancelled:
        raise GenerationCancelled(cancel.reason or "cancelled")
    return text


async def _run(llm: BaseLLM, recipe: Recipe, cancel: CancelToken) -> str:
    token = _Linked(cancel)
    try:
        return await asyncio.to_thread(run_recipe, llm, recipe, token)
    except asyncio.CancelledError:
        token.cancel("request cancelled")
        raise


async def _stream_prose(llm: BaseLLM, recipe: Recipe, cancel: CancelToken, delta: Callable[[str], None]) -> str:
    """Stream an explanation sentence by sentence as it becomes final; stop the model once a new line
    adds nothing (a loop, or code after the comment block)."""
    loop = asyncio.get_running_loop()
    shown = ""
    lock = threading.Lock()
    last: list[str] = [""]

    def show(text: str) -> None:
        nonlocal shown
        with lock:
            if text.startswith(shown) and len(text) > len(shown):
                piece, shown = text[len(shown):], text
                delta(piece)

    def partial(text: str) -> str:
        try:
            return recipe.finish(text)
        except NoUsableAnswer:
            return ""

    def on_line(text: str) -> bool:
        current = partial(text.rsplit("\n", 1)[0])
        if current and current == last[0]:
            return False
        last[0] = current
        loop.call_soon_threadsafe(show, current)
        return True

    continuation = await _continue(llm, recipe.request, cancel, on_line)
    final = recipe.finish(continuation)
    show(final)
    await asyncio.sleep(0)  # let pending partial updates run before the final text is returned
    return final

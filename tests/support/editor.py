"""The one scripted editor for the tests, ``make demo`` and ``make bench``.

It drives the real server over stdio the way an editor does: initialize with a real client's
capabilities, open and change documents, ask for inline completions, run commands, and answer what the
server asks (approvals, edits). It records what the server sends (chat deltas, prompts, edits,
progress, messages) and lets the caller react to each (the demo prints them).

It wraps a started pygls ``LanguageClient``: the tests pass pytest-lsp's client (which records
messages and progress itself), the demo and benchmarks let ``Editor.spawn`` start a plain one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tests.support.lsp import capabilities, to_plain

Answer = Callable[[types.ShowMessageRequestParams], "types.MessageActionItem | Awaitable[Any] | None"]


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


class Editor:
    def __init__(self, client: LanguageClient, root: Path | None = None) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}
        self.deltas: list[Any] = []
        self.prompts: list[types.ShowMessageRequestParams] = []
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []
        self.shown_messages: list[types.ShowMessageParams] = []
        self.progress_events: list[Any] = []
        self.init_result: types.InitializeResult | None = None
        # What the user does with an approval prompt: nothing (= no) unless a caller says otherwise.
        self.answer: Answer = lambda _params: None
        self.on_delta: Callable[[Any], None] | None = None
        self.on_progress: Callable[[Any], None] | None = None
        self.on_message: Callable[[types.ShowMessageParams], None] | None = None
        self.on_log: Callable[[types.LogMessageParams], None] | None = None
        self.on_edit: Callable[[types.ApplyWorkspaceEditParams], None] | None = None
        self._register_handlers()

    @classmethod
    async def spawn(cls, argv: list[str], env: dict[str, str], root: Path | None = None) -> Editor:
        """Start the server ``argv`` (cwd ``root``) with a plain pygls client."""
        client = LanguageClient("openagent-editor", "1.0")
        editor = cls(client, root)
        editor.spawned_at = time.perf_counter()
        await client.start_io(*argv, env=env, cwd=str(root) if root else None)
        return editor

    spawned_at: float = 0.0

    # -- what the server sends ---------------------------------------------------------------------

    def _register_handlers(self) -> None:
        registered = self.client.protocol.fm.features

        def handle(method: str, fn: Callable[..., Any]) -> None:
            if method not in registered:  # pytest-lsp's client already records some of these
                self.client.feature(method)(fn)

        @self.client.feature("openagent/chat/delta")
        def on_delta(params: Any) -> None:
            self.deltas.append(params)
            if self.on_delta is not None:
                self.on_delta(params)

        @self.client.feature("openagent/statusChanged")
        def on_status(_params: Any) -> None:
            return None

        @self.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        async def on_prompt(params: types.ShowMessageRequestParams) -> Any:
            self.prompts.append(params)
            result = self.answer(params)
            if hasattr(result, "__await__"):
                result = await result
            return result

        @self.client.feature(types.WORKSPACE_APPLY_EDIT)
        def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            self.applied_edits.append(params)
            if self.on_edit is not None:
                self.on_edit(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        def show(params: types.ShowMessageParams) -> None:
            self.shown_messages.append(params)
            if self.on_message is not None:
                self.on_message(params)

        def log(params: types.LogMessageParams) -> None:
            if self.on_log is not None:
                self.on_log(params)

        def progress(params: types.ProgressParams) -> None:
            self.progress_events.append(params.value)
            if self.on_progress is not None:
                self.on_progress(params.value)

        handle(types.WINDOW_SHOW_MESSAGE, show)
        handle(types.WINDOW_LOG_MESSAGE, log)
        handle(types.PROGRESS, progress)
        handle(types.WINDOW_WORK_DONE_PROGRESS_CREATE, lambda _params: None)

    @property
    def messages(self) -> list[types.ShowMessageParams]:
        recorded = getattr(self.client, "messages", None)  # pytest-lsp records them itself
        return list(recorded) if recorded is not None else self.shown_messages

    @property
    def progress(self) -> list[Any]:
        reports = getattr(self.client, "progress_reports", None)
        if reports is not None:
            return [report for values in reports.values() for report in values]
        return self.progress_events

    # -- the session -------------------------------------------------------------------------------

    async def initialize(self, shape: str = "vscode", options: Any = None) -> types.InitializeResult:
        root = self.root or Path.cwd()
        params = types.InitializeParams(
            capabilities=capabilities(shape),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )
        session = getattr(self.client, "initialize_session", None)
        if session is not None:  # pytest-lsp: also checks later messages against these capabilities
            self.init_result = await session(params)
        else:
            self.init_result = await self.client.initialize_async(params)
            self.client.initialized(types.InitializedParams())
        return self.init_result

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.client.protocol.send_request_async(method, params if params is not None else {})

    async def execute(self, command: str, *arguments: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=list(arguments)))

    async def status(self) -> dict[str, Any]:
        return to_plain(await self.request("openagent/status"))

    async def wait_for_status(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 60.0,
                              poll_s: float = 0.05) -> dict[str, Any]:
        """Poll ``openagent/status`` until ``predicate`` holds; AssertionError with the last status after
        ``timeout`` (a deadline for a condition, never a guess of how long something takes)."""
        deadline = time.monotonic() + timeout
        while True:
            status = await self.status()
            if predicate(status):
                return status
            assert time.monotonic() < deadline, f"status never matched within {timeout:.0f} s: {status}"
            await asyncio.sleep(poll_s)

    async def wait_ready(self, timeout: float = 120.0) -> dict[str, Any]:
        """The status once the model finished loading (ready, or error: the caller checks which)."""
        return await self.wait_for_status(lambda s: _field(s.get("model"), "state") in ("ready", "error"),
                                          timeout, poll_s=0.1)

    def open(self, uri: str, text: str, language_id: str = "python") -> str:
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))
        return uri

    def open_file(self, name: str, text: str, language_id: str = "python") -> str:
        """Write ``name`` under the workspace root and open it."""
        assert self.root is not None, "open_file needs a workspace root"
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return self.open(path.as_uri(), text, language_id)

    def change(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        self.versions[uri] += 1
        rng = types.Range(start=types.Position(*start), end=types.Position(*end))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=text)]))

    def inline_future(self, uri: str, position: types.Position, invoked: bool = True) -> asyncio.Future[Any]:
        kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
        return asyncio.ensure_future(self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position,
            context=types.InlineCompletionContext(trigger_kind=kind))))

    async def inline(self, uri: str, position: types.Position, invoked: bool = True) -> types.InlineCompletionList:
        result = await self.inline_future(uri, position, invoked)
        assert isinstance(result, types.InlineCompletionList)
        return result

    async def suggestion(self, uri: str, line: int, character: int, invoked: bool = False) -> tuple[str, float]:
        """The first inline item's text and the round trip in milliseconds."""
        started = time.perf_counter()
        result = await self.inline_future(uri, types.Position(line, character), invoked)
        return inline_text(result), (time.perf_counter() - started) * 1000

    # -- the server process (benchmarks) -------------------------------------------------------------

    @property
    def pid(self) -> int:
        return int(self.client._server.pid)  # type: ignore[union-attr]

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def mapped(self, needle: str) -> bool:
        try:
            return needle in Path(f"/proc/{self.pid}/maps").read_text()
        except OSError:
            return False

    async def stop(self) -> None:
        """Shut the server down politely, then make sure the process is gone."""
        with contextlib.suppress(Exception):
            session = getattr(self.client, "shutdown_session", None)
            if session is not None:  # pytest-lsp: shutdown, exit, and wait for the process
                await asyncio.wait_for(session(), 10)
            else:
                await asyncio.wait_for(self.client.shutdown_async(None), 10)
                self.client.exit(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 10)
        proc = getattr(self.client, "_server", None)
        if proc is not None and proc.returncode is None:
            proc.kill()


def inline_text(result: Any) -> str:
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    if not items:
        return ""
    text = items[0].insert_text
    return text if isinstance(text, str) else text.value

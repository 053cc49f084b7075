"""`make demo`: drive the real server over stdio through a scripted editor session.

It copies demo/sample_project to a temporary workspace, starts `python -m openagent_lsp` with the
embedded model, and behaves like an editor: opens a file, asks for inline completions, runs a code
action, chats, and answers an approval prompt. Everything printed comes from the server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample_project"


def say(text: str = "") -> None:
    print(text, flush=True)


class DemoEditor:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.client = LanguageClient("openagent-demo-editor", "1.0")
        self.progress_line = ""
        self.approvals: list[str] = []
        self.chat_text: list[str] = []
        self._register_handlers()

    def _register_handlers(self) -> None:
        client = self.client

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create_progress(_params: Any) -> None:
            return None

        @client.feature(types.PROGRESS)
        def progress(params: types.ProgressParams) -> None:
            value = params.value
            kind = getattr(value, "kind", None) or (value.get("kind") if isinstance(value, dict) else None)
            get = (lambda k: value.get(k)) if isinstance(value, dict) else (lambda k: getattr(value, k, None))
            if kind == "begin":
                say(f"  [progress] {get('title')}")
            elif kind == "report":
                pct = get("percentage")
                say(f"  [progress] {'' if pct is None else f'{pct:3d}% '}{get('message') or ''}")
            elif kind == "end":
                say(f"  [progress] done: {get('message') or ''}")

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params: types.ShowMessageParams) -> None:
            say(f"  [server message] {params.message}")

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params: types.LogMessageParams) -> None:
            if params.type <= types.MessageType.Warning:
                say(f"  [server log] {params.message[:200]}")

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def approval(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
            say("  ┌─ approval prompt from the server ─────────────────────────")
            for line in params.message.splitlines():
                say(f"  │ {line}")
            titles = [a.title for a in params.actions or []]
            say(f"  │ actions: {titles}")
            choice = next((a for a in params.actions or [] if a.title == "Run once"), None)
            say(f"  └─ the demo user clicks: {choice.title if choice else 'nothing'}")
            self.approvals.append(params.message)
            return choice

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            say(f"  [editor] applying edit: {params.label or ''}")
            return types.ApplyWorkspaceEditResult(applied=True)

        @client.feature("openagent/statusChanged")
        def status_changed(_params: Any) -> None:
            return None

        @client.feature("openagent/chat/delta")
        def chat_delta(params: Any) -> None:
            text = params.get("text") if isinstance(params, dict) else getattr(params, "text", "")
            self.chat_text.append(text or "")
            sys.stdout.write(text or "")
            sys.stdout.flush()

    async def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("OPENAGENT_LOG_LEVEL", "warning")
        await self.client.start_io(sys.executable, "-m", "openagent_lsp", env=env, cwd=str(self.workspace))
        caps = types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities(),
                code_action=types.CodeActionClientCapabilities(
                    code_action_literal_support=types.ClientCodeActionLiteralOptions(
                        code_action_kind=types.ClientCodeActionKindOptions(value_set=["", "quickfix", "refactor"])
                    ),
                    resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]),
                ),
            ),
            window=types.WindowClientCapabilities(
                work_done_progress=True,
                show_message=types.ShowMessageRequestClientCapabilities(),
            ),
            workspace=types.WorkspaceClientCapabilities(apply_edit=True),
        )
        result = await self.client.initialize_async(types.InitializeParams(
            capabilities=caps, root_uri=self.workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.workspace.as_uri(), name="sample_project")],
        ))
        info = result.server_info
        say(f"connected to {info.name if info else 'server'} {info.version if info else ''}")
        self.client.initialized(types.InitializedParams())

    async def status(self) -> Any:
        return await self.client.protocol.send_request_async("openagent/status", {})

    async def wait_ready(self, timeout: float = 900) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = await self.status()
            state = _get(status, "model", "state")
            if state == "ready":
                return status
            if state == "error":
                raise SystemExit(f"model failed to load: {_get(status, 'model', 'error')}")
            await asyncio.sleep(0.25)
        raise SystemExit("model did not load in time")

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=path.read_text())))
        return uri

    async def inline(self, uri: str, line: int, character: int) -> tuple[str, float]:
        started = time.perf_counter()
        result = await self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        ))
        elapsed = time.perf_counter() - started
        items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
        text = items[0].insert_text if items else ""
        return (text if isinstance(text, str) else text.value), elapsed

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    return obj


def show_block(text: str, indent: str = "    │ ") -> None:
    for line in (text or "(empty)").splitlines() or [text]:
        say(f"{indent}{line}")


async def main() -> int:
    workspace = Path(tempfile.mkdtemp(prefix="openagent-demo-")) / "sample_project"
    shutil.copytree(SAMPLE, workspace)
    say(f"== workspace: {workspace}")
    editor = DemoEditor(workspace)
    await editor.start()
    say("== loading the embedded model (first start converts and caches it; later starts take seconds)")
    started = time.monotonic()
    status = await editor.wait_ready()
    say(f"   model ready after {time.monotonic() - started:.1f}s: "
        f"{_get(status, 'model', 'precision')} on {_get(status, 'model', 'device')}")

    path = workspace / "inventory.py"
    uri = editor.open(path)
    lines = path.read_text().splitlines()
    line_no = next(i for i, text in enumerate(lines) if text.startswith("def fibonacci"))
    body_line = line_no + 1
    say("\n== inline completion inside the body of fibonacci()")
    text, elapsed = await editor.inline(uri, body_line, 4)
    say(f"   suggestion ({elapsed * 1000:.0f} ms):")
    show_block(text)
    _again, elapsed2 = await editor.inline(uri, body_line, 4)
    say(f"   same position again: {elapsed2 * 1000:.1f} ms (served from the completion cache)")

    from demo_session import run_agent_parts  # code actions, chat, approval (needs the agent features)

    await run_agent_parts(editor, uri, workspace, lines)

    status = await editor.status()
    say("\n== server status (openagent/status)")
    import json

    say(json.dumps(_plain(status), indent=2))
    await editor.stop()
    return 0


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if hasattr(obj, "_asdict"):
        return {k: _plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(asyncio.run(main()))

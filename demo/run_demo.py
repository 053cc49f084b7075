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

HERE = Path(__file__).resolve().parent
for entry in (str(HERE.parent), str(HERE)):  # the scripted editor lives in tests/support
    if entry not in sys.path:
        sys.path.insert(0, entry)

from lsprotocol import types  # noqa: E402

from tests.support.editor import Editor  # noqa: E402

SAMPLE = HERE / "sample_project"


def say(text: str = "") -> None:
    print(text, flush=True)


def printing_editor(editor: Editor) -> Editor:
    """Let the demo user see what the server sends, and click "Run once" on approval prompts."""

    def progress(value: Any) -> None:
        get = (lambda k: value.get(k)) if isinstance(value, dict) else (lambda k: getattr(value, k, None))
        kind = get("kind")
        if kind == "begin":
            say(f"  [progress] {get('title')}")
        elif kind == "report":
            pct = get("percentage")
            say(f"  [progress] {'' if pct is None else f'{pct:3d}% '}{get('message') or ''}")
        elif kind == "end":
            say(f"  [progress] done: {get('message') or ''}")

    def approve(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        say("  ┌─ approval prompt from the server ─────────────────────────")
        for line in params.message.splitlines():
            say(f"  │ {line}")
        titles = [a.title for a in params.actions or []]
        say(f"  │ actions: {titles}")
        choice = next((a for a in params.actions or [] if a.title == "Run once"), None)
        say(f"  └─ the demo user clicks: {choice.title if choice else 'nothing'}")
        return choice

    def delta(params: Any) -> None:
        text = params.get("text") if isinstance(params, dict) else getattr(params, "text", "")
        sys.stdout.write(text or "")
        sys.stdout.flush()

    editor.on_progress = progress
    editor.on_message = lambda params: say(f"  [server message] {params.message}")
    editor.on_log = lambda params: say(f"  [server log] {params.message[:200]}") \
        if params.type <= types.MessageType.Warning else None
    editor.on_edit = lambda params: say(f"  [editor] applying edit: {params.label or ''}")
    editor.on_delta = delta
    editor.answer = approve
    return editor


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
    env = dict(os.environ)
    env.setdefault("OPENAGENT_LOG_LEVEL", "warning")
    editor = printing_editor(await Editor.spawn([sys.executable, "-m", "openagent_lsp"], env, workspace))
    result = await editor.initialize("vscode")
    info = result.server_info
    say(f"connected to {info.name if info else 'server'} {info.version if info else ''}")
    say("== loading the embedded model (first start converts and caches it; later starts take seconds)")
    started = time.monotonic()
    status = await editor.wait_ready(timeout=900)
    if _get(status, "model", "state") != "ready":
        raise SystemExit(f"model failed to load: {_get(status, 'model', 'error')}")
    say(f"   model ready after {time.monotonic() - started:.1f}s: "
        f"{_get(status, 'model', 'precision')} on {_get(status, 'model', 'device')}")

    path = workspace / "inventory.py"
    uri = editor.open(path.as_uri(), path.read_text())
    lines = path.read_text().splitlines()
    line_no = next(i for i, text in enumerate(lines) if text.startswith("def fibonacci"))
    body_line = line_no + 1
    say("\n== inline completion inside the body of fibonacci()")
    text, elapsed_ms = await editor.suggestion(uri, body_line, 4)
    say(f"   suggestion ({elapsed_ms:.0f} ms):")
    show_block(text)
    _again, again_ms = await editor.suggestion(uri, body_line, 4)
    say(f"   same position again: {again_ms:.1f} ms (served from the completion cache)")

    from demo_session import run_agent_parts  # code actions, chat, approval (needs the agent features)

    await run_agent_parts(editor, uri, workspace, lines)

    status = await editor.status()
    say("\n== server status (openagent/status)")
    import json

    say(json.dumps(status, indent=2))
    await editor.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))

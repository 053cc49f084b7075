"""Code actions on a selection: listed instantly (no model call), edits computed lazily.

- ``textDocument/codeAction`` lists the catalog with ``data`` only;
- ``codeAction/resolve`` asks the model, checks the write with the PolicyEngine (asking the user when
  the policy says so) and only then returns the ``WorkspaceEdit``;
- ``openagent.applyAction`` does the same for clients without resolve support and applies the edit
  itself with ``workspace/applyEdit``, again only after the policy decision.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from openagent_lsp.assist import actions as catalog
from openagent_lsp.errors import InvalidInputError, PolicyViolationError
from openagent_lsp.llm.base import CancelToken, GenerationRequest
from openagent_lsp.policy.types import FileOp
from openagent_lsp.server import convert, methods
from openagent_lsp.server.app import OpenAgentServer
from openagent_lsp.server.editor import apply_edit
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.services import require_llm, services


def register(server: OpenAgentServer) -> None:
    kinds = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite, types.CodeActionKind.Source]

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True))
    def code_actions(ls: OpenAgentServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        if uri not in ls.documents:
            return []
        rng = params.range
        has_selection = rng.start != rng.end
        diagnostics = [d.message for d in params.context.diagnostics or []]
        only = [str(k) for k in params.context.only] if params.context.only else None
        data_range = {"start": {"line": rng.start.line, "character": rng.start.character},
                      "end": {"line": rng.end.line, "character": rng.end.character}}
        out = []
        for spec in catalog.list_actions(has_selection, diagnostics, only):
            data = {"action": spec.id, "uri": uri, "range": data_range, "diagnostics": diagnostics}
            action = types.CodeAction(title=spec.title, kind=spec.kind or None, data=data,
                                      diagnostics=list(params.context.diagnostics or []) if spec.id == "fix" else None)
            if spec.id == "ask":
                action.command = types.Command(title=spec.title, command=methods.CMD_ASK_PROMPT,
                                               arguments=[{"uri": uri, "range": data_range}])
            elif spec.id == "explain":
                action.command = types.Command(title=spec.title, command=methods.CMD_EXPLAIN,
                                               arguments=[{"uri": uri, "range": data_range}])
            out.append(action)
        return out

    @server.feature(types.CODE_ACTION_RESOLVE)
    @guarded("codeAction/resolve")
    async def resolve(ls: OpenAgentServer, action: types.CodeAction) -> types.CodeAction:
        from openagent_lsp.assist.arguments import parse_action_args

        args = parse_action_args(action.data, "codeAction/resolve")
        if not catalog.ACTIONS[args.action].edits:
            return action
        action.edit = await compute_authorized_edit(ls, args)
        return action

    @server.command(methods.CMD_APPLY_ACTION)
    @guarded(methods.CMD_APPLY_ACTION)
    async def apply_action(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import parse_action_args

        args = parse_action_args(raw[0] if raw else None, methods.CMD_APPLY_ACTION)
        if not catalog.ACTIONS[args.action].edits:
            raise InvalidInputError(f"action: {args.action} does not edit code")
        edit = await compute_authorized_edit(ls, args)
        applied = await apply_edit(ls, edit, catalog.ACTIONS[args.action].title)
        return {"applied": applied}


async def compute_authorized_edit(ls: OpenAgentServer, args: Any) -> types.WorkspaceEdit:
    """Ask the model for the edit, then the policy (and maybe the user) for the write."""
    doc = ls.documents.get(args.uri)
    target = catalog.find_target(doc, args.range.domain())
    llm = require_llm(ls)
    messages = catalog.action_messages(args.action, target, doc.language_id, args.diagnostics, args.question)
    answer = await generate(ls, llm, messages)
    svc = services(ls)
    source = Path(to_fs_path(args.uri) or "")
    if args.action == "tests":
        test_path = catalog.test_file_for(source, svc.workspace)
        code = catalog.extract_code(answer)
        await authorize_write(ls, test_path)
        return tests_edit(ls, test_path, code)
    new_text = catalog.replacement_for(args.action, target, answer)
    await authorize_write(ls, source)
    return types.WorkspaceEdit(changes={args.uri: [types.TextEdit(range=convert.lsp_range(target.range),
                                                                   new_text=new_text)]})


async def authorize_write(ls: OpenAgentServer, path: Path) -> None:
    guard = services(ls).guard
    auth = await guard.authorize_path(FileOp.WRITE, str(path))
    if not auth.allowed:
        raise PolicyViolationError(f"not applied: {auth.reason}")
    guard.record_result(auth, ok=True, extra={"via": "code_action"})


def tests_edit(ls: OpenAgentServer, test_path: Path, code: str) -> types.WorkspaceEdit:
    uri = test_path.as_uri()
    open_doc = ls.documents.find(uri)
    if open_doc is not None or test_path.exists():
        existing = open_doc.text if open_doc is not None else test_path.read_text(encoding="utf-8")
        end = _end_position(existing)
        sep = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        edit = types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=[types.TextEdit(range=types.Range(start=end, end=end), new_text=f"{sep}\n{code}\n")])
        return types.WorkspaceEdit(document_changes=[edit])
    create = types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True))
    insert = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
        edits=[types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                                end=types.Position(line=0, character=0)), new_text=code + "\n")])
    return types.WorkspaceEdit(document_changes=[create, insert])


def _end_position(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)


async def generate(ls: OpenAgentServer, llm: Any, messages: list[dict[str, str]]) -> str:
    """One chat-style generation in a worker thread; cancelling the request stops the model."""
    cancel = CancelToken()
    request = GenerationRequest(messages=messages, max_new_tokens=ls.settings.chat.max_new_tokens, temperature=0.0)
    try:
        return await asyncio.to_thread(llm.generate, request, cancel)
    except asyncio.CancelledError:
        cancel.cancel("request cancelled")
        raise

"""Code actions on a selection: listed instantly (no model call), edits computed when picked.

- ``textDocument/codeAction`` lists the catalog with ``data`` only;
- ``codeAction/resolve`` and ``openagent.applyAction`` ask ``ActionService`` for an authorized edit;
  the latter applies it itself with ``workspace/applyEdit`` (clients without resolve support).
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from openagent_lsp.assist.catalog import list_actions
from openagent_lsp.server import convert, methods
from openagent_lsp.server.editor import apply_edit
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.server import OpenAgentServer

# Actions whose answer goes to the chat stream: the client runs a command instead of applying an edit.
_COMMANDS = {"ask": methods.CMD_ASK_PROMPT, "explain": methods.CMD_EXPLAIN}


def register(server: OpenAgentServer) -> None:
    kinds = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite, types.CodeActionKind.Source]

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True))
    def code_actions(ls: OpenAgentServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        if uri not in ls.documents:
            return []
        rng = params.range
        # Editors ask for code actions whenever the cursor moves: a hint of where the next completion will be.
        ls.completions.cursor_moved(uri, convert.position(rng.start))
        diagnostics = list(params.context.diagnostics or [])
        messages = [d.message for d in diagnostics]
        only = [str(k) for k in params.context.only] if params.context.only else None
        data_range = convert.range_json(rng)
        out = []
        for spec in list_actions(rng.start != rng.end, messages, only):
            action = types.CodeAction(
                title=spec.title, kind=spec.kind or None,
                data={"action": spec.id, "uri": uri, "range": data_range, "diagnostics": messages},
                diagnostics=diagnostics if spec.id == "fix" else None)
            if spec.id in _COMMANDS:
                action.command = types.Command(title=spec.title, command=_COMMANDS[spec.id],
                                               arguments=[{"uri": uri, "range": data_range}])
            out.append(action)
        return out

    @server.feature(types.CODE_ACTION_RESOLVE)
    @guarded("codeAction/resolve")
    async def resolve(ls: OpenAgentServer, action: types.CodeAction) -> types.CodeAction:
        from openagent_lsp.assist.arguments import ActionArgs, parse_args

        service = (await ls.services_async()).actions
        args = parse_args(ActionArgs, [action.data], "codeAction/resolve")
        if service.validate(args):
            action.edit = convert.workspace_edit(await service.plan_edit(args))
        return action

    @server.command(methods.CMD_APPLY_ACTION)
    @guarded(methods.CMD_APPLY_ACTION)
    async def apply_action(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import ActionArgs, parse_args

        service = (await ls.services_async()).actions
        plan = await service.plan_edit(parse_args(ActionArgs, raw, methods.CMD_APPLY_ACTION))
        return {"applied": await apply_edit(ls, convert.workspace_edit(plan), plan.title)}

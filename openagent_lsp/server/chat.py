"""Chat over LSP: ``openagent.chat`` streams ``openagent/chat/delta`` notifications inside ``$/progress``;
the command's result is the final message. ``$/cancelRequest``, the progress Cancel button and
``openagent.chat.cancel`` each stop the generation, not just the reply."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from openagent_lsp.llm.base import CancelToken
from openagent_lsp.logging import get_logger
from openagent_lsp.server import methods
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.server import OpenAgentServer

if TYPE_CHECKING:
    from openagent_lsp.assist.arguments import ChatRequest
    from openagent_lsp.assist.chat import ChatDelta

log = get_logger(__name__)


def register(server: OpenAgentServer) -> None:
    # The argument models are imported on first use: pydantic is not paid for at start-up.
    @server.command(methods.CMD_CHAT)
    @guarded(methods.CMD_CHAT)
    async def chat(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import ChatRequest, parse_args

        return await run_chat(ls, parse_args(ChatRequest, raw, methods.CMD_CHAT))

    @server.command(methods.CMD_ASK)
    @guarded(methods.CMD_ASK)
    async def ask(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import AskArgs, parse_args

        return await run_chat(ls, parse_args(AskArgs, raw, methods.CMD_ASK).chat_request())

    @server.command(methods.CMD_EXPLAIN)
    @guarded(methods.CMD_EXPLAIN)
    async def explain(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import ExplainArgs, parse_args

        return await run_chat(ls, parse_args(ExplainArgs, raw, methods.CMD_EXPLAIN).chat_request())

    @server.command(methods.CMD_COMMIT_MESSAGE)
    @guarded(methods.CMD_COMMIT_MESSAGE)
    async def commit_message(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import CommitMessageArgs, parse_args

        args = parse_args(CommitMessageArgs, raw or [{}], methods.CMD_COMMIT_MESSAGE)
        return await run_chat(ls, args.chat_request())

    @server.command(methods.CMD_CHAT_CANCEL)
    @guarded(methods.CMD_CHAT_CANCEL)
    async def cancel(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.arguments import ConversationArgs, parse_args

        args = parse_args(ConversationArgs, raw, methods.CMD_CHAT_CANCEL)
        return {"cancelled": (await ls.services_async()).chat.cancel(args.conversation_id)}

    @server.command(methods.CMD_CHAT_LIST)
    @guarded(methods.CMD_CHAT_LIST)
    async def list_chats(ls: OpenAgentServer, *raw: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread((await ls.services_async()).chat.conversations)

    @server.command(methods.CMD_CHAT_HISTORY)
    @guarded(methods.CMD_CHAT_HISTORY)
    async def history(ls: OpenAgentServer, *raw: Any) -> list[dict[str, Any]]:
        from openagent_lsp.assist.arguments import ConversationArgs, parse_args

        args = parse_args(ConversationArgs, raw, methods.CMD_CHAT_HISTORY)
        return await asyncio.to_thread((await ls.services_async()).chat.history, args.conversation_id)


async def run_chat(ls: OpenAgentServer, request: ChatRequest) -> dict[str, Any]:
    service = (await ls.services_async()).chat
    cancel = CancelToken()
    proto = ls.protocol_stats
    unhook = proto.on_cancel(proto.current_request_id(), lambda: cancel.cancel("$/cancelRequest"))
    token = await _begin_progress(ls, cancel)

    def on_delta(delta: ChatDelta) -> None:
        ls.protocol.notify(methods.CHAT_DELTA,
                           {"conversationId": delta.conversation_id, "seq": delta.seq, "text": delta.text})

    try:
        result = await service.send(request, on_delta, cancel)
    finally:
        unhook()
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
    if result.history_error:
        ls.notify_user_once(result.history_error)
    return result.to_json()


async def _begin_progress(ls: OpenAgentServer, cancel: CancelToken) -> str | None:
    if "workDoneProgress" not in ls.client_features:
        return None
    token = f"openagent-chat-{uuid.uuid4().hex[:8]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:
        log.warning("progress_unavailable", error=str(exc))
        return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="OpenAgent", message="thinking…",
                                                                   cancellable=True))
    future = ls.work_done_progress.tokens.get(token)
    if future is not None:  # the Cancel button (window/workDoneProgress/cancel) cancels this future
        future.add_done_callback(lambda f: cancel.cancel("cancelled in the editor") if f.cancelled() else None)
    return token

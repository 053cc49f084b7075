"""The Approver over ``window/showMessageRequest``: the user sees the exact command or path, who asks,
the risk, the reason, what the sandbox allows and what "Always allow" would remember (the words come
from ``policy/prompt.py``). A dismissed prompt, or a client that cannot show prompts, means "no"; so does no answer
in time, which the ToolGuard enforces for every approver. Enforcement stays in the server, where the
model cannot reach."""

from __future__ import annotations

from lsprotocol import types

from openagent_lsp.logging import get_logger
from openagent_lsp.policy.prompt import approval_message
from openagent_lsp.policy.types import ApprovalAnswer, ApprovalRequest
from openagent_lsp.server.server import OpenAgentServer

log = get_logger(__name__)

RUN_ONCE = "Run once"
ALWAYS = "Always allow in this workspace"
DENY = "Deny"


class EditorApprover:
    def __init__(self, server: OpenAgentServer) -> None:
        self._server = server

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        if "showMessageRequest" not in self._server.client_features:
            log.warning("approval_impossible", reason="client cannot show prompts", subject=request.subject)
            return ApprovalAnswer.DENY
        actions = [types.MessageActionItem(title=RUN_ONCE)]
        if request.decision.grant_key:  # only shapes the engine can scope may be remembered
            actions.append(types.MessageActionItem(title=ALWAYS))
        actions.append(types.MessageActionItem(title=DENY))
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning, message=approval_message(request), actions=actions
        )
        try:
            answer = await self._server.window_show_message_request_async(params)
        except Exception as exc:
            log.warning("approval_failed", subject=request.subject, error=str(exc))
            return ApprovalAnswer.DENY
        title = getattr(answer, "title", None)
        if title == RUN_ONCE:
            return ApprovalAnswer.RUN_ONCE
        if title == ALWAYS and request.decision.grant_key:
            return ApprovalAnswer.ALWAYS_ALLOW
        return ApprovalAnswer.DENY

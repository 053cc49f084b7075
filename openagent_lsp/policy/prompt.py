"""The words of an approval prompt: what will run, who asks, how risky, what the sandbox allows, and
what "Always allow" would remember.

The layout is a contract with the editor clients (they parse it):

    OpenAgent wants to <what>:
    <blank>
    <subject: the exact command or "write /abs/path">
    <blank>
    Risk: LEVEL — reason
    Rule: rule
    Sandbox: what the command may and may not touch
    Always allow: what a grant would cover           (only when a grant is possible)
    Asked by: who wrote the call

Everything after ``Rule:`` stays in the last block (no blank line), so a client that knows only
``Risk``/``Rule`` still finds them and shows the other lines as they are.
"""

from __future__ import annotations

from openagent_lsp.policy.types import ApprovalRequest, Decision, Origin, ToolKind

_FILE_OPS = {"write": "writing", "delete": "deleting", "read": "reading", "list": "listing"}


def approval_message(request: ApprovalRequest) -> str:
    decision = request.decision
    lines = [
        f"Risk: {decision.risk.value.upper()} — {decision.reason}",
        f"Rule: {decision.rule}",
        f"Sandbox: {request.sandbox or 'not reported'}",
    ]
    grant = grant_words(request.kind, decision)
    if grant:
        lines.append(f"Always allow: {grant}")
    lines.append(f"Asked by: {_asker(request.origin)}")
    return f"OpenAgent wants to {_what(request)}:\n\n{request.subject}\n\n" + "\n".join(lines)


def _what(request: ApprovalRequest) -> str:
    thing = "run this command" if request.kind is ToolKind.COMMAND else "do this file operation"
    if request.origin is Origin.USER:
        return f"{thing} you typed"
    return f"{thing}, written by the AI agent (not by you)"


def _asker(origin: Origin) -> str:
    if origin is Origin.USER:
        return "you (/run)"
    return ("the AI agent. It wrote this itself; text it read (files, web pages, command output) may have "
            "steered it. Say no unless you expected exactly this")


def grant_words(kind: ToolKind, decision: Decision) -> str:
    """What "Always allow" would store, in words, derived from the exact grant; "" when it cannot be
    granted (the prompt then offers no such button)."""
    key = decision.grant_key
    if not key:
        return ""
    if kind is ToolKind.COMMAND:
        summary = decision.grant_summary or "this exact command, word for word"
        return f"{summary}, in this workspace only; any other command still asks"
    op, _, path = key.partition(":")
    verb = _FILE_OPS.get(op, op)
    return f"{verb} exactly {path or 'this file'} (no other file), in this workspace only"

"""The agent side of the server, built on first use: policy, audit, store, guard, tools, actions, chat.

This is where the domain services meet their LSP adapters (approvals over window/showMessageRequest,
writes to open documents over workspace/applyEdit). Nothing here is created at start-up: ``initialize``
stays as fast as a bare server.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from openagent_lsp.errors import OpenAgentError
from openagent_lsp.logging import get_logger

if TYPE_CHECKING:
    from openagent_lsp.agent.core import Agent
    from openagent_lsp.agent.metrics import AgentMetrics
    from openagent_lsp.assist.actions import ActionService
    from openagent_lsp.assist.chat import ChatService
    from openagent_lsp.assist.undo import UndoService
    from openagent_lsp.policy.audit import AuditLog
    from openagent_lsp.policy.engine import PolicyEngine
    from openagent_lsp.server.server import OpenAgentServer
    from openagent_lsp.store.db import Store
    from openagent_lsp.tools import ToolGuard, ToolRegistry

log = get_logger(__name__)


@dataclass
class AgentServices:
    workspace: Path
    engine: PolicyEngine
    store: Store
    audit: AuditLog
    audit_path: Path
    guard: ToolGuard
    registry: ToolRegistry
    metrics: AgentMetrics
    actions: ActionService
    chat: ChatService
    undo: UndoService

    def audit_json(self) -> dict[str, Any]:
        failure = self.audit.failure
        return {"verified": not failure, "detail": failure or "verified", "path": str(self.audit_path)}

    def metrics_json(self) -> dict[str, Any]:
        data = dict(self.metrics.snapshot())
        data["activeConversations"] = self.chat.active()
        firsts = sorted(self.chat.first_delta_ms)
        if firsts:
            data["firstDeltaMsMedian"] = round(firsts[len(firsts) // 2], 1)
        return data


def build_services(server: OpenAgentServer) -> AgentServices:
    try:
        return _build(server)
    except OpenAgentError:
        raise
    except Exception as exc:
        log.exception("agent_services_failed")
        raise OpenAgentError(f"could not start the agent: {exc}") from exc


def _build(server: OpenAgentServer) -> AgentServices:
    from openagent_lsp.agent.core import Agent, AgentSettings
    from openagent_lsp.agent.metrics import AgentMetrics
    from openagent_lsp.assist.actions import ActionService
    from openagent_lsp.assist.chat import ChatService
    from openagent_lsp.assist.undo import UndoService
    from openagent_lsp.policy.audit import AuditLog, load_or_create_key
    from openagent_lsp.policy.engine import PolicyEngine
    from openagent_lsp.sandbox import detect_sandbox
    from openagent_lsp.server.approvals import EditorApprover
    from openagent_lsp.server.editor import LspEditorBridge
    from openagent_lsp.store.db import Store
    from openagent_lsp.store.grants import SignedGrantStore
    from openagent_lsp.store.layout import StateLayout
    from openagent_lsp.tools import ToolGuard, build_default_registry
    from openagent_lsp.tools.confinement import Confinement
    from openagent_lsp.tools.git import staged_diff
    from openagent_lsp.tools.snapshots import WorkspaceSnapshots

    settings = server.settings
    workspace = server.workspace_root
    sandbox = detect_sandbox()
    # Without a sandbox that confines files, commands that run workspace code (and, with none at all,
    # every command that writes) ask first.
    engine = PolicyEngine.from_file(settings.policy_file or None, strict=True if settings.exec_strict else None,
                                    sandboxed=sandbox.level.runs_workspace_code_safely)
    if engine.load_warning:  # built in a worker thread: the message goes out from the loop
        server.call_in_loop(server.notify_user, engine.load_warning)
    layout = StateLayout.for_workspace(settings.database_url, workspace)
    store = Store(settings.database_url or None)
    audit = AuditLog(layout.audit_log, key_path=layout.audit_key, anchor=store)
    for note in audit.notes:
        server.call_in_loop(server.notify_user, note, types.MessageType.Info)
    if audit.failure:
        server.call_in_loop(server.notify_user, audit.blocked_reason())
    policy_file = (Path(settings.policy_file).expanduser().absolute(),) if settings.policy_file else ()
    confinement = Confinement(sandbox.level, protected=layout.protected(workspace, policy_file),
                              quarantine=layout.quarantine_dir)
    try:
        grant_key = load_or_create_key(layout.audit_key)[0]
    except (OSError, OpenAgentError) as exc:  # the audit log reports the damaged key; no stored grant counts
        log.warning("grant_key_unavailable", error=str(exc))
        grant_key = secrets.token_bytes(32)
    grants = SignedGrantStore(store, grant_key)
    guard = ToolGuard(engine, EditorApprover(server), grants, audit, workspace,
                      approval_timeout_s=settings.chat.approval_timeout_s, confinement=confinement)
    registry = build_default_registry()
    editor = LspEditorBridge(server)
    metrics = AgentMetrics()
    undo = UndoService(WorkspaceSnapshots(workspace, layout.snapshots_dir))

    def make_agent() -> Agent:
        chat = server.settings.chat
        agent_settings = AgentSettings(max_steps=chat.max_agent_steps, max_new_tokens=chat.max_new_tokens,
                                       context_tokens=chat.context_budget_tokens, temperature=0.0)
        return Agent(server.models.require_ready(), registry, guard, agent_settings, editor=editor, metrics=metrics)

    actions = ActionService(server.documents, server.models, guard, workspace,
                            lambda: server.settings.chat.max_new_tokens, undo=undo,
                            prompt_preference=lambda: server.settings.prompt_style)
    chat = ChatService(store, workspace, server.documents, make_agent=make_agent, registry=registry, guard=guard,
                       staged_diff=lambda: staged_diff(workspace, confinement), undo=undo,
                       prompt_preference=lambda: server.settings.prompt_style)
    return AgentServices(workspace, engine, store, audit, layout.audit_log, guard, registry, metrics, actions, chat,
                         undo)

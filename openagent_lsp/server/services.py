"""The agent side of the server, built on first use: policy, audit, store, guard, tools, actions, chat.

This is where the domain services meet their LSP adapters (approvals over window/showMessageRequest,
writes to open documents over workspace/applyEdit). Nothing here is created at start-up: ``initialize``
stays as fast as a bare server.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openagent_lsp.errors import OpenAgentError
from openagent_lsp.logging import get_logger

if TYPE_CHECKING:
    from openagent_lsp.agent.core import Agent
    from openagent_lsp.agent.metrics import AgentMetrics
    from openagent_lsp.assist.actions import ActionService
    from openagent_lsp.assist.chat import ChatService
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
    from openagent_lsp.policy.audit import AuditLog
    from openagent_lsp.policy.engine import PolicyEngine
    from openagent_lsp.server.approvals import EditorApprover
    from openagent_lsp.server.editor import LspEditorBridge
    from openagent_lsp.store.db import Store
    from openagent_lsp.tools import ToolGuard, build_default_registry
    from openagent_lsp.tools.git import staged_diff

    settings = server.settings
    workspace = server.workspace_root
    engine = PolicyEngine.from_file(settings.policy_file or None, strict=True if settings.exec_strict else None)
    if engine.load_warning:  # built in a worker thread: the message goes out from the loop
        server.call_in_loop(server.notify_user, engine.load_warning)
    store = Store(settings.database_url or None)
    audit_path = audit_path_for(settings.database_url, workspace)
    audit = AuditLog(audit_path)
    guard = ToolGuard(engine, EditorApprover(server), store, audit, workspace,
                      approval_timeout_s=settings.chat.approval_timeout_s)
    registry = build_default_registry()
    editor = LspEditorBridge(server)
    metrics = AgentMetrics()

    def make_agent() -> Agent:
        chat = server.settings.chat
        agent_settings = AgentSettings(max_steps=chat.max_agent_steps, max_new_tokens=chat.max_new_tokens,
                                       context_tokens=chat.context_budget_tokens, temperature=0.0)
        return Agent(server.models.require_ready(), registry, guard, agent_settings, editor=editor, metrics=metrics)

    actions = ActionService(server.documents, server.models, guard, workspace,
                            lambda: server.settings.chat.max_new_tokens)
    chat = ChatService(store, workspace, server.documents, make_agent=make_agent, registry=registry, guard=guard,
                       staged_diff=lambda: staged_diff(workspace))
    return AgentServices(workspace, engine, store, audit, audit_path, guard, registry, metrics, actions, chat)


def audit_path_for(database_url: str, workspace: Path) -> Path:
    """One audit log per workspace, next to the database (or in the user state dir)."""
    from openagent_lsp.store.db import default_db_path

    base = Path(database_url.removeprefix("sqlite:///")).parent if database_url and database_url != ":memory:" \
        else default_db_path().parent
    digest = hashlib.sha256(str(workspace).encode()).hexdigest()[:12]
    return base / "audit" / f"{workspace.name or 'root'}-{digest}.jsonl"

"""The agent side of the server, built on first use (policy, audit, store, guard, tools, chat).

Nothing here is created at start-up: ``initialize`` stays as fast as a bare server.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from openagent_lsp.errors import OpenAgentError
from openagent_lsp.logging import get_logger
from openagent_lsp.server.app import OpenAgentServer

log = get_logger(__name__)


class AgentServices:
    def __init__(self, server: OpenAgentServer) -> None:
        from openagent_lsp.agent.metrics import AgentMetrics
        from openagent_lsp.assist.chat import ChatService
        from openagent_lsp.policy.audit import AuditLog
        from openagent_lsp.policy.engine import PolicyEngine
        from openagent_lsp.server.approvals import EditorApprover
        from openagent_lsp.server.editor import LspEditorBridge
        from openagent_lsp.store.db import Store
        from openagent_lsp.tools import ToolGuard, build_default_registry

        settings = server.settings
        self.server = server
        self.workspace = server.workspace_root
        self.engine = PolicyEngine.from_file(settings.policy_file or None,
                                             strict=True if settings.exec_strict else None)
        if self.engine.load_warning:
            server.notify_user(self.engine.load_warning)
        self.store = Store(settings.database_url or None)
        self.audit_path = audit_path_for(settings.database_url, self.workspace)
        self.audit = AuditLog(self.audit_path)
        self.approver = EditorApprover(server, settings.chat.approval_timeout_s)
        self.guard = ToolGuard(self.engine, self.approver, self.store, self.audit, self.workspace,
                               approval_timeout_s=settings.chat.approval_timeout_s)
        self.registry = build_default_registry()
        self.editor = LspEditorBridge(server)
        self.metrics = AgentMetrics()
        self.chat = ChatService(self.store, self.workspace)

    def agent(self, llm: Any) -> Any:
        from openagent_lsp.agent.core import Agent, AgentSettings

        chat = self.server.settings.chat
        settings = AgentSettings(max_steps=chat.max_agent_steps, max_new_tokens=chat.max_new_tokens,
                                 context_tokens=chat.context_budget_tokens, temperature=0.0)
        return Agent(llm, self.registry, self.guard, settings, editor=self.editor, metrics=self.metrics)

    def metrics_json(self) -> dict[str, Any]:
        data = dict(self.metrics.snapshot())
        firsts = sorted(self.chat.first_delta_ms)
        if firsts:
            data["firstDeltaMsMedian"] = round(firsts[len(firsts) // 2], 1)
        return data


def audit_path_for(database_url: str, workspace: Path) -> Path:
    """One audit log per workspace, next to the database (or in the user state dir)."""
    from openagent_lsp.store.db import default_db_path

    base = Path(database_url.removeprefix("sqlite:///")).parent if database_url and database_url != ":memory:" \
        else default_db_path().parent
    digest = hashlib.sha256(str(workspace).encode()).hexdigest()[:12]
    return base / "audit" / f"{workspace.name or 'root'}-{digest}.jsonl"


def services(server: OpenAgentServer) -> AgentServices:
    if server.services is None:
        try:
            server.services = AgentServices(server)
        except OpenAgentError:
            raise
        except Exception as exc:
            log.exception("agent_services_failed")
            raise OpenAgentError(f"could not start the agent: {exc}") from exc
    return server.services


def require_llm(server: OpenAgentServer) -> Any:
    llm = server.models.ready_llm()
    if llm is None:
        status = server.models.status()
        if status.state == "error":
            raise OpenAgentError(f"the model failed to load: {status.error}")
        progress = f" ({status.progress_percent}%)" if status.progress_percent is not None else ""
        raise OpenAgentError(f"the model is still loading{progress}; try again in a moment")
    return llm

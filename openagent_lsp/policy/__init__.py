"""PolicyEngine, policy file schema, shell command analysis, RiskAssessor and audit log.

Public API::

    PolicyEngine(policy, strict=False, *, sandboxed=True, agent_writes=None)
    PolicyEngine.from_file(path, strict=None, *, sandboxed=True, agent_writes=None)
        .check_command(command, cwd, workspace) -> Decision
            Decision.requires_sandbox   allowed only if it runs inside the OS sandbox
            Decision.git_write          git writes its own repository: run with .git writable
            Decision.bound_files / .content_unchanged()   scripts bound by content hash
        .check_path(op, path, workspace) -> Decision
        .grant_key_matches(command, grant_key, cwd, workspace) -> bool
        .record_agent_write(path)                  file tools: the agent wrote this file
        .record_command_writes(workspace, since)   shell tool: what a command changed
    load_policy(path) -> (Policy, warning | None)
    AuditLog(path).append(record) / .verify() / .recent(n)

Names are resolved on first use: importing ``openagent_lsp.policy.types`` (as the server does at
start-up) must not pull in the engine, its rule tables or tree-sitter.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AgentWrites": "openagent_lsp.policy.session",
    "AuditLog": "openagent_lsp.policy.audit",
    "BoundFile": "openagent_lsp.policy.types",
    "PolicyEngine": "openagent_lsp.policy.engine",
    "Policy": "openagent_lsp.policy.schema",
    "default_policy": "openagent_lsp.policy.schema",
    "load_policy": "openagent_lsp.policy.schema",
    "parse_policy_file": "openagent_lsp.policy.schema",
    "Decision": "openagent_lsp.policy.types",
    "FileOp": "openagent_lsp.policy.types",
    "Risk": "openagent_lsp.policy.types",
    "Verdict": "openagent_lsp.policy.types",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'openagent_lsp.policy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

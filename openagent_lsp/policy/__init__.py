"""PolicyEngine, policy file schema, shell command analysis, RiskAssessor and audit log.

Public API::

    PolicyEngine(policy, strict=False) / PolicyEngine.from_file(path, strict=None)
        .check_command(command, cwd, workspace) -> Decision
        .check_path(op, path, workspace) -> Decision
        .grant_key_matches(command, grant_key, cwd, workspace) -> bool
    load_policy(path) -> (Policy, warning | None)
    AuditLog(path).append(record) / .verify() / .recent(n)

Names are resolved on first use: importing ``openagent_lsp.policy.types`` (as the server does at
start-up) must not pull in the engine, its rule tables or tree-sitter.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AuditLog": "openagent_lsp.policy.audit",
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

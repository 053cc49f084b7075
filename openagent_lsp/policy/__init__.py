"""PolicyEngine, policy file schema, shell command analysis, RiskAssessor and audit log.

Public API::

    PolicyEngine(policy, strict=False) / PolicyEngine.from_file(path, strict=None)
        .check_command(command, cwd, workspace) -> Decision
        .check_path(op, path, workspace) -> Decision
        .grant_key_matches(command, grant_key, cwd, workspace) -> bool
    load_policy(path) -> (Policy, warning | None)
    AuditLog(path).append(record) / .verify() / .recent(n)

tree-sitter is imported on the first command check, not at import time.
"""

from openagent_lsp.policy.audit import AuditLog
from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.schema import Policy, default_policy, load_policy, parse_policy_file
from openagent_lsp.policy.types import Decision, FileOp, Risk, Verdict

__all__ = [
    "AuditLog",
    "Decision",
    "FileOp",
    "Policy",
    "PolicyEngine",
    "Risk",
    "Verdict",
    "default_policy",
    "load_policy",
    "parse_policy_file",
]

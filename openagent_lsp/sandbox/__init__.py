"""The OS sandbox every agent command runs in (Linux, no root needed).

The policy decides; the sandbox enforces what the policy cannot see. A sandboxed command may
write only the workspace (never ``.git`` or the server's own state), read system directories,
toolchains and the workspace but nothing personal in HOME, use no network unless asked, and
cannot outlive a stop. Built from Landlock and unprivileged user, mount, network and PID
namespaces; see ``levels.SandboxLevel`` for what each level available at run time gives.

Public API::

    detect_sandbox() -> SandboxStatus            # .level, .to_json() for openagent/status and doctor
    SandboxSpec(workspace, writable, readable, readable_home, home, network, protected)
    run_sandboxed(argv, spec, cwd=, env=, timeout_s=, stdin=) -> SandboxResult
    sandbox_command(argv, spec, env=) -> context manager yielding SandboxCommand(argv, env, level)
    stop_sandboxed(popen)                        # the kill that reaches every process started
"""

from __future__ import annotations

from openagent_lsp.sandbox.levels import SandboxLevel, SandboxStatus, available_levels, describe, detect_sandbox
from openagent_lsp.sandbox.runner import (
    SandboxCommand,
    SandboxResult,
    SandboxUnavailable,
    python_toolchain_paths,
    run_sandboxed,
    sandbox_command,
    stop_sandboxed,
)
from openagent_lsp.sandbox.spec import DEFAULT_HOME_ALLOWLIST, SandboxSpec

__all__ = [
    "DEFAULT_HOME_ALLOWLIST",
    "SandboxCommand",
    "SandboxLevel",
    "SandboxResult",
    "SandboxSpec",
    "SandboxStatus",
    "SandboxUnavailable",
    "available_levels",
    "describe",
    "detect_sandbox",
    "python_toolchain_paths",
    "run_sandboxed",
    "sandbox_command",
    "stop_sandboxed",
]

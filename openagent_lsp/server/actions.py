"""Code actions (filled in by the code-actions feature)."""

from __future__ import annotations

from openagent_lsp.server.app import OpenAgentServer


def register(server: OpenAgentServer) -> None:
    return None

"""Chat commands."""

from __future__ import annotations

from openagent_lsp.server.app import OpenAgentServer


def register(server: OpenAgentServer) -> None:
    return None

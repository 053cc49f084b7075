"""Composition root: builds the server and registers every feature module.

Each feature is a module with ``register(server)``; its handlers stay thin (convert → one call into
``assist/``, ``completion/`` or the policy → convert back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from openagent_lsp.server import actions, audit, chat, completion, documents, lifecycle, undo
from openagent_lsp.server.server import OpenAgentServer

if TYPE_CHECKING:  # the model layer (and pydantic) is imported on first use, after `initialize`
    from openagent_lsp.llm.manager import LLMFactory

FEATURES = (lifecycle, documents, completion, actions, chat, audit, undo)


def create_server(environ: Mapping[str, str] | None = None, llm_factory: LLMFactory | None = None) -> OpenAgentServer:
    """``llm_factory`` replaces ``get_llm`` (tests and benchmarks wrap or replace the backend)."""
    server = OpenAgentServer(environ, llm_factory)
    for feature in FEATURES:
        feature.register(server)
    return server

"""Composition root: builds the server object and registers every feature module.

The server object owns the long-lived services; features are modules with a ``register(server)``
function, and handlers stay thin (convert → one domain call → convert back).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from openagent_lsp import __version__
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.logging import get_logger
from openagent_lsp.server.protocol import OpenAgentProtocol

if TYPE_CHECKING:
    from openagent_lsp.completion.pipeline import CompletionEngine
    from openagent_lsp.config import Settings, SettingsHolder
    from openagent_lsp.llm.manager import ModelManager

log = get_logger(__name__)


class OpenAgentServer(LanguageServer):
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__("openagent-lsp", __version__, protocol_cls=OpenAgentProtocol)
        self.started_at = time.monotonic()
        self._environ = environ
        self._settings_holder: SettingsHolder | None = None
        self.documents = DocumentStore()
        self._models: ModelManager | None = None
        self._completions: CompletionEngine | None = None
        self.pending_init_options: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.workspace_root: Path = Path.cwd()
        self.client_features: set[str] = set()
        self.services: Any = None  # agent services, built on first use (server/services.py)
        self.background_tasks: set[asyncio.Future[Any]] = set()

    @property
    def settings_holder(self) -> SettingsHolder:
        if self._settings_holder is None:  # pydantic is imported here, after `initialize` was answered
            from openagent_lsp.config import SettingsHolder

            self._settings_holder = SettingsHolder(self._environ)
        return self._settings_holder

    @property
    def settings(self) -> Settings:
        return self.settings_holder.current

    # The model manager and the completion engine are built on first use: answering `initialize`
    # must cost about what a bare pygls server costs (no model, tokenizer or pipeline imports).
    @property
    def models(self) -> ModelManager:
        if self._models is None:
            from openagent_lsp.llm.manager import ModelManager

            self._models = ModelManager(self.settings)
        return self._models

    @property
    def completions(self) -> CompletionEngine:
        if self._completions is None:
            from openagent_lsp.completion.pipeline import CompletionEngine

            self._completions = CompletionEngine(self.documents, lambda: self.models.ready_llm(),
                                                 lambda: self.settings.completion)
        return self._completions

    @property
    def protocol_stats(self) -> OpenAgentProtocol:
        proto = self.protocol
        assert isinstance(proto, OpenAgentProtocol)
        return proto

    def notify_user(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"OpenAgent: {message}"))

    def call_in_loop(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` on the event loop from any thread (pygls' writer is not thread-safe)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(fn, *args)


def create_server(environ: Mapping[str, str] | None = None) -> OpenAgentServer:
    from openagent_lsp.server import actions, chat, completion, documents, lifecycle, policy_features

    server = OpenAgentServer(environ)
    for feature in (lifecycle, documents, completion, actions, chat, policy_features):
        feature.register(server)
    return server

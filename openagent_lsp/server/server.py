"""The server object: long-lived state, built on first use, that every feature handler reaches.

Handlers take it as their first parameter (pygls passes it). Nothing here registers features or
imports them: ``app.py`` composes the server, so a feature module can import this type without an
import cycle.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from openagent_lsp import __version__
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.logging import get_logger
from openagent_lsp.server.loopwatch import LoopWatch
from openagent_lsp.server.protocol import OpenAgentProtocol

log = get_logger(__name__)

if TYPE_CHECKING:
    from openagent_lsp.completion.pipeline import CompletionEngine
    from openagent_lsp.config import Settings, SettingsHolder
    from openagent_lsp.llm.manager import LLMFactory, ModelManager
    from openagent_lsp.server.services import AgentServices


class OpenAgentServer(LanguageServer):
    def __init__(self, environ: Mapping[str, str] | None = None, llm_factory: LLMFactory | None = None) -> None:
        super().__init__("openagent-lsp", __version__, protocol_cls=OpenAgentProtocol)
        self.started_at = time.monotonic()
        self._environ = environ
        self._llm_factory = llm_factory
        self._settings_holder: SettingsHolder | None = None
        self.documents = DocumentStore()
        self._models: ModelManager | None = None
        self._completions: CompletionEngine | None = None
        self._services: AgentServices | None = None
        self._services_lock = threading.Lock()
        self.pending_init_options: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.workspace_root: Path = Path.cwd()
        self.client_features: set[str] = set()
        self.background_tasks: set[asyncio.Future[Any]] = set()
        self._notified: dict[str, float] = {}
        self.loop_watch = LoopWatch()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve on stdio with the frame reader of ``server/framing.py`` (pygls' loop loses the connection
        after one frame with a wrong Content-Length and leaves undecodable requests unanswered)."""
        from pygls.io_ import StdoutWriter

        from openagent_lsp.server.framing import FrameReader, read_messages

        stop = threading.Event()
        self._stop_event = stop
        reader = FrameReader(stdin or sys.stdin.buffer)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(read_messages(stop, reader, self.protocol))
        except BrokenPipeError:
            log.error("client_connection_lost")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside a request (a failed notification, a message that could not be decoded) go to
        the log, which mirrors warnings to window/logMessage; pygls' default would pop up a message
        box for each one. Requests already carry their error in the response."""
        from pygls.exceptions import FeatureRequestError

        if source is FeatureRequestError:
            return
        log.warning("server_error", source=getattr(source, "__name__", str(source)), error=str(error)[:500])

    # Everything below is built on first use: answering `initialize` must cost about what a bare
    # pygls server costs (no pydantic, model, tokenizer, pipeline or agent imports).

    @property
    def settings_holder(self) -> SettingsHolder:
        if self._settings_holder is None:
            from openagent_lsp.config import SettingsHolder

            self._settings_holder = SettingsHolder(self._environ)
        return self._settings_holder

    @property
    def settings(self) -> Settings:
        return self.settings_holder.current

    @property
    def models(self) -> ModelManager:
        if self._models is None:
            from openagent_lsp.llm.manager import ModelManager

            self._models = ModelManager(self.settings, self._llm_factory) if self._llm_factory \
                else ModelManager(self.settings)
        return self._models

    @property
    def completions(self) -> CompletionEngine:
        if self._completions is None:
            from openagent_lsp.completion.pipeline import CompletionEngine

            self._completions = CompletionEngine(self.documents, lambda: self.models.ready_llm(),
                                                 lambda: self.settings.completion)
        return self._completions

    @property
    def services(self) -> AgentServices:
        """Policy, audit, store, guard, tools, actions and chat: built when the agent is first needed."""
        if self._services is None:
            with self._services_lock:
                if self._services is None:
                    from openagent_lsp.server.services import build_services

                    self._services = build_services(self)
        return self._services

    async def services_async(self) -> AgentServices:
        """``services``, built in a worker thread the first time: its imports, the policy's grammar and the
        database take the better part of a second, which the event loop must not wait out."""
        if self._services is not None:
            return self._services
        return await asyncio.to_thread(lambda: self.services)

    @property
    def services_started(self) -> bool:
        return self._services is not None

    @property
    def protocol_stats(self) -> OpenAgentProtocol:
        proto = self.protocol
        assert isinstance(proto, OpenAgentProtocol)
        return proto

    def notify_user(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        from openagent_lsp.redaction import redact

        self.window_show_message(types.ShowMessageParams(type=kind, message=f"OpenAgent: {redact(message)}"))

    def notify_user_once(self, message: str, interval_s: float = 60.0) -> None:
        """``notify_user`` for failures that repeat on every keystroke: each distinct message at most once
        per ``interval_s``."""
        now = time.monotonic()
        key = message[:200]
        if now - self._notified.get(key, -interval_s - 1) < interval_s:
            return
        if len(self._notified) > 64:
            self._notified.clear()
        self._notified[key] = now
        self.notify_user(message, types.MessageType.Warning)

    def call_in_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the event loop from any thread (pygls' writer is not thread-safe)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(fn, *args)

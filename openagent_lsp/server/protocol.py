"""Protocol tweaks: UTF-16 positions everywhere, and one log line per request (method, id, duration)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol, lsp_method

from openagent_lsp.logging import get_logger

log = get_logger("openagent_lsp.requests")


class OpenAgentProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inflight: dict[Any, tuple[str, float]] = {}
        self.request_counts: dict[str, int] = {}
        self.error_counts: dict[str, int] = {}
        self._cancel_hooks: dict[Any, Callable[[], None]] = {}

    def current_request_id(self) -> Any:
        """The id of the request whose handler is running (a context variable pygls sets)."""
        return self.msg_id

    def on_cancel(self, msg_id: Any, hook: Callable[[], None]) -> Callable[[], None]:
        """Call ``hook`` when the client sends $/cancelRequest for ``msg_id``; returns an unregister function.

        pygls cancels async request handlers itself, but a workspace/executeCommand body keeps running:
        long commands (chat) stop their generation through this hook."""
        if msg_id is None:
            return lambda: None
        self._cancel_hooks[msg_id] = hook

        def unregister() -> None:
            self._cancel_hooks.pop(msg_id, None)

        return unregister

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        hook = self._cancel_hooks.pop(msg_id, None)
        if hook is not None:
            try:
                hook()
            except Exception as exc:
                log.warning("cancel_hook_failed", error=str(exc))
        super()._handle_cancel_notification(msg_id)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Any:
        # The document store counts UTF-16 code units, the one encoding every client must support.
        # (pygls would otherwise pick the client's first preference, e.g. Neovim's utf-8.)
        general = params.capabilities.general
        if general is not None:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        self._inflight[msg_id] = (method_name, time.perf_counter())
        self.request_counts[method_name] = self.request_counts.get(method_name, 0) + 1
        super()._handle_request(msg_id, method_name, params)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        super()._send_response(msg_id, result, error)
        method, started = self._inflight.pop(msg_id, ("", 0.0))
        if not method:
            return
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        if error is not None:
            self.error_counts[method] = self.error_counts.get(method, 0) + 1
            log.info("request", method=method, request_id=msg_id, duration_ms=duration_ms,
                     error_code=getattr(error, "code", None), error=getattr(error, "message", str(error)))
        else:
            log.info("request", method=method, request_id=msg_id, duration_ms=duration_ms)

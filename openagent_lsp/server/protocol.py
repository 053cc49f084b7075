"""Protocol tweaks: UTF-16 positions everywhere, and one log line per request (method, id, duration)."""

from __future__ import annotations

import time
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

"""Protocol tweaks: UTF-16 positions everywhere, one log line per request (method, id, duration), and the
life-cycle rules of the LSP specification that pygls leaves to the server: before ``initialize`` a request
is answered -32002 and a notification dropped; after ``shutdown`` a request is answered -32600 (pygls
would leave it unanswered, and the editor waiting)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest, JsonRpcServerNotInitialized
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
        self.initialize_received = False

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

    def admit(self, method: str | None, msg_id: Any, is_request: bool) -> bool:
        """The life-cycle gate, applied to every frame before its params are even decoded (a request before
        ``initialize`` is answered -32002 whatever its params; after ``shutdown``, -32600)."""
        if method is None:
            return True  # a response to one of our requests
        if method == types.INITIALIZE and is_request:
            if self.initialize_received:
                self._refuse(msg_id, JsonRpcInvalidRequest("initialize may only be sent once"))
                return False
            self.initialize_received = True
            return True
        if method == types.EXIT:
            return True
        if not self.initialize_received:
            if is_request:
                self._refuse(msg_id, JsonRpcServerNotInitialized(
                    f"{method}: the server is not initialized yet (send initialize first)"))
            return False  # notifications before initialize are dropped, as the specification says
        if self._shutdown:
            if is_request:
                self._refuse(msg_id, JsonRpcInvalidRequest(f"{method}: the server is shutting down"))
            return False
        return True

    def _refuse(self, msg_id: Any, error: Any) -> None:
        log.info("request_refused", request_id=msg_id, code=error.code, error=error.message)
        self._send_response(msg_id, error=error.to_response_error())

    # The document store (context/documents.py) is the one copy of each open document: pygls' own
    # workspace copy would double the memory of every document and fail on changes to unknown ones.
    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

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
        key = self._counted(method_name)
        self.request_counts[key] = self.request_counts.get(key, 0) + 1
        super()._handle_request(msg_id, method_name, params)

    def _counted(self, method: str) -> str:
        """Counters are kept per method the server knows; any other name (a client may send millions of
        different ones) is counted as "(unknown)", so the counters stay bounded."""
        if method in self.fm.features or method in self.fm.builtin_features:
            return method
        return "(unknown)"

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        super()._send_response(msg_id, result, error)
        method, started = self._inflight.pop(msg_id, ("", 0.0))
        if not method:
            return
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        if error is not None:
            key = self._counted(method)
            self.error_counts[key] = self.error_counts.get(key, 0) + 1
            log.info("request", method=method, request_id=msg_id, duration_ms=duration_ms,
                     error_code=getattr(error, "code", None), error=getattr(error, "message", str(error)))
        else:
            log.info("request", method=method, request_id=msg_id, duration_ms=duration_ms)

"""Map domain errors to JSON-RPC errors a user can read; keep the server alive whatever a handler does."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams

from openagent_lsp.errors import InvalidInputError, OpenAgentError
from openagent_lsp.logging import get_logger

log = get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed


class JsonRpcRequestFailed(JsonRpcException):
    CODE = REQUEST_FAILED
    MESSAGE = "Request failed"


def to_jsonrpc(exc: BaseException) -> JsonRpcException:
    """The JSON-RPC error for ``exc``; its message is masked (a backend error may quote what it was sent)."""
    from openagent_lsp.redaction import redact

    if isinstance(exc, JsonRpcException):
        return exc
    if isinstance(exc, InvalidInputError):
        return JsonRpcInvalidParams(redact(str(exc)))
    if isinstance(exc, OpenAgentError):
        return JsonRpcRequestFailed(redact(str(exc)))
    return JsonRpcInternalError(redact(f"internal error: {type(exc).__name__}: {exc}"))


def guarded(name: str) -> Callable[[F], F]:
    """Wrap an async handler: domain errors become JSON-RPC errors with the user-facing message."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            except OpenAgentError as exc:
                log.warning("request_failed", feature=name, error=str(exc))
                raise to_jsonrpc(exc) from exc
            except JsonRpcException:
                raise
            except Exception as exc:
                log.exception("request_crashed", feature=name)
                raise to_jsonrpc(exc) from exc
            finally:
                log.debug("feature_done", feature=name, duration_ms=round((time.perf_counter() - started) * 1000, 2))

        return wrapper  # type: ignore[return-value]

    return decorate

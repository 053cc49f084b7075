"""The real server whose real model holds each generation until the request is cancelled.

Tests of cancellation must not race the machine: a fast CPU finishes the tiny model's answer before a
``$/cancelRequest`` sent after a fixed sleep arrives. Here every generation computes its first
``OPENAGENT_TEST_HOLD_AFTER_PIECES`` pieces (0 = hold before yielding the first), then waits until its
cancel token fires (at most ``HOLD_LIMIT_S``) before it continues, so a test can cancel "mid-generation"
whenever it likes. Everything else (LSP layer, pipeline, model loading and decoding) is the real code.

Run as ``python -m tests.support.held_server``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from openagent_lsp.config import Settings
from openagent_lsp.llm.base import BaseLLM, CancelToken, GenerationRequest
from openagent_lsp.llm.factory import get_llm

HOLD_LIMIT_S = 30.0  # a test that never cancels fails instead of hanging


class HeldLLM:
    """Delegates to a real backend; holds every stream after ``hold_after`` pieces until cancelled."""

    def __init__(self, inner: BaseLLM, hold_after: int) -> None:
        self._inner = inner
        self._hold_after = hold_after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        cancel = cancel or CancelToken()
        pieces = self._inner.stream(request, cancel)
        for count, piece in enumerate(pieces):
            if count == self._hold_after:
                _wait_for_cancel(cancel)
                if cancel.cancelled:
                    continue  # the real decoding loop sees the cancel at its next step and stops
            yield piece

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(request, cancel))


def _wait_for_cancel(cancel: CancelToken) -> None:
    deadline = time.monotonic() + HOLD_LIMIT_S
    while not cancel.cancelled and time.monotonic() < deadline:
        time.sleep(0.005)


def main() -> None:
    from openagent_lsp.logging import configure_logging
    from openagent_lsp.server.app import create_server

    configure_logging(os.environ.get("OPENAGENT_LOG_LEVEL", "warning"))
    hold_after = int(os.environ.get("OPENAGENT_TEST_HOLD_AFTER_PIECES", "0"))

    def factory(name: str, settings: Settings) -> BaseLLM:
        return HeldLLM(get_llm(name, settings), hold_after)  # type: ignore[return-value]

    create_server(llm_factory=factory).start_io()


if __name__ == "__main__":
    main()

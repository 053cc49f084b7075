"""Our real server (``create_server()``) with a scripted backend instead of a model, for benchmarks.

``BENCH_BACKEND=instant`` answers at once; ``BENCH_BACKEND=slow`` takes ``BENCH_DELAY_MS`` (150) per
generation, checking the CancelToken every 5 ms like a real decoding loop. ``BENCH_TEXT`` is what the
backend says. Everything else (LSP layer, documents, completion pipeline, caches) is the real code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from openagent_lsp.errors import GenerationCancelled
from openagent_lsp.llm.base import BackendInfo, CancelToken, GenerationRequest, GenerationStats


class InstantLLM:
    name = "instant"
    fim_format = None
    last_stats: GenerationStats | None = None

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0
        self.info = BackendInfo(self.name)

    def load(self, progress: object = None) -> None:
        return None

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def forget(self, key: str) -> None:
        return None

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        self.calls += 1
        yield self.text

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(request, cancel))


class SlowLLM(InstantLLM):
    name = "slow"

    def __init__(self, text: str, delay_s: float) -> None:
        super().__init__(text)
        self.delay_s = delay_s

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        self.calls += 1
        deadline = time.perf_counter() + self.delay_s
        while time.perf_counter() < deadline:
            if cancel is not None and cancel.cancelled:
                raise GenerationCancelled(cancel.reason or "cancelled")
            time.sleep(0.005)
        yield self.text


def main() -> None:
    from openagent_lsp.logging import configure_logging
    from openagent_lsp.server.app import create_server

    configure_logging("warning")
    text = os.environ.get("BENCH_TEXT", "compute_total(items)\n")
    if os.environ.get("BENCH_BACKEND", "instant") == "slow":
        llm: InstantLLM = SlowLLM(text, float(os.environ.get("BENCH_DELAY_MS", "150")) / 1000)
    else:
        llm = InstantLLM(text)
    create_server(llm_factory=lambda _name, _settings: llm).start_io()


if __name__ == "__main__":
    main()

"""Owns the one model the server uses: which backend, its load state, and loading it off the event loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openagent_lsp.config import Settings
from openagent_lsp.errors import OpenAgentError
from openagent_lsp.llm.base import BaseLLM, GenerationStats
from openagent_lsp.llm.factory import describe_backend, get_llm
from openagent_lsp.llm.kind import prompt_style
from openagent_lsp.logging import get_logger

log = get_logger(__name__)

ProgressFn = Callable[[str, "int | None"], None]
# Turns the ``model`` setting into a backend; tests and benchmarks pass their own.
LLMFactory = Callable[[str, Settings], BaseLLM]


@dataclass
class ModelStatus:
    state: str  # "idle" | "loading" | "ready" | "error"
    model: str
    backend: str
    load_seconds: float | None = None
    error: str | None = None
    device: str | None = None
    precision: str | None = None
    precision_reason: str | None = None
    fim: bool | None = None
    kind: str | None = None  # "base" or "instruct": how actions prompt the model
    kind_reason: str | None = None
    prompts: str | None = None  # "completion" or "chat": how actions and chat ask this model
    prompts_reason: str | None = None
    threads: int | None = None
    threads_policy: str | None = None
    head: str | None = None
    calibration: dict[str, Any] | None = None
    progress_message: str | None = None
    progress_percent: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class ModelManager:
    def __init__(self, settings: Settings, factory: LLMFactory = get_llm) -> None:
        self._settings = settings
        self._factory = factory
        self._lock = threading.Lock()
        self._llm: BaseLLM | None = None
        self._state = "idle"
        self._error: str | None = None
        self._load_seconds: float | None = None
        self._thread: threading.Thread | None = None
        self._loaded_event = threading.Event()
        self._progress: tuple[str, int | None] | None = None
        self.last_failure: OpenAgentError | None = None

    @property
    def state(self) -> str:
        return self._state

    def reconfigure(self, settings: Settings) -> bool:
        """Adopt new settings; drop the model when the change needs another one. Returns True if dropped."""
        with self._lock:
            changed = settings.model_key() != self._settings.model_key()
            self._settings = settings
            if changed and self._state != "loading":
                self._llm = None
                self._state = "idle"
                self._error = None
                self._loaded_event.clear()
            return changed

    def start_loading(self, progress: ProgressFn | None = None) -> threading.Thread | None:
        """Load in a daemon thread unless already loading/ready. ``progress`` is called from that thread."""
        with self._lock:
            if self._state in ("loading", "ready"):
                return self._thread
            self._state = "loading"
            self._error = None
            settings = self._settings
            self._thread = threading.Thread(
                target=self._load, args=(settings, progress), name="openagent-model-load", daemon=True
            )
            self._thread.start()
            return self._thread

    def _load(self, settings: Settings, progress: ProgressFn | None) -> None:
        started = time.monotonic()

        def report(message: str, percent: int | None = None) -> None:
            self._progress = (message, percent)
            if progress:
                progress(message, percent)

        try:
            llm = self._factory(settings.model, settings)
            llm.load(report)
        except OpenAgentError as exc:
            self._fail(str(exc))
            return
        except Exception as exc:
            if _out_of_memory(exc):
                import gc

                exc.__traceback__ = None  # its frames hold the half-loaded weights
                gc.collect()  # give back what the half-loaded model took
                self._fail(f"not enough memory to load {settings.model} ({type(exc).__name__}: {exc}). Close "
                           "other programs, or choose a smaller model or precision=int8; then send the "
                           "configuration again to retry.")
                return
            log.exception("model_load_crashed")
            self._fail(f"unexpected error while loading {settings.model}: {exc}")
            return
        with self._lock:
            self._llm = llm
            self._state = "ready"
            self._load_seconds = time.monotonic() - started
            self._loaded_event.set()

    def _fail(self, message: str) -> None:
        from openagent_lsp.errors import ModelLoadError

        self.last_failure = ModelLoadError(message)
        log.error("model_load_failed", error=message)
        with self._lock:
            self._state = "error"
            self._error = message
            self._loaded_event.set()

    def ready_llm(self) -> BaseLLM | None:
        """The loaded model, or None while it is loading/failed (callers answer at once instead of hanging)."""
        return self._llm if self._state == "ready" else None

    def require_ready(self) -> BaseLLM:
        """The loaded model, or an error the user can read: still loading (with progress), or failed."""
        llm = self.ready_llm()
        if llm is not None:
            return llm
        if self._state == "error":
            from openagent_lsp.errors import ModelLoadError

            raise ModelLoadError(f"the model failed to load: {self._error}")
        percent = self._progress[1] if self._progress and self._state == "loading" else None
        progress = f" ({percent}%)" if percent is not None else ""
        raise OpenAgentError(f"the model is still loading{progress}; try again in a moment")

    def wait_ready(self, timeout: float | None = None) -> BaseLLM | None:
        self._loaded_event.wait(timeout)
        return self.ready_llm()

    def status(self) -> ModelStatus:
        settings = self._settings
        status = ModelStatus(
            state=self._state, model=settings.model, backend=describe_backend(settings.model),
            load_seconds=round(self._load_seconds, 3) if self._load_seconds is not None else None,
            error=self._error,
        )
        if self._progress and self._state == "loading":
            status.progress_message, status.progress_percent = self._progress
        llm = self._llm
        if llm is not None:
            info = llm.info
            status.device, status.precision = info.device or None, info.precision or None
            status.precision_reason = info.reason or None
            status.threads = info.threads or None
            status.threads_policy = info.threads_policy or None
            status.head = info.head or None
            status.calibration = info.calibration
            status.fim = llm.fim_format is not None
            status.kind, status.kind_reason = info.kind or None, info.kind_reason or None
            if info.kind:
                style = prompt_style(info.kind, info.parameters, settings.prompt_style)
                status.prompts, status.prompts_reason = style.style.value, style.reason
        return status

    def last_generation(self) -> GenerationStats | None:
        """Figures of the model's latest generation (status shows them), or None before the first."""
        llm = self.ready_llm()
        return llm.last_stats if llm is not None else None


def _out_of_memory(exc: BaseException) -> bool:
    """MemoryError, torch's OutOfMemoryError, ENOMEM, or an allocator's "can't allocate memory"."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    if isinstance(exc, OSError) and exc.errno == 12:  # ENOMEM, e.g. mapping the weights file
        return True
    text = str(exc).lower()
    return any(k in text for k in ("can't allocate memory", "cannot allocate memory", "out of memory",
                                   "failed to allocate"))

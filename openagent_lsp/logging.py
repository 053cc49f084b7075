"""structlog JSON logs on stderr, never stdout (stdout carries the protocol on stdio).

Warnings and errors are also handed to an optional *sink* (the server forwards them to
``window/logMessage``). Until the server installs a sink — i.e. before ``initialized`` — they are
buffered so nothing said during start-up is lost.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

Sink = Callable[[str, str], None]  # (level, message)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class EditorLogBridge:
    """A structlog processor that copies WARN+ events to the editor."""

    def __init__(self, max_buffer: int = 200) -> None:
        self._sink: Sink | None = None
        self._buffer: deque[tuple[str, str]] = deque(maxlen=max_buffer)
        self._lock = threading.Lock()

    def set_sink(self, sink: Sink | None) -> None:
        with self._lock:
            self._sink = sink
            pending = list(self._buffer) if sink else []
            self._buffer.clear()
        for level, message in pending:
            self._safe_send(sink, level, message)

    def __call__(self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
        if method in ("warning", "warn", "error", "exception", "critical"):
            level = "error" if method in ("error", "exception", "critical") else "warning"
            extras = " ".join(
                f"{k}={v}" for k, v in event_dict.items() if k not in ("event", "timestamp", "level")
            )
            message = f"{event_dict.get('event', '')} {extras}".strip()
            with self._lock:
                sink = self._sink
                if sink is None:
                    self._buffer.append((level, message))
            if sink is not None:
                self._safe_send(sink, level, message)
        return event_dict

    @staticmethod
    def _safe_send(sink: Sink | None, level: str, message: str) -> None:
        if sink is None:
            return
        try:
            sink(level, message)
        except Exception:  # noqa: BLE001 - the editor bridge must never break logging
            pass


editor_bridge = EditorLogBridge()


def configure_logging(level: str = "info", stream: Any = None) -> None:
    """Set up structlog once per process; safe to call again to change the level."""
    stream = stream or sys.stderr
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            editor_bridge,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # Libraries using stdlib logging (pygls, transformers) also go to stderr, never stdout.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonFormatter())
    root.addHandler(handler)
    root.setLevel(max(_LEVELS.get(level, logging.INFO), logging.WARNING))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {"event": record.getMessage(), "logger": record.name, "level": record.levelname.lower()}
        )


def get_logger(name: str) -> Any:
    if not structlog.is_configured():
        # structlog's default prints to stdout, which would corrupt the protocol stream.
        configure_logging()
    return structlog.get_logger(name)
